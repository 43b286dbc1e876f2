// The layer an invoke run mounts at /opt: an already-built tree (--layer), or one built now from the
// config into a temp folder with the same build and writer as `wrapgen build`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildLayer } from '../build.js'
import type { ResolvedConfig } from '../config/types.js'
import { writeLayer } from '../layer/write.js'

export interface PreparedLayer {
  /** The /opt tree (holds wrapgen/exec). */
  readonly layerDir: string
  readonly remove: () => void
}

export async function buildTempLayer(config: ResolvedConfig): Promise<PreparedLayer> {
  const result = await buildLayer(config)
  const out = mkdtempSync(join(tmpdir(), 'wrapgen-invoke-layer-'))
  try {
    const { layerDir } = writeLayer(result, out)
    return { layerDir, remove: () => rmSync(out, { recursive: true, force: true }) }
  } catch (e) {
    rmSync(out, { recursive: true, force: true })
    throw e
  }
}
