// Bundles the preload entry with esbuild, in memory; resolves wrapgen's own modules to this package.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, posix } from 'node:path'
import type { BuildOptions, Message, Metafile, OnResolveResult, Plugin } from 'esbuild'
import type { ResolvedConfig } from '../config/types.js'
import { UserError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { HOOK_BODY_NAMESPACE, PRELOAD_ENTRY_NAME as ENTRY, renderPreloadEntry, specifier } from '../render/preload-entry.js'

export interface Bundle {
  readonly code: Uint8Array
  /** preload-rare.cjs: what the runner needs only for failing, exiting, async or slow hooks (runners/node/preload/rare.ts). */
  readonly rare: Uint8Array
  readonly target: string
  /** Inputs relative to the config's folder, with the bytes each contributes to the output. */
  readonly inputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
  readonly external: readonly string[]
}

/**
 * `wrapgen/preload`, `wrapgen/preload/run`, `wrapgen/preload/rare` and `wrapgen/preloads/<name>` come from this package,
 * whatever is installed. They load in a namespace of their own, named by their path inside the
 * package, so the bundle reads the same wherever wrapgen is installed relative to the config.
 */
export function wrapgenModules(): Plugin {
  const root = packageRoot()
  const builtIns = (): string[] => readdirSync(join(root, 'preloads')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
  const inPackage = (path: string): OnResolveResult => ({ path, namespace: 'wrapgen' })
  return {
    name: 'wrapgen-modules',
    setup(build) {
      build.onResolve({ filter: /^wrapgen(\/.*)?$/ }, (args) => {
        if (args.path === 'wrapgen/preload') return inPackage('runners/node/preload/index.ts')
        if (args.path === 'wrapgen/preload/run') return inPackage('runners/node/preload/run.ts')
        if (args.path === 'wrapgen/preload/rare') return inPackage('runners/node/preload/rare.ts')
        const name = /^wrapgen\/preloads\/([\w-]+)$/.exec(args.path)?.[1]
        if (name && existsSync(join(root, 'preloads', `${name}.ts`))) return inPackage(`preloads/${name}.ts`)
        return { errors: [{ text: `"${args.path}" is not a wrapgen module; built-in preloads: ${builtIns().map((b) => `wrapgen/preloads/${b}`).join(', ')}` }] }
      })
      // Relative imports between wrapgen's own files ('./index.js' is the TypeScript file index.ts).
      build.onResolve({ filter: /^\./, namespace: 'wrapgen' }, (args) =>
        inPackage(posix.join(posix.dirname(args.importer), args.path).replace(/\.js$/, '.ts')))
      // Minified as they load: V8 scans, parses and compiles the preload on every cold start, and the
      // runner's whitespace, comments and long local names cost about 10 % of it (docs/hooks.md, "Cost").
      // The users' own modules stay as written.
      build.onLoad({ filter: /.*/, namespace: 'wrapgen' }, async (args) => ({
        contents: (await build.esbuild.transform(readFileSync(join(root, args.path), 'utf8'), { loader: 'ts', format: 'esm', target: build.initialOptions.target ?? 'esnext', minify: true })).code,
        loader: 'js',
        resolveDir: join(root, dirname(args.path)),
      }))
    },
  }
}

/**
 * With node.codeCache: `import()` of a node built-in becomes a require of it, as esbuild does for a
 * bundled module. V8 runs an import() left in a code-cached script only through node's experimental
 * main-context loader (which warns when first used); built-ins need no loader at all.
 */
export function builtinDynamicImports(): Plugin {
  const builtins = new Set(builtinModules)
  return {
    name: 'wrapgen-builtin-dynamic-imports',
    setup(build) {
      build.onResolve({ filter: /^[\w:/]+$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !builtins.has(args.path.replace(/^node:/, ''))) return undefined
        return { path: args.path.replace(/^node:/, ''), namespace: 'wrapgen-builtin' }
      })
      build.onLoad({ filter: /.*/, namespace: 'wrapgen-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)})`, loader: 'js' }))
    },
  }
}

/** The oldest node runtime the layer supports, as an esbuild target (node18 when none is listed). */
export function nodeTarget(runtimes: readonly string[]): string {
  const majors = runtimes.map((r) => /^nodejs(\d+)\.x$/.exec(r)?.[1]).filter((m): m is string => !!m).map(Number)
  return `node${majors.length ? Math.min(...majors) : 18}`
}

/**
 * A local preload that exists but cannot be a hook's file: a folder, or a file wrapgen may not read.
 * Said before esbuild runs, which would call the first a missing module and the second "missing" too.
 * A path that does not exist is left to esbuild (it tries extensions: ./hooks/x finds x.ts).
 */
function checkLocalPreloads(config: ResolvedConfig): void {
  const details: string[] = []
  config.node.preloads.forEach((p, i) => {
    if (!p.import.startsWith('/')) return
    const where = `node.preloads[${i}].module: ${JSON.stringify(p.name)}`
    let folder: boolean
    try {
      folder = statSync(p.import).isDirectory()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EACCES') details.push(`${where} cannot be read: permission denied on a folder on its path; give the user running wrapgen access`)
      return
    }
    if (folder) details.push(`${where} is a folder; name the hook's file in it, e.g. "${p.name.replace(/\/+$/, '')}/index.ts"`)
    else {
      try {
        accessSync(p.import, constants.R_OK)
      } catch {
        details.push(`${where} exists but is not readable (permission denied); give the user running wrapgen read access`)
      }
    }
  })
  if (details.length > 0) throw new UserError(`cannot bundle the preload (${details.length} problem${details.length > 1 ? 's' : ''}); fix and run again`, { details })
}

/**
 * What every node bundle of the layer shares (the preload, each node.imports hook): in memory, for
 * node at `target`, the config's externals and mainFields, wrapgen's own modules by package path.
 */
export function nodeBundleOptions(config: ResolvedConfig, target: string): BuildOptions & { write: false; metafile: true } {
  return {
    absWorkingDir: config.root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    target,
    external: [...config.node.external],
    mainFields: [...config.node.mainFields],
    plugins: [wrapgenModules()],
    logLevel: 'silent',
    legalComments: 'inline',
  }
}

export async function bundlePreload(config: ResolvedConfig): Promise<Bundle> {
  checkLocalPreloads(config)
  const { build } = await import('esbuild')
  const target = nodeTarget(config.runtimes)
  const plugins = [wrapgenModules(), ...(config.node.codeCache ? [builtinDynamicImports()] : [])]
  const bundle = (bodies: ReadonlyMap<number, string>) =>
    build({
      stdin: { contents: renderPreloadEntry(config, bodies), resolveDir: config.root, sourcefile: ENTRY, loader: 'js' },
      ...nodeBundleOptions(config, target),
      plugins: [...plugins, hookBodies(config.root)],
      format: 'cjs',
    })
  let result
  try {
    result = await bundle(new Map())
  } catch (cause) {
    throw bundleError(cause, config)
  }
  // Built again with the CommonJS hooks' code as functions; a hook that esbuild cannot read that way
  // (what only sloppy mode allows, such as a delete of a bare name) keeps the first build.
  const bodies = hookBodyFiles(config, result.metafile)
  if (bodies.size > 0) result = await bundle(bodies).catch(() => result!)
  return { code: result.outputFiles[0]!.contents, rare: await bundleRare(target), target, inputs: inputsOf(result.metafile), external: config.node.external }
}

/**
 * The hooks whose module can come as a function of its own code (renderPreloadEntry's `bodies`): a
 * plain .js or .cjs file esbuild read as CommonJS, named by one hook only and imported by no other
 * module of the bundle (that one would get the same module object from a require, which a second
 * copy of its code would not give).
 */
function hookBodyFiles(config: ResolvedConfig, meta: Metafile): Map<number, string> {
  const entry = meta.inputs[ENTRY]
  const imported = new Set<string>()
  for (const [path, input] of Object.entries(meta.inputs)) for (const i of input.imports) if (path !== ENTRY) imported.add(i.path)
  const files = config.node.preloads.map((p) => entry?.imports.find((i) => i.kind === 'require-call' && i.original === specifier(p.import, config.root))?.path)
  const bodies = new Map<number, string>()
  files.forEach((file, i) => {
    if (file === undefined || !/\.c?js$/.test(file) || file.includes(':') || meta.inputs[file]?.format !== 'cjs') return
    if (imported.has(file) || files.indexOf(file) !== files.lastIndexOf(file)) return
    bodies.set(i, file)
  })
  return bodies
}

/**
 * Loads `wrapgen-hook-body:<file>` (a path relative to the root) as an ES module whose default export
 * is the file's code in a function of `exports` and `module`: what node's CommonJS loader runs it as.
 * Its requires resolve from its own folder, as before.
 */
function hookBodies(root: string): Plugin {
  const prefix = `${HOOK_BODY_NAMESPACE}:`
  return {
    name: 'wrapgen-hook-bodies',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${HOOK_BODY_NAMESPACE}:`) }, (args) => ({ path: args.path.slice(prefix.length), namespace: HOOK_BODY_NAMESPACE }))
      build.onLoad({ filter: /.*/, namespace: HOOK_BODY_NAMESPACE }, async (args) => {
        const file = join(root, args.path)
        // esbuild reads this module as strict code (it has an export), and would scope a function declared
        // in a block to the block: converted as the CommonJS file it is first, such a function is assigned
        // to a var of the module's scope, as sloppy mode does. The bundle itself stays sloppy code.
        const { code } = await build.esbuild.transform(readFileSync(file, 'utf8'), { loader: 'js', format: 'cjs', target: build.initialOptions.target ?? 'esnext', sourcefile: file })
        // A #! line is the file's first only (node skips it); the rest inside a function.
        return { contents: `export default (function (exports, module) {\n${code.replace(/^#!.*/, '')}})\n`, resolveDir: dirname(file), loader: 'js' }
      })
    },
  }
}

const rareByTarget = new Map<string, Promise<Uint8Array>>()

/**
 * preload-rare.cjs: wrapgen's own code only, so it depends on nothing of the config but the node target:
 * built once per target in a process (verify and the tests build many layers).
 */
function bundleRare(target: string): Promise<Uint8Array> {
  let made = rareByTarget.get(target)
  if (!made) {
    made = buildRare(target)
    // A failed build is not kept: the next layer tries again.
    made.catch(() => rareByTarget.delete(target))
    rareByTarget.set(target, made)
  }
  return made
}

async function buildRare(target: string): Promise<Uint8Array> {
  const { build } = await import('esbuild')
  const result = await build({
    stdin: { contents: "export { default } from 'wrapgen/preload/rare'", resolveDir: packageRoot(), sourcefile: 'wrapgen-preload-rare.js', loader: 'js' },
    bundle: true,
    write: false,
    platform: 'node',
    target,
    format: 'cjs',
    plugins: [wrapgenModules()],
    logLevel: 'silent',
    legalComments: 'inline',
  })
  return result.outputFiles[0]!.contents
}

function inputsOf(meta: Metafile): Bundle['inputs'] {
  const output = Object.values(meta.outputs)[0]
  return Object.entries(output?.inputs ?? {})
    .map(([path, v]) => ({ path: path.replace(`${HOOK_BODY_NAMESPACE}:`, '').replace(/^.*node_modules\//, 'node_modules/'), bytes: v.bytesInOutput }))
    .sort((a, b) => a.path.localeCompare(b.path))
}

/** Names the preload (by key path) whose module could not be built. */
function bundleError(cause: unknown, config: ResolvedConfig): UserError {
  const errors = (cause as { errors?: Message[] }).errors ?? []
  const details = errors.map((e) => {
    const missing = /Could not resolve "([^"]+)"/.exec(e.text)?.[1]
    const i = config.node.preloads.findIndex((p) => p.import === missing || p.name === missing || (missing !== undefined && p.import.endsWith(missing.replace(/^\.\//, '/'))))
    const where = e.location ? `${e.location.file}:${e.location.line}: ` : ''
    if (i >= 0) return `node.preloads[${i}].module: cannot resolve ${JSON.stringify(config.node.preloads[i]!.name)} from ${config.root}; check the path, or install the package there`
    return `${where}${e.text}`
  })
  return new UserError(`cannot bundle the preload (${details.length || 1} problem${details.length > 1 ? 's' : ''}); fix and run again`, {
    details: details.length ? details : [String(cause)],
    cause,
  })
}
