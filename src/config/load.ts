// Finds and reads a config with cosmiconfig, through wrapgen's own loaders: sizes are bounded, every
// failure names the file (and line, where there is one), and a module that never finishes loading,
// or ends the process while loading, is an error rather than a silent exit 0.
import { lstatSync, readFileSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig'
import type { Plugin } from 'esbuild'
import { UserError } from '../errors.js'
import { packageRoot } from '../package-root.js'

export interface LoadedConfig {
  readonly raw: unknown
  /** Absolute path of the file it came from. */
  readonly configFile: string
  /** The config file's folder. */
  readonly root: string
}

export const SEARCH_PLACES = [
  'package.json',
  '.wrapgenrc',
  '.wrapgenrc.json',
  '.wrapgenrc.yaml',
  '.wrapgenrc.yml',
  '.wrapgenrc.js',
  '.wrapgenrc.mjs',
  '.wrapgenrc.cjs',
  '.wrapgenrc.ts',
  'wrapgen.config.ts',
  'wrapgen.config.mts',
  'wrapgen.config.cts',
  'wrapgen.config.mjs',
  'wrapgen.config.cjs',
  'wrapgen.config.js',
]

/** Largest config file read (package.json may carry much else). A real config is a few KiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024
const MAX_PACKAGE_JSON_BYTES = 16 * 1024 * 1024
/** Most values a config may hold, counting every use of a shared value (a YAML alias) again. */
export const MAX_CONFIG_VALUES = 100_000

const rel = (p: string): string => relative(process.cwd(), p) || p

function checkSize(filepath: string, content: string): void {
  const max = basename(filepath) === 'package.json' ? MAX_PACKAGE_JSON_BYTES : MAX_CONFIG_BYTES
  const bytes = Buffer.byteLength(content)
  if (bytes > max) throw new UserError(`${rel(filepath)}: ${(bytes / 1024 / 1024).toFixed(1)} MiB is too large for a config (at most ${max / 1024 / 1024} MiB)`)
}

/**
 * Refuses a config that expands to more than MAX_CONFIG_VALUES values: a YAML alias bomb (or a JS
 * config sharing one object many times, or a cycle) would otherwise take minutes and gigabytes to
 * validate and print. Shared values are counted at each use, as validation would visit them.
 */
export function checkConfigValues(raw: unknown, where: string): void {
  let count = 0
  const stack: unknown[] = [raw]
  while (stack.length > 0) {
    const v = stack.pop()
    if (++count > MAX_CONFIG_VALUES)
      throw new UserError(`${where}: the config holds more than ${MAX_CONFIG_VALUES} values (counting each use of a YAML alias or shared object); a real config is far smaller`)
    if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k])
  }
}

/** Reads the parser's reason: cosmiconfig prefixes "JSON Error in <path>:" and parsers add a code frame. */
const parserReason = (e: Error): string =>
  e.message.replace(/^\w+ Error in .*: *\n/, '').split('\n').find((l) => /^[A-Za-z]/.test(l))?.replace(/ while parsing .*$/, '') ?? e.message.split('\n')[0] ?? String(e)

const dataLoader = (parse: Loader): Loader => (filepath, content) => {
  checkSize(filepath, content)
  try {
    return parse(filepath, content)
  } catch (cause) {
    throw new UserError(`${rel(filepath)}: cannot read the config: ${parserReason(cause as Error)}`, { cause })
  }
}

/**
 * JSON configs (and package.json): JSON.parse says where it failed as a character position, or not at
 * all; esbuild's JSON parser says the line and column, and why in words ("JSON does not support
 * trailing commas"). Asked only once the file has failed to parse.
 */
const jsonLoader: Loader = async (filepath, content) => {
  checkSize(filepath, content)
  try {
    return defaultLoaders['.json'](filepath, content) as unknown
  } catch (cause) {
    throw await jsonError(filepath, content, cause)
  }
}

