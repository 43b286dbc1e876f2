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
  const texts = inputs.map((input) => textFiles(input.tree))
  const conflicts: Conflict[] = []
  for (const [path, list] of shipped) {
    if (list.length < 2 || list.every((v) => v.entry.kind === 'dir')) continue
    const winner = list[list.length - 1]!
    const losers = list.filter((v) => !same(v.entry, winner.entry))
    if (!losers.length) continue
    const breaks: Array<{ layer: number; reason: string }> = []
    for (const loser of losers) {
      if (breaks.some((b) => b.layer === loser.layer)) continue
      const reason = whyBroken(path, loser.entry, winner.entry, inputs[loser.layer]!, texts[loser.layer]!)
      if (reason) breaks.push({ layer: loser.layer, reason })
    }
    conflicts.push({ path, layers: [...new Set(list.map((v) => v.layer))], winner: winner.layer, differs: differs(losers[losers.length - 1]!.entry, winner.entry), breaks })
  }
  return { tree: new Map([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), conflicts }
}

/** A layer's text files (scripts, JS, JSON, config), for finding which of them name a path. */
function textFiles(tree: Tree): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const [path, e] of tree) {
    if (e.kind !== 'file' || e.data.byteLength > 1024 * 1024) continue
    const head = e.data.subarray(0, 8192)
    if (head.includes(0)) continue
    out.push([path, Buffer.from(e.data).toString('utf8')])
  }
  return out
}

/**
 * Why losing `path` breaks the layer that shipped `lost`: it is that layer's wrapper, a folder of its,
 * or one of its files names it (by its /opt path, or by its file name from a file in the same folder,
 * the way `"$(dirname "$0")/init.mjs"` or `require('./init.mjs')` do). A file nothing names may be
 * unused; it is still reported as a conflict, not as a break.
 */
function whyBroken(path: string, lost: TreeEntry, won: TreeEntry, input: MergeInput, texts: Array<[string, string]>): string | undefined {
  const abs = `/opt/${path}`
  if (input.wrapper === abs) return `its exec wrapper ${abs} is replaced by another layer's file, so its own never runs`
  if (lost.kind === 'dir' && won.kind !== 'dir') return `its folder ${abs}/ is replaced by a ${won.kind}`
  const dir = posix.dirname(path)
  const base = posix.basename(path)
  for (const [file, text] of texts) {
    if (file === path) continue
    if (text.includes(abs)) return `its ${`/opt/${file}`} names ${abs}`
    if (base.length >= 3 && posix.dirname(file) === dir && new RegExp(`(^|[^A-Za-z0-9_.-])${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`, 'm').test(text))
      return `its /opt/${file} names ${base} beside it`
  }
  return undefined
}
