// The one writer: puts a built layer on disk as DIR/layer/ (the /opt tree), DIR/layer.zip, DIR/manifest.json.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { BuildResult } from '../build.js'

export interface Written {
  readonly layerDir: string
  readonly zip: string
  readonly manifest: string
}

export function writeLayer(result: BuildResult, outDir: string): Written {
  const layerDir = join(outDir, 'layer')
  // Only what a previous build wrote is removed: the folder may hold other things.
  rmSync(layerDir, { recursive: true, force: true })
  for (const f of result.files) {
    const path = join(layerDir, f.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, f.contents)
    chmodSync(path, f.mode) // explicit: the umask must not decide the wrapper's exec bit
  }
  const zip = join(outDir, 'layer.zip')
  const manifest = join(outDir, 'manifest.json')
  writeFileSync(zip, result.zip)
  writeFileSync(manifest, `${JSON.stringify(result.manifest, null, 2)}\n`)
  return { layerDir, zip, manifest }
}