/** A JSON file that did not parse, as "file:line:column: cannot read the config: why". */
async function jsonError(filepath: string, content: string, cause: unknown): Promise<UserError> {
  const { transform } = await import('esbuild')
  let where = rel(filepath)
  let reason = parserReason(cause as Error)
  try {
    await transform(content, { loader: 'json', sourcefile: filepath, logLevel: 'silent' })
  } catch (e) {
    const first = (e as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }).errors?.[0]
    if (first?.location) where = `${where}:${first.location.line}:${first.location.column + 1}`
    if (first?.text) reason = first.text
  }
  return new UserError(`${where}: cannot read the config: ${reason}`, { cause })
}

/** A JS module's config: its default export (awaited, as cosmiconfig does), with a clear error for what is not one. */
async function defaultExport(filepath: string, mod: Record<string, unknown>): Promise<unknown> {
  if (!('default' in mod)) {
    const names = Object.keys(mod)
    throw new UserError(`${rel(filepath)}: has no default export${names.length ? ` (only ${names.slice(0, 5).join(', ')})` : ''}; write: export default defineConfig({ name: ... })`)
  }
  const value: unknown = await mod.default
  if (value === null || value === undefined)
    throw new UserError(`${rel(filepath)}: its default export is ${String(value)}; export the config object: export default defineConfig({ name: ... })`)
  return value
}

/** "file:line:col" of the file's first syntax error, found by esbuild (node does not say where, for ESM); undefined if it parses. */
async function syntaxLocation(filepath: string, content: string): Promise<string | undefined> {
  const { transform } = await import('esbuild')
  try {
    await transform(content, { loader: 'js', sourcefile: filepath, logLevel: 'silent' })
  } catch (e) {
    const loc = (e as { errors?: Array<{ location?: { line: number; column: number } | null }> }).errors?.[0]?.location
    return loc ? `${rel(filepath)}:${loc.line}:${loc.column + 1}` : rel(filepath)
  }
  return undefined
}

