// Layers as folders (unpacked /opt trees) laid out as Lambda does: it extracts a function's layers into
// /opt in order, a later layer's file replacing an earlier one's. verify lays out its /opt with this;
// `invoke --with-layer DIR` merges other layers' trees beside wrapgen's, reporting the clashes, so a
// vendor's extension (or runtime files) runs with the function as it would on Lambda.
import { cpSync, existsSync, lstatSync, readdirSync, statSync } from 'node:fs'
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

/** Copies `trees` into `dir` in order, a later tree's file replacing an earlier one's; modes (the exec bit) and symlinks as they are. */
export function layOut(dir: string, trees: readonly string[]): void {
  for (const tree of trees) cpSync(tree, dir, { recursive: true, force: true, verbatimSymlinks: true })
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
