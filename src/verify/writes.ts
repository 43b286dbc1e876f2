// Writes outside /tmp, seen on the file system: one run per runtime gets writable copies of the Lambda
// tree (/opt, /var/task, /var/runtime, /var/lang) and, sandboxed, a root of its own, each from a fresh
// temp folder; whatever is new or changed there afterwards is a write that fails on Lambda, where only
// /tmp is writable. (The host's /usr and /etc stay read-only binds: a write there fails here too.)
import { chmodSync, cpSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'

/** A snapshot of the files under a folder: relative path -> size and mtime. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else out.set(relative(dir, p), `${st.size}:${st.mtimeMs}:${st.mode}`)
    }
  }
  walk(dir)
  return out
}

/** Writable for anyone (the sandbox's uid is not the owner), so an attempt becomes a visible write. */
function openUp(dir: string): void {
  chmodSync(dir, 0o777)
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = lstatSync(p)
    if (st.isSymbolicLink()) continue
    if (st.isDirectory()) openUp(p)
    else chmodSync(p, (st.mode & 0o777) | 0o666)
  }
}

export interface WritableTree {
  /** Lambda path -> host folder, writable. */
  readonly dirs: ReadonlyArray<readonly [string, string]>
  /** An empty folder to mount at / (sandboxed): writes anywhere else land there. */
  readonly root: string
  /** Lambda paths written since the copy was made. */
  readonly written: () => string[]
  readonly remove: () => void
}

/** Writable copies of `trees` ([Lambda path, host folder]) in a fresh temp folder. */
export function writableTree(trees: ReadonlyArray<readonly [string, string]>): WritableTree {
  const base = makeTemp('writes')
  chmodSync(base, 0o755)
  const root = join(base, 'root')
  mkdirSync(root)
  chmodSync(root, 0o777)
  const dirs = trees.map(([lambda, host], i) => {
    const copy = join(base, String(i))
    cpSync(host, copy, { recursive: true, dereference: false })
    openUp(copy)
    return [lambda, copy] as const
  })
  const before = dirs.map(([, copy]) => snapshot(copy))
  // bubblewrap makes mount points (empty folders) and its /bin-style symlinks in the root: not writes.
  const own = new Set(['bin', 'lib', 'lib64', 'sbin'])
  return {
    dirs,
    root,
    written: () => {
      const out: string[] = []
      dirs.forEach(([lambda, copy], i) => {
        for (const [p, sig] of snapshot(copy)) if (before[i]!.get(p) !== sig) out.push(join(lambda, p))
      })
      for (const [p] of snapshot(root)) if (!own.has(p) && !statSync(join(root, p), { throwIfNoEntry: false })?.isDirectory()) out.push(`/${p}`)
      return out.sort()
    },
    remove: () => removeTemp(base),
  }
}
