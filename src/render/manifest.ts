// The manifest: what the layer holds and how to attach it, as JSON (written in the layer and beside it).
import { createHash } from 'node:crypto'
import type { ResolvedConfig } from '../config/types.js'
import type { Bundle } from '../layer/bundle.js'
import type { LayerFile } from '../layer/files.js'
import { LAYER_DIR, PRELOAD_FILE, WRAPPER_FILE, type Plan } from '../plan/types.js'

export interface Manifest {
  readonly name: string
  readonly id: string
  readonly wrapgenVersion: string
  readonly configHash: string
  readonly failMode: 'open' | 'closed'
  /** Absolute paths on the function's file system. */
  readonly wrapper: string
  readonly preload: string | null
  /** Variables to set on the function. */
  readonly functionEnvironment: Readonly<Record<string, string>>
  readonly compatibleRuntimes: readonly string[]
  readonly chain: readonly string[]
  readonly files: ReadonlyArray<{ readonly path: string; readonly mode: string; readonly size: number; readonly sha256: string }>
  readonly bundle: { readonly target: string; readonly bytes: number; readonly external: readonly string[]; readonly inputs: Bundle['inputs'] } | null
}

export function renderManifest(opts: {
  config: ResolvedConfig
  plan: Plan
  configHash: string
  version: string
  files: readonly LayerFile[]
  bundle: Bundle | undefined
}): Manifest {
  const { config, plan, bundle } = opts
  const wrapper = `/opt/${LAYER_DIR}/${WRAPPER_FILE}`
  return {
    name: config.name,
    id: plan.id,
    wrapgenVersion: opts.version,
    configHash: opts.configHash,
    failMode: config.failMode,
    wrapper,
    preload: bundle ? `/opt/${LAYER_DIR}/${PRELOAD_FILE}` : null,
    functionEnvironment: { AWS_LAMBDA_EXEC_WRAPPER: wrapper },
    // The custom-runtime shim makes the layer useful on the OS-only runtimes too.
    compatibleRuntimes: config.customRuntime.bootstrap ? [...config.runtimes, 'provided.al2', 'provided.al2023'] : config.runtimes,
    chain: config.chain,
    files: opts.files.map((f) => ({
      path: f.path,
      mode: `0${f.mode.toString(8)}`,
      size: f.contents.byteLength,
      sha256: createHash('sha256').update(f.contents).digest('hex'),
    })),
    bundle: bundle ? { target: bundle.target, bytes: bundle.code.byteLength, external: bundle.external, inputs: bundle.inputs } : null,
  }
}
