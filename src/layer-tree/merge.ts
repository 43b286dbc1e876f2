// Lambda unpacks a function's layers into /opt one after another, in the order they are listed, and
// a later layer's file replaces an earlier one's at the same path without a word. This is that merge,
// in memory, with every path that two layers ship differently reported: who wins, and whether the
// loser still works (its wrapper replaced, or a file of its that names the lost path).
import { posix } from 'node:path'
import type { Conflict, Tree, TreeEntry } from './types.js'

export interface MergeInput {
  readonly tree: Tree
  readonly wrapper: string | undefined
}

export interface Merged {
  /** The /opt tree as the function would see it, each entry with the input it came from. */
  readonly tree: ReadonlyMap<string, TreeEntry & { readonly from: number }>
  readonly conflicts: readonly Conflict[]
}

const same = (a: TreeEntry, b: TreeEntry): boolean =>
  a.kind === b.kind && (a.kind === 'dir' || (a.kind === 'file' && b.kind === 'file' ? a.sha256 === b.sha256 && a.mode === b.mode : a.kind === 'symlink' && b.kind === 'symlink' && a.target === b.target))

function differs(a: TreeEntry, b: TreeEntry): Conflict['differs'] {
  if (a.kind !== b.kind) return 'kind'
  return a.kind === 'file' && b.kind === 'file' && a.sha256 === b.sha256 ? 'mode' : 'contents'
}

export function mergeLayers(inputs: readonly MergeInput[]): Merged {
  const tree = new Map<string, TreeEntry & { from: number }>()
  const shipped = new Map<string, Array<{ layer: number; entry: TreeEntry }>>()
  for (const [i, input] of inputs.entries()) {
    for (const [path, entry] of input.tree) {
      const list = shipped.get(path) ?? []
      list.push({ layer: i, entry })
      shipped.set(path, list)
      const before = tree.get(path)
      // A file or link replacing a folder takes the folder's contents with it (and a folder replacing a
      // file is the reverse case: its own entries follow).
      if (entry.kind !== 'dir' && before?.kind === 'dir') for (const k of [...tree.keys()]) if (k.startsWith(`${path}/`)) tree.delete(k)
      tree.set(path, { ...entry, from: i })
    }
  }
  const conflicts: Conflict[] = []
  const pending: Array<{ path: string; list: Array<{ layer: number; entry: TreeEntry }>; winner: { layer: number; entry: TreeEntry }; losers: Array<{ layer: number; entry: TreeEntry }> }> = []
  for (const [path, list] of shipped) {
    if (list.length < 2 || list.every((v) => v.entry.kind === 'dir')) continue
    const winner = list[list.length - 1]!
    const losers = list.filter((v) => !same(v.entry, winner.entry))
    if (losers.length) pending.push({ path, list, winner, losers })
  }
  // Which files of each losing layer name a lost path: one pass over each such layer's text.
  const refs = new Map<number, References>()
  for (const l of new Set(pending.flatMap((c) => c.losers.map((v) => v.layer)))) {
    refs.set(l, findReferences(inputs[l]!.tree, pending.filter((c) => c.losers.some((v) => v.layer === l)).map((c) => c.path)))
  }
  for (const { path, list, winner, losers } of pending) {
    const breaks: Array<{ layer: number; reason: string }> = []
    for (const loser of losers) {
      if (breaks.some((b) => b.layer === loser.layer)) continue
      const reason = whyBroken(path, loser.entry, winner.entry, inputs[loser.layer]!, refs.get(loser.layer)!)
      if (reason) breaks.push({ layer: loser.layer, reason })
    }
    conflicts.push({ path, layers: [...new Set(list.map((v) => v.layer))], winner: winner.layer, differs: differs(losers[losers.length - 1]!.entry, winner.entry), breaks })
  }
  return { tree: new Map([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), conflicts }
}

/** For each lost path, the first file of the layer (other than itself) that names it, and how. */
type References = ReadonlyMap<string, { readonly file: string; readonly how: 'path' | 'sibling' }>

/**
 * Scans a layer's text files (scripts, JS, JSON; binaries and files over 1 MiB are skipped) once for
 * the given paths: by their /opt path anywhere, or by their file name from a file in the same folder,
 * the way `"$(dirname "$0")/init.mjs"` or `require('./init.mjs')` do.
 */
function findReferences(tree: Tree, paths: readonly string[]): References {
  const byAbs = new Map(paths.map((p) => [`/opt/${p}`, p]))
  const byDir = new Map<string, Map<string, string>>()
  for (const p of paths) {
    const base = posix.basename(p)
    if (base.length < 3) continue
    const m = byDir.get(posix.dirname(p)) ?? new Map<string, string>()
    m.set(base, p)
    byDir.set(posix.dirname(p), m)
  }
  const found = new Map<string, { file: string; how: 'path' | 'sibling' }>()
  for (const [file, e] of tree) {
    if (e.kind !== 'file' || e.data.byteLength > 1024 * 1024 || e.data.subarray(0, 8192).includes(0)) continue
    const text = Buffer.from(e.data).toString('utf8')
    for (const [ref] of text.matchAll(/\/opt\/[A-Za-z0-9_.@+\/-]+/g)) {
      const p = byAbs.get(ref.replace(/[./]+$/, ''))
      if (p !== undefined && p !== file && !found.has(p)) found.set(p, { file, how: 'path' })
    }
    const siblings = byDir.get(posix.dirname(file))
    if (!siblings) continue
    for (const [token] of text.matchAll(/[A-Za-z0-9_.-]+/g)) {
      const p = siblings.get(token.replace(/\.+$/, ''))
      if (p !== undefined && p !== file && !found.has(p)) found.set(p, { file, how: 'sibling' })
    }
  }
  return found
}

/**
 * Why losing `path` breaks the layer that shipped `lost`: it is that layer's wrapper, a folder of its,
 * or one of its files names it. A file nothing names may be unused: still a conflict, not a break. A
 * copy that differs only in mode breaks only what loses its exec bit.
 */
function whyBroken(path: string, lost: TreeEntry, won: TreeEntry, input: MergeInput, refs: References): string | undefined {
  const abs = `/opt/${path}`
  if (lost.kind === 'file' && won.kind === 'file' && lost.sha256 === won.sha256 && !((lost.mode & 0o111) !== 0 && (won.mode & 0o111) === 0)) return undefined
  if (input.wrapper === abs) return `its exec wrapper ${abs} is replaced by another layer's file, so its own never runs`
  if (lost.kind === 'dir' && won.kind !== 'dir') return `its folder ${abs}/ is replaced by a ${won.kind}`
  const ref = refs.get(path)
  if (!ref) return undefined
  return ref.how === 'path' ? `its /opt/${ref.file} names ${abs}` : `its /opt/${ref.file} names ${posix.basename(path)} beside it`
}
