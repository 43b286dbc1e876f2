// wrapgen's own files in a composed layer: the build's files (the wrapper and its runners under
// /opt/wrapgen, and what the config puts elsewhere: /opt/extensions/<name>, /opt/bootstrap), each with
// the folders that hold it, so the tree is written and zipped whole whatever the config uses. A vendor
// layer that already ships one of those paths (or a file where one of those folders goes) is refused:
// one of the two would silently replace the other.
import { UserError } from '../errors.js'
import type { LayerFile } from '../layer/files.js'
import { sha256 } from '../layer-tree/read.js'
import type { TreeEntry } from '../layer-tree/types.js'

const DIR_MODE = 0o755

/** The config key that puts a file outside /opt/wrapgen. */
const keyOf = (path: string): string =>
  path === '/opt/bootstrap' ? 'customRuntime.bootstrap' : /^\/opt\/extensions\/[^/]+$/.test(path) ? `extensions.${path.split('/')[3]}` : 'extensions.<name>.files'

/** The tree entries of `files`, folders first; `vendor` is the merged tree of the input layers. */
export function ownEntries(files: readonly LayerFile[], vendor: ReadonlyMap<string, TreeEntry & { readonly from: number }>, name: (layer: number) => string): Map<string, TreeEntry> {
  const own = new Map<string, TreeEntry>()
  const clash = (path: string, mine: string): UserError => {
    const had = vendor.get(path)!
    const kind = had.kind === 'dir' ? 'a folder' : had.kind === 'symlink' ? 'a symlink' : 'a file'
    return new UserError(`/opt/${path}: ${name(had.from)} ships ${kind} there, where the config puts ${mine} (${keyOf(mine)}); one would replace the other: leave out that layer or that key`)
  }
  for (const f of files) {
    const parts = f.path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      const had = vendor.get(dir)
      if (had && had.kind !== 'dir') throw clash(dir, `/opt/${f.path}`)
      if (!had && !own.has(dir)) own.set(dir, { kind: 'dir', mode: DIR_MODE })
    }
    if (vendor.has(f.path)) throw clash(f.path, `/opt/${f.path}`)
  }
  for (const f of files) own.set(f.path, { kind: 'file', mode: f.mode, data: f.contents, sha256: sha256(f.contents) })
  return own
}
