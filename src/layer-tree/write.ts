// A layer tree onto disk exactly (modes, symlinks as links, folders), and as a zip (deterministic, like
// build's, plus symlinks and folders). Compose writes the merged /opt and the composed layer with them.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import yazl from 'yazl'
import { UserError } from '../errors.js'
import { EPOCH, finishZip } from '../layer/zip.js'
import type { Tree } from './types.js'

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

/**
 * The composed tree as a zip: sorted, build's fixed timestamp, modes and symlinks kept. Files are
 * compressed one at a time as the zip is written (a stream each, opened when its turn comes): yazl's
 * addBuffer starts every deflate at once, and 50,000 small files took 11 GB and two minutes.
 */
export function zipTree(tree: Tree, comment: string): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const opts = { mtime: EPOCH, forceDosTimestamp: true }
  for (const [path, e] of [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e.kind === 'dir') zip.addEmptyDirectory(`${path}/`, { ...opts, mode: 0o040000 | e.mode })
    else if (e.kind === 'symlink') zip.addBuffer(Buffer.from(e.target), path, { ...opts, mode: 0o120777, compress: false })
    else zip.addReadStreamLazy(path, { ...opts, mode: 0o100000 | e.mode, compress: true, size: e.data.byteLength }, (cb) => cb(null, Readable.from([Buffer.from(e.data)])))
  }
  return finishZip(zip, comment)
}