/** Why importing a config failed, as one line naming the file (and the line, for syntax errors). */
async function importFailure(filepath: string, content: string, cause: unknown): Promise<UserError> {
  if (cause instanceof UserError) return cause
  // A SyntaxError may also come from the config's own code (JSON.parse): only a parse failure is "syntax".
  const where = cause instanceof SyntaxError ? await syntaxLocation(filepath, content) : undefined
  if (where) return new UserError(`${where}: syntax error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : `threw ${typeof cause === 'string' ? JSON.stringify(cause) : String(cause)}`
  return new UserError(`${rel(filepath)}: cannot read the config: ${reason}`, { cause })
}

/** Thrown by process.exit while a config loads, to stop the config's own code there. */
class ExitDuringLoad extends Error {}

/** The loads in progress (several may run at once through the API), each with its way to fail. */
const loading = new Map<symbol, { readonly filepath: string; readonly fail: (e: unknown) => void }>()
let exitBefore: typeof process.exit | undefined

const failAll = (message: (file: string) => string, cause?: unknown): void => {
  for (const { filepath, fail } of [...loading.values()]) fail(new UserError(message(rel(filepath)), { cause }))
}
const onBeforeExit = (): void =>
  failAll((f) => `${f}: never finished loading: its code waits on something that never happens (e.g. await on a promise nothing resolves); the config must finish loading and export the config`)
const onUncaught = (e: unknown): void => {
  if (e instanceof ExitDuringLoad) return
  failAll((f) => `${f}: cannot read the config: ${e instanceof Error ? e.message : String(e)}`, e)
}
const exitDuringLoad = ((code?: number | string | null) => {
  failAll((f) => `${f}: called process.exit(${code ?? ''}) while loading; a config must export its settings, not end the process`)
  throw new ExitDuringLoad('process.exit during config load')
}) as typeof process.exit

function watch(): void {
  if (loading.size > 0) return
  exitBefore = process.exit
  process.exit = exitDuringLoad
  process.on('beforeExit', onBeforeExit)
  process.on('uncaughtException', onUncaught)
}

function unwatch(): void {
  if (loading.size > 0) return
  if (process.exit === exitDuringLoad && exitBefore) process.exit = exitBefore
  process.off('beforeExit', onBeforeExit)
  // Kept a moment longer: a timer's process.exit throws after the load has already failed.
  setImmediate(() => {
    if (loading.size === 0) process.off('uncaughtException', onUncaught)
  })
}

/**
 * Runs `load` (a config module's evaluation) with a watchdog. Node exits quietly, with code 0, when
 * its event loop empties; a module awaiting a promise nothing settles would make wrapgen exit 0
 * having done nothing. `beforeExit` fires exactly then, so the load fails instead. process.exit()
 * called by the config while it loads is turned into an error too (it does not end the process), as
 * is an uncaught exception thrown from its timers meanwhile.
 */
export function guardLoad<T>(filepath: string, load: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const id = Symbol(filepath)
    const settle = (): boolean => {
      if (!loading.delete(id)) return false
      unwatch()
      return true
    }
    watch()
    loading.set(id, { filepath, fail: (e) => void (settle() && reject(e)) })
    load().then(
      (v) => void (settle() && resolvePromise(v)),
      (e: unknown) => void (settle() && reject(e)),
    )
  })
}

/** Imports a module by URL under the watchdog and returns its config. */
async function importConfig(filepath: string, content: string, url: string): Promise<unknown> {
  try {
    return await guardLoad(filepath, async () => defaultExport(filepath, (await import(url)) as Record<string, unknown>))
  } catch (cause) {
    throw await importFailure(filepath, content, cause)
  }
}

const loadJs: Loader = async (filepath, content) => {
  checkSize(filepath, content)
  return importConfig(filepath, content, pathToFileURL(await realpath(filepath)).href)
}

/**
 * Makes the bundle loadable from anywhere: `wrapgen` is wrapgen's own defineConfig (bundled, so it
 * works where wrapgen is not installed beside the config); node's built-ins stay as they are; every
 * other package is resolved from the config's folder (as node would) and imported by absolute path.
 */
const resolveFromConfig = (): Plugin => ({
  name: 'wrapgen-config-imports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'wrapgen-config-imports') return undefined
      if (args.path === 'wrapgen') return { path: join(packageRoot(), 'src/config/define.ts') }
      if (isBuiltin(args.path)) return { path: args.path, external: true }
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'wrapgen-config-imports' })
      if (r.errors.length > 0) return { errors: r.errors }
      // require() takes a path; import takes a URL.
      return { path: args.kind === 'require-call' || args.kind === 'require-resolve' ? r.path : pathToFileURL(r.path).href, external: true }
    })
  },
})

let loadCount = 0

/**
 * Bundles a TypeScript config in memory (local imports inlined) and imports the bundle as a data:
 * URL: nothing is written beside the config (a read-only checkout works, a crashed load leaves
 * nothing behind). import.meta.url and require() behave as if the bundle were the config file.
 */
const loadTs: Loader = async (filepath, content) => {
  checkSize(filepath, content)
  const { build } = await import('esbuild')
  let out
  try {
    out = await build({
      entryPoints: [filepath],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      plugins: [resolveFromConfig()],
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(filepath).href) },
      // The bundle is ESM; a .cts config's require() of a package needs a require to call.
      // (Only for .cts: an ESM config may declare its own `require`.)
      banner: { js: filepath.endsWith('.cts') ? `import { createRequire as __wrapgenCreateRequire } from 'node:module'; const require = __wrapgenCreateRequire(${JSON.stringify(filepath)});` : '' },
      logLevel: 'silent',
    })
  } catch (cause) {
    // esbuild names the file at fault (the config or a file it imports), relative to process.cwd().
    const first = (cause as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors?.[0]
    const where = first?.location ? `${rel(resolve(first.location.file))}:${first.location.line}` : rel(filepath)
    throw new UserError(`${where}: ${first?.text ?? String(cause)}`, { cause })
  }
  // A comment makes each load a new module: a data: URL module is cached by its text.
  const code = `${out.outputFiles[0]!.text}\n//# wrapgen-load=${++loadCount}\n`
  return importConfig(filepath, content, `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
}

/** A --config that is not a readable regular file of sane size fails here, before any reading. */
function checkExplicit(file: string, given: string): void {
  let st
  try {
    st = lstatSync(file)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${given}: no such config file; check --config`, { cause })
    throw new UserError(`${given}: cannot read the config: ${(cause as Error).message}`, { cause })
  }
  if (st.isSymbolicLink()) return // followed by the loader; its target is checked when read
  if (st.isDirectory()) throw new UserError(`${given}: is a folder; --config takes the config file itself`)
  if (!st.isFile()) throw new UserError(`${given}: is not a regular file; --config takes the config file itself`)
  if (st.size > MAX_CONFIG_BYTES) throw new UserError(`${given}: ${(st.size / 1024 / 1024).toFixed(1)} MiB is too large for a config (at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB)`)
}

