// Finds and reads a config with cosmiconfig; `.ts`/`.mts`/`.cts` configs go through esbuild so they may import local files.
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cosmiconfig, type Loader } from 'cosmiconfig'
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

/** Bundles a TypeScript config (local imports inlined, packages left external) and imports the result. */
const loadTs: Loader = async (filepath) => {
  const { build } = await import('esbuild')
  const dir = dirname(filepath)
  let out
  try {
    out = await build({
      entryPoints: [filepath],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // `import { defineConfig } from 'wrapgen'` works even where wrapgen is not installed beside the config.
      alias: { wrapgen: join(packageRoot(), 'src/config/define.ts') },
      // The bundle is ESM; a .cts config's require() of a package needs a require to call.
      // (Only for .cts: an ESM config may declare its own `require`.)
      banner: { js: filepath.endsWith('.cts') ? "import { createRequire as __wrapgenCreateRequire } from 'node:module'; const require = __wrapgenCreateRequire(import.meta.url);" : '' },
      logLevel: 'silent',
    })
  } catch (cause) {
    const first = (cause as { errors?: Array<{ text: string; location?: { line: number } }> }).errors?.[0]
    throw new UserError(`${rel(filepath)}${first?.location ? `:${first.location.line}` : ''}: ${first?.text ?? String(cause)}`, { cause })
  }
  // Written beside the config so that its package imports resolve from the config's node_modules.
  const tmp = join(dir, `.wrapgen.config.${randomBytes(6).toString('hex')}.mjs`)
  writeFileSync(tmp, out.outputFiles[0]!.contents)
  try {
    const mod = (await import(pathToFileURL(tmp).href)) as { default?: unknown }
    return mod.default
  } finally {
    rmSync(tmp, { force: true })
  }
}

const rel = (p: string): string => relative(process.cwd(), p) || p

/** Loads `configFile`, or searches from `cwd` up to the nearest package root. */
export async function loadConfig(opts: { cwd: string; configFile?: string | undefined }): Promise<LoadedConfig> {
  const explorer = cosmiconfig('wrapgen', {
    searchPlaces: SEARCH_PLACES,
    loaders: { '.ts': loadTs, '.mts': loadTs, '.cts': loadTs },
    searchStrategy: 'project',
    cache: false,
  })
  let result
  try {
    result = opts.configFile ? await explorer.load(resolve(opts.cwd, opts.configFile)) : await explorer.search(opts.cwd)
  } catch (cause) {
    if (cause instanceof UserError) throw cause
    // cosmiconfig records the file a loader failed on as `filepath` and prefixes "JSON Error in <path>:\n".
    const e = cause as NodeJS.ErrnoException & { filepath?: string }
    if (e.code === 'ENOENT' && e.filepath === undefined && opts.configFile) throw new UserError(`${opts.configFile}: no such config file; check --config`, { cause })
    const where = e.filepath ?? e.message.match(/^(\/\S+?):/)?.[1] ?? opts.configFile ?? opts.cwd
    // The reason is the first line of prose: parse errors come with a code frame ("  1 | ...", "> 2 |").
    const reason = e.message.replace(/^\w+ Error in .*: *\n/, '').split('\n').find((l) => /^[A-Za-z]/.test(l))?.replace(/ while parsing .*$/, '') ?? e.message.split('\n')[0]
    throw new UserError(`${rel(where)}: cannot read the config: ${reason}`, { cause })
  }
  if (!result || result.isEmpty) {
    const where = opts.configFile ?? (relative(process.cwd(), opts.cwd) || '.')
    throw new UserError(`${where}: no wrapgen config found; run "wrapgen init" to write one, or pass --config FILE`)
  }
  const raw = result.config && typeof result.config === 'object' && 'default' in result.config && Object.keys(result.config).length === 1
    ? (result.config as { default: unknown }).default
    : result.config
  return { raw, configFile: result.filepath, root: dirname(result.filepath) }
}
