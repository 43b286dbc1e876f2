// Reads an input layer into memory: a zip (as Lambda unpacks it: unix modes and symlinks from the
// entries' external attributes) or a folder (lstat: modes kept, symlinks kept as links, never followed).
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import yauzl from 'yauzl'
import { UserError } from '../errors.js'
import type { Tree, TreeEntry } from './types.js'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const S_IFDIR = 0o040000
/** versionMadeBy's high byte for unix: only then do the external attributes hold a mode. */
const MADE_BY_UNIX = 3

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex')

export interface ReadLayer {
  readonly format: 'zip' | 'folder'
  readonly name: string
  readonly size: number
  readonly sha256: string
  readonly tree: Tree
}

export async function readLayer(path: string): Promise<ReadLayer> {
  let st
  try {
    st = statSync(path)
  } catch (cause) {
    throw new UserError(`${path}: no such layer zip or folder`, { cause })
  }
  return st.isDirectory() ? readFolder(path) : readZip(path)
}

/** Adds the folders above each path (zips often list files only), as Lambda's unzip creates them. */
function withParents(entries: Map<string, TreeEntry>): Map<string, TreeEntry> {
  for (const path of [...entries.keys()]) {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const dir = path.slice(0, i)
      if (!entries.has(dir)) entries.set(dir, { kind: 'dir', mode: 0o755 })
    }
  }
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

function streamBytes(s: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', reject)
    s.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

async function readZip(path: string): Promise<ReadLayer> {
  const bytes = readFileSync(path)
  let zip: yauzl.ZipFile
  try {
    // yauzl refuses absolute names, `..` and backslashes (zip-slip) while decoding entry names.
    zip = await yauzl.fromBufferPromise(bytes, { strictFileNames: true })
  } catch (cause) {
    throw new UserError(`${path}: not a readable zip (${(cause as Error).message}); give a Lambda layer zip or the folder it unpacks to`, { cause })
  }
  const entries = new Map<string, TreeEntry>()
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        zip.once('entry', resolve)
        zip.once('end', () => resolve(undefined))
        zip.once('error', reject)
        zip.readEntry()
      })
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error')
      if (!entry) break
      const unix = entry.versionMadeBy >> 8 === MADE_BY_UNIX
      const attr = unix ? entry.externalFileAttributes >>> 16 : 0
      const name = entry.fileName.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
      if (name === '' || name === '.') continue
      if (entry.fileName.endsWith('/') || (attr & S_IFMT) === S_IFDIR) {
        entries.set(name, { kind: 'dir', mode: attr & 0o7777 || 0o755 })
        continue
      }
      const data = await streamBytes(await zip.openReadStreamPromise(entry))
      if ((attr & S_IFMT) === S_IFLNK) entries.set(name, { kind: 'symlink', target: data.toString('utf8') })
      // Without unix attributes (a zip made on Windows) there is no mode to keep: 0644, so no exec bit.
      else entries.set(name, { kind: 'file', mode: attr & 0o7777 || 0o644, data, sha256: sha256(data) })
    }
  } catch (cause) {
    throw new UserError(`${path}: cannot read the zip: ${(cause as Error).message}`, { cause })
  } finally {
    zip.close()
  }
  return { format: 'zip', name: basename(path), size: bytes.byteLength, sha256: sha256(bytes), tree: withParents(entries) }
}

function readFolder(root: string): ReadLayer {
  const entries = new Map<string, TreeEntry>()
  let size = 0
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name)
      const rel = prefix ? `${prefix}/${name}` : name
      const st = lstatSync(full)
      if (st.isSymbolicLink()) entries.set(rel, { kind: 'symlink', target: readlinkSync(full) })
      else if (st.isDirectory()) {
        entries.set(rel, { kind: 'dir', mode: st.mode & 0o7777 })
        walk(full, rel)
      } else if (st.isFile()) {
        const data = readFileSync(full)
        size += data.byteLength
        entries.set(rel, { kind: 'file', mode: st.mode & 0o7777, data, sha256: sha256(data) })
      } else throw new UserError(`${full}: not a file, folder or symlink; a layer cannot hold it`)
    }
  }
  walk(root, '')
  const tree = withParents(entries)
  return { format: 'folder', name: basename(root), size, sha256: sha256(listing(tree)), tree }
}

/** One line per entry: what a folder's hash covers (contents, modes, link targets). */
export function listing(tree: Tree): string {
  return [...tree].map(([p, e]) => `${p}\t${e.kind}\t${e.kind === 'symlink' ? e.target : `0${e.mode.toString(8)}`}\t${e.kind === 'file' ? e.sha256 : ''}\n`).join('')
}
