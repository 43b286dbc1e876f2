// compose's writers: a tree onto disk exactly (modes, symlinks as links, folders), the composed zip
// (deterministic, like build's, plus symlinks and folders), and the out folder, where nothing wrapgen
// compose did not write is ever replaced.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import yazl from 'yazl'
import { UserError } from '../errors.js'
import { EPOCH, finishZip } from '../layer/zip.js'
import type { LayerComposeManifest, Tree } from './types.js'

/** Refuses an entry below a file or a symlink: written as is, it would land outside the tree (zip slip). */
export function assertPlainParents(tree: Tree, source: string): void {
  for (const path of tree.keys()) {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const parent = tree.get(path.slice(0, i))
      if (parent && parent.kind !== 'dir') throw new UserError(`${source}: ${path} lies below ${path.slice(0, i)}, which is a ${parent.kind}; the layer is malformed or unsafe, and compose does not unpack it`)
    }
  }
}

/** Writes `tree` under `dir` (which must not exist yet): files with their modes, symlinks verbatim. */
export function writeTree(tree: Tree, dir: string): void {
  assertPlainParents(tree, dir)
  mkdirSync(dir, { recursive: true })
  const dirs: Array<[string, number]> = []
  for (const [path, e] of tree) {
    const full = join(dir, path)
    if (e.kind === 'dir') {
      mkdirSync(full, { recursive: true })
      dirs.push([full, e.mode])
    } else if (e.kind === 'symlink') symlinkSync(e.target, full)
    else {
      // wx: never through something already there (a link would redirect the write).
      writeFileSync(full, e.data, { flag: 'wx' })
      chmodSync(full, e.mode) // explicit: the umask must not decide an exec bit
    }
  }
  // Folders last, deepest first: a read-only folder must not stop its own contents being written.
  for (const [full, mode] of dirs.reverse()) chmodSync(full, mode)
}

/** The composed tree as a zip: sorted, build's fixed timestamp, modes and symlinks kept. */
export function zipTree(tree: Tree, comment: string): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const opts = { mtime: EPOCH, forceDosTimestamp: true }
  for (const [path, e] of [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e.kind === 'dir') zip.addEmptyDirectory(`${path}/`, { ...opts, mode: 0o040000 | e.mode })
    else if (e.kind === 'symlink') zip.addBuffer(Buffer.from(e.target), path, { ...opts, mode: 0o120777, compress: false })
    else zip.addBuffer(Buffer.from(e.data), path, { ...opts, mode: 0o100000 | e.mode, compress: true })
  }
  return finishZip(zip, comment)
}

export const COMPOSE_FILE = 'compose.json'

/** The text of the in-layer copy of `m`: what is shipped, and what verify compares the copy beside the layer with. */
export function layerManifestText(m: LayerComposeManifest & { readonly config?: unknown }): string {
  const { config: _config, ...shipped } = m
  return `${JSON.stringify(shipped, null, 2)}\n`
}

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
