// The layer an invoke run mounts at /opt: an already-built tree (--layer), or one built now from the
// config into a temp folder with the same build and writer as `wrapgen build`.
import { buildLayer } from '../build.js'
import { makeTemp, removeTemp } from '../cleanup.js'
import type { ResolvedConfig } from '../config/types.js'
import { writeLayer } from '../layer/write.js'

export interface PreparedLayer {
  /** The /opt tree (holds wrapgen/exec). */
  readonly layerDir: string
  readonly remove: () => void
}

export async function buildTempLayer(config: ResolvedConfig): Promise<PreparedLayer> {
  const result = await buildLayer(config)
  // Registered with cleanup.ts: an interrupted invoke removes it too.
  const out = makeTemp('invoke-layer')
  try {
    const { layerDir } = writeLayer(result, out)
    return { layerDir, remove: () => removeTemp(out) }
  } catch (e) {
    removeTemp(out)
    throw e
  }
}
