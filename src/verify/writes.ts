// Writes outside /tmp, seen on the file system: one run per runtime gets writable copies of the Lambda
// tree (/opt, /var/task, /var/runtime, /var/lang) and, sandboxed, a root of its own, each from a fresh
// temp folder; whatever is new, changed or gone there afterwards (a file, a folder, a symlink) is a
// write that fails on Lambda, where only /tmp is writable. (The host's /usr and /etc stay read-only
// binds: a write there fails here too.)
import { chmodSync, lstatSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs'
import { join, relative } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { layOut } from '../layer-tree/folders.js'

/** Every entry under a folder: relative path -> what it is (a folder's mode, a link's target, a file's size, mtime and mode). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = lstatSync(p)
      const rel = relative(dir, p)
      if (st.isDirectory()) {
        // Not its mtime: a file made inside is reported itself.
        out.set(rel, `dir:${st.mode}`)
        walk(p)
      } else if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(p)}`)
      else out.set(rel, `file:${st.size}:${st.mtimeMs}:${st.mode}`)
    }
  }
  walk(dir)
  return out
}

/** What changed between two snapshots: new or changed paths, and removed ones marked so. */
function changes(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const out: string[] = []
  for (const [p, sig] of after) if (before.get(p) !== sig) out.push(p)
  for (const p of before.keys()) if (!after.has(p)) out.push(`${p} (deleted)`)
  return out
}

/** Without the folders that only hold another reported path (`mkdir -p a/b; echo > a/b/f` is one write: a/b/f). */
function leaves(paths: readonly string[]): string[] {
  return paths.filter((p) => !paths.some((q) => q.startsWith(`${p}/`)))
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

/**
 * What bubblewrap itself leaves in an empty root: the mount points of `lambdaDirs` and of its own
 * (/usr, /etc, /proc, /dev, /tmp) with the folders above them, and its /bin-style links. Anything
 * else there was made by the code that ran.
 */
function bubblewrapOwn(lambdaDirs: readonly string[]): Set<string> {
  const own = new Set(['usr', 'etc', 'proc', 'dev', 'tmp', 'bin', 'lib', 'lib64', 'sbin'])
  for (const d of lambdaDirs) for (let p = d.slice(1); p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') own.add(p)
  return own
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
  // Its host path shows in the sandbox (mountinfo): a plain name.
  const base = makeTemp('writes', 'lambda')
  chmodSync(base, 0o755)
  const root = join(base, 'root')
  mkdirSync(root)
  chmodSync(root, 0o777)
  let dirs: Array<readonly [string, string]>
  try {
    dirs = trees.map(([lambda, host], i) => {
      const copy = join(base, String(i))
      // Links verbatim: a layer's relative link must still point inside its tree.
      layOut(copy, [host])
      openUp(copy)
      return [lambda, copy] as const
    })
  } catch (e) {
    removeTemp(base)
    throw e
  }
  const before = dirs.map(([, copy]) => snapshot(copy))
  const own = bubblewrapOwn(trees.map(([lambda]) => lambda))
  return {
    dirs,
    root,
    written: () => {
      const inLambda: string[] = []
      dirs.forEach(([lambda, copy], i) => {
        for (const p of changes(before[i]!, snapshot(copy))) inLambda.push(join(lambda, p))
      })
      // The root started empty: whatever is there but bubblewrap's own mount points and links.
      const elsewhere: string[] = []
      for (const p of snapshot(root).keys()) if (!own.has(p)) elsewhere.push(`/${p}`)
      // Lambda's own folders first: a report shows only its first few, and the host paths a wrapper
      // tried (its home folder, say) differ from machine to machine.
      return [...leaves(inLambda).sort(), ...leaves(elsewhere).sort()]
    },
    remove: () => removeTemp(base),
  }
}
