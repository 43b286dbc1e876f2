// The programmatic `build`: what `wrapgen build` does, for scripts and other tools.
import { resolve } from 'node:path'
import { buildLayer, type BuildResult } from './build.js'
import { openConfig } from './config/open.js'
import type { WrapgenConfig } from './config/types.js'
import type { Finding } from './config/validate.js'
import { writeLayer, type Written } from './layer/write.js'

export interface BuildOptions {
  /** Where the config search starts and relative paths resolve. @default process.cwd() */
  readonly cwd?: string
  /** A config file instead of searching. */
  readonly configFile?: string
  /** An inline config instead of a file. */
  readonly config?: WrapgenConfig
  /** Output folder; relative to the config's folder. @default 'dist' */
  readonly outDir?: string
  /** Set false to build in memory only. @default true */
  readonly write?: boolean
  readonly onWarning?: (w: Finding) => void
}

/** Loads and validates the config, builds the layer, and writes DIR/layer/, DIR/layer.zip, DIR/manifest.json. */
export async function build(opts: BuildOptions = {}): Promise<BuildResult & { written: Written | undefined }> {
  const cwd = opts.cwd ?? process.cwd()
  const config = await openConfig({ cwd, configFile: opts.configFile, config: opts.config, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) })
  const result = await buildLayer(config)
  const written = opts.write === false ? undefined : writeLayer(result, resolve(config.root, opts.outDir ?? 'dist'))
  return { ...result, written }
}
