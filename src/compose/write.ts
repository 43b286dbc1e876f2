// compose's out folder, where nothing wrapgen compose did not write is ever replaced. The tree and zip
// writers it uses are in layer-tree/write.ts.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../errors.js'
import { COMPOSE_FILE } from '../layer-tree/compose-manifest.js'
import type { Tree } from '../layer-tree/types.js'
import { writeTree } from '../layer-tree/write.js'

/** What compose writes in its out folder; nothing else there is touched. */
const OURS = ['layer', 'layer.zip', 'manifest.json', COMPOSE_FILE]

/** Whether `dir` is new, empty, or a previous `wrapgen compose` output; otherwise a UserError. */
export function checkOutDir(dir: string): void {
  if (!existsSync(dir)) return
  if (!statSync(dir).isDirectory()) throw new UserError(`--out ${dir}: exists and is not a folder; give a new or empty folder`)
  const present = readdirSync(dir).filter((n) => OURS.includes(n))
  if (!present.length) return
  let generator: unknown
  try {
    generator = (JSON.parse(readFileSync(join(dir, COMPOSE_FILE), 'utf8')) as { generator?: unknown }).generator
  } catch {
    generator = undefined
  }
  if (generator !== 'wrapgen compose') throw new UserError(`--out ${dir}: holds ${present.join(', ')}, not written by wrapgen compose; give a new or empty folder (compose never overwrites files it did not write)`)
}

export interface ComposeOutput {
  readonly tree: Tree
  readonly zip: Buffer
  /** wrapgen build's manifest of its own files, and compose's manifest, as JSON text. */
  readonly manifest: string
  readonly compose: string
}

export function writeComposed(out: ComposeOutput, dir: string): { layerDir: string; zip: string; manifest: string; compose: string } {
  checkOutDir(dir)
  mkdirSync(dir, { recursive: true })
  const layerDir = join(dir, 'layer')
  rmSync(layerDir, { recursive: true, force: true })
  writeTree(out.tree, layerDir)
  const paths = { layerDir, zip: join(dir, 'layer.zip'), manifest: join(dir, 'manifest.json'), compose: join(dir, COMPOSE_FILE) }
  writeFileSync(paths.zip, out.zip)
  writeFileSync(paths.manifest, out.manifest)
  // Last: its presence marks the folder as compose's own for the next run.
  writeFileSync(paths.compose, out.compose)
  return paths
}