/** cosmiconfig with wrapgen's loaders. (It reads package.json for its own settings as it starts.) */
const explorer = (): ReturnType<typeof cosmiconfig> => {
  const yaml = dataLoader(defaultLoaders['.yaml'])
  return cosmiconfig('wrapgen', {
    searchPlaces: SEARCH_PLACES,
    loaders: {
      '.json': jsonLoader,
      '.yaml': yaml,
      '.yml': yaml,
      noExt: yaml,
      '.js': loadJs,
      '.mjs': loadJs,
      '.cjs': loadJs,
      '.ts': loadTs,
      '.mts': loadTs,
      '.cts': loadTs,
    },
    searchStrategy: 'project',
    cache: false,
  })
}

/** Loads `configFile`, or searches from `cwd` up to the nearest package root. */
export async function loadConfig(opts: { cwd: string; configFile?: string | undefined }): Promise<LoadedConfig> {
  const explicit = opts.configFile === undefined ? undefined : resolve(opts.cwd, opts.configFile)
  if (explicit) checkExplicit(explicit, opts.configFile!)
  let result
  try {
    result = explicit ? await explorer().load(explicit) : await explorer().search(opts.cwd)
  } catch (cause) {
    if (cause instanceof UserError) throw cause
    const e = cause as NodeJS.ErrnoException & { filepath?: string }
    if (e.code === 'ENOENT' && e.filepath === undefined && opts.configFile) throw new UserError(`${opts.configFile}: no such config file; check --config`, { cause })
    const where = e.filepath ?? (e instanceof Error ? e.message.match(/^(?:\w+ Error in )?(\/\S+?):/)?.[1] : undefined) ?? opts.configFile ?? opts.cwd
    // package.json, which cosmiconfig parses itself: where in it, as for the other JSON configs.
    if (where.endsWith('.json') && /JSON/.test(e instanceof Error ? e.message : '')) {
      let content: string | undefined
      try {
        content = readFileSync(where, 'utf8')
      } catch {
        content = undefined
      }
      if (content !== undefined) throw await jsonError(where, content, cause)
    }
    throw new UserError(`${rel(where)}: cannot read the config: ${e instanceof Error ? parserReason(e) : String(e)}`, { cause })
  }
  if (result && result.isEmpty && explicit) throw new UserError(`${opts.configFile}: the file is empty; write a config in it (see wrapgen init)`)
  if (!result || result.isEmpty) {
    const where = opts.configFile ?? (relative(process.cwd(), opts.cwd) || '.')
    throw new UserError(`${where}: no wrapgen config found; run "wrapgen init" to write one, or pass --config FILE`)
  }
  const raw = result.config && typeof result.config === 'object' && 'default' in result.config && Object.keys(result.config).length === 1
    ? (result.config as { default: unknown }).default
    : result.config
  checkConfigValues(raw, rel(result.filepath))
  return { raw, configFile: result.filepath, root: dirname(result.filepath) }
}
