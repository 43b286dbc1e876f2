// Layers as folders (unpacked /opt trees) laid out as Lambda does: it extracts a function's layers into
// /opt in order, a later layer's file replacing an earlier one's. verify lays out its /opt with this;
// `invoke --with-layer DIR` merges other layers' trees beside wrapgen's, reporting the clashes, so a
// vendor's extension (or runtime files) runs with the function as it would on Lambda.
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, type Stats } from 'node:fs'
import { join, relative } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { UserError } from '../errors.js'

export interface MergedLayers {
  /** The combined /opt tree. */
  readonly dir: string
  /** /opt paths that a later tree replaced. */
  readonly clashes: readonly string[]
  readonly remove: () => void
}

/** Every file (and symlink) under `dir`, as paths relative to it, sorted. */
export function layerFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (lstatSync(p).isDirectory()) walk(p)
      else out.push(relative(dir, p).split('\\').join('/'))
    }
  }
  walk(dir)
  return out
}

/** The /opt tree of a --with-layer argument: the folder itself (an unpacked layer zip). */
export function withLayerTree(dir: string): string {
  if (dir.endsWith('.zip') && existsSync(dir) && statSync(dir).isFile()) throw new UserError(`--with-layer ${dir}: a zip; unzip it first (unzip -d some-folder ${dir}) and give the folder`)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--with-layer ${dir}: not a folder; give an unpacked layer (the tree that goes under /opt)`)
  return dir
}

/**
 * Lays `trees` into `dir` in order, as Lambda unpacks layers into /opt: a later tree's file or link
 * replaces an earlier one's at the same path (a vendor's symlinked wrapper over a copy of it), and a
 * file replacing a folder takes the folder's contents. A folder and a symlink at one path are refused
 * with the path: unpacked one over the other, the folder's files would land where the link points.
 * Modes are kept but setuid and setgid (unpacked by Lambda without them, and never to be set by
 * wrapgen on a host); symlinks are copied as they are and never followed, so nothing lands outside
 * `dir`. Anything else (a FIFO, a socket, a device) is refused with its path: a layer cannot hold it.
 */
export function layOut(dir: string, trees: readonly string[]): void {
  const lstat = (p: string): Stats | undefined => lstatSync(p, { throwIfNoEntry: false })
  // Folders get their modes last, deepest first: a read-only folder must not stop its own contents.
  const modes = new Map<string, number>()
  const put = (src: string, dest: string): void => {
    const st = lstatSync(src)
    const have = lstat(dest)
    if ((st.isDirectory() && have?.isSymbolicLink()) || (st.isSymbolicLink() && have?.isDirectory())) {
      const at = `/opt/${relative(dir, dest)}`
      throw new UserError(`${src}: ${at} is a ${st.isDirectory() ? 'folder' : 'symlink'} here and a ${st.isDirectory() ? 'symlink' : 'folder'} in an earlier layer tree; unpacked one over the other, files would land where the link points: remove one of them`)
    }
    if (st.isDirectory()) {
      if (have && !have.isDirectory()) rmSync(dest, { recursive: true, force: true })
      if (!have?.isDirectory()) mkdirSync(dest)
      chmodSync(dest, 0o755)
      for (const name of readdirSync(src)) put(join(src, name), join(dest, name))
      modes.set(dest, st.mode & 0o1777)
      return
    }
    if (!st.isSymbolicLink() && !st.isFile()) throw new UserError(`${src}: not a file, folder or symlink (a FIFO, socket or device); a layer cannot hold it, so remove it from the folder`)
    if (have) {
      rmSync(dest, { recursive: true, force: true })
      modes.delete(dest)
    }
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dest)
    else {
      copyFileSync(src, dest)
      chmodSync(dest, st.mode & 0o1777)
    }
  }
  if (!lstat(dir)?.isDirectory()) mkdirSync(dir, { recursive: true })
  for (const tree of trees) {
    if (!lstat(tree)?.isDirectory()) throw new UserError(`${tree}: not a folder; give an unpacked layer (the tree that goes under /opt)`)
    for (const name of readdirSync(tree)) put(join(tree, name), join(dir, name))
  }
  for (const [d, mode] of [...modes].sort(([a], [b]) => b.length - a.length)) if (lstat(d)?.isDirectory()) chmodSync(d, mode)
}

/** `base` (wrapgen's layer, if any) then each of `extra`, in order, into one temp tree. */
export function mergeLayers(base: string | undefined, extra: readonly string[]): MergedLayers {
  const dir = makeTemp('invoke-layers')
  try {
    const seen = new Set<string>()
    const clashes: string[] = []
    for (const tree of [...(base ? [base] : []), ...extra.map(withLayerTree)]) {
      for (const f of layerFiles(tree)) {
        if (seen.has(f)) clashes.push(`/opt/${f}`)
        seen.add(f)
      }
      layOut(dir, [tree])
    }
    return { dir, clashes: [...new Set(clashes)].sort(), remove: () => removeTemp(dir) }
  } catch (e) {
    removeTemp(dir)
    throw e
  }
}
