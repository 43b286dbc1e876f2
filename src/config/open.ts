// Load + resolve in one call, with the runtime catalogue supplying known and default runtimes.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadCatalogue } from '../runtimes/catalogue.js'
import { checkConfigValues, loadConfig } from './load.js'
import { supportedRuntimes } from '../runtimes/supported.js'
import { resolveConfig } from './resolve.js'
import type { ResolvedConfig, WrapgenConfig } from './types.js'
import type { Finding } from './validate.js'

export interface OpenOptions {
  readonly cwd: string
  readonly configFile?: string | undefined
  /** An inline config instead of a file (relative paths resolve from cwd). */
  readonly config?: WrapgenConfig | undefined
  readonly onWarning?: (w: Finding) => void
}

/** Every runtime in the catalogue that runs exec wrappers. */
export function wrappableRuntimes(): string[] {
  return [...new Set(loadCatalogue().runtimes.filter((r) => r.family !== 'none').map((r) => r.id))]
}

/** Whether `path` names a regular file in `root` (never outside it: "../x" is a local path anyway). */
function isFileIn(root: string, path: string): boolean {
  try {
    return statSync(resolve(root, path)).isFile()
  } catch {
    return false
  }
}

export async function openConfig(opts: OpenOptions): Promise<ResolvedConfig> {
  const loaded = opts.config !== undefined
    ? { raw: opts.config, configFile: undefined, root: opts.cwd }
    : await loadConfig({ cwd: opts.cwd, configFile: opts.configFile })
  if (opts.config !== undefined) checkConfigValues(opts.config, 'the config')
  const runtimes = wrappableRuntimes()
  return resolveConfig(loaded.raw, {
    configFile: loaded.configFile,
    root: loaded.root,
    knownRuntimes: runtimes,
    // Not every known runtime: the deprecated ones are accepted when listed, not added by default.
    defaultRuntimes: supportedRuntimes(loadCatalogue()),
    nodeOptionsFlags: process.allowedNodeEnvironmentFlags,
    isFile: (path) => isFileIn(loaded.root, path),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  })
}
