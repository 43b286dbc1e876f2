// Reads an input layer into memory: a zip (as Lambda unpacks it: unix modes and symlinks from the
// entries' external attributes) or a folder (lstat: modes kept, symlinks kept as links, never followed).
// Bounded by Lambda's own limits (limits below): a zip bomb or a zip of a million empty files is
// refused with the figure, never unpacked into memory; entries are read one at a time from the file.
// As unzip does, setuid, setgid and sticky bits are dropped (and reported): a layer unpacked as root
// must not make a setuid file.
import { createHash } from 'node:crypto'
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import yauzl from 'yauzl'
import { UserError } from '../errors.js'
import { zipEntries } from '../layer/zip.js'
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
  /** Entries that had setuid, setgid or sticky bits, dropped: path and the mode as shipped. */
  readonly stripped: ReadonlyArray<{ readonly path: string; readonly mode: number }>
}

/**
 * What a layer may hold: Lambda's limit on a function and its layers unzipped (250 MB), and a number
 * of entries (Lambda names none; a real layer holds tens of thousands at most). Both can be lowered
 * (tests) or changed with WRAPGEN_LAYER_MAX_BYTES and WRAPGEN_LAYER_MAX_ENTRIES.
 */
export interface LayerLimits {
  readonly bytes: number
  readonly entries: number
}

export const LAMBDA_UNZIPPED_BYTES = 262_144_000
export const MAX_LAYER_ENTRIES = 100_000

export function layerLimits(env: Readonly<Record<string, string | undefined>> = process.env): LayerLimits {
  const n = (v: string | undefined, d: number): number => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : d)
  return { bytes: n(env.WRAPGEN_LAYER_MAX_BYTES, LAMBDA_UNZIPPED_BYTES), entries: n(env.WRAPGEN_LAYER_MAX_ENTRIES, MAX_LAYER_ENTRIES) }
}

const figure = (n: number): string => n.toLocaleString('en-US')
export const tooLarge = (path: string, bytes: number, l: LayerLimits): UserError =>
  new UserError(`${path}: unpacks to more than ${figure(l.bytes)} bytes (${figure(bytes)} so far); Lambda refuses a function whose layers unzip to more than 250 MB`)
export const tooMany = (path: string, entries: number, l: LayerLimits): UserError =>
  new UserError(`${path}: holds ${figure(entries)} entries, more than the ${figure(l.entries)} a layer may hold here; split it, or raise WRAPGEN_LAYER_MAX_ENTRIES`)

export async function readLayer(path: string, limits: LayerLimits = layerLimits()): Promise<ReadLayer> {
  let st
  try {
    st = statSync(path)
  } catch (cause) {
    throw new UserError(`${path}: no such layer zip or folder`, { cause })
  }
  return st.isDirectory() ? readFolder(path, limits) : readZip(path, limits)
}

/** A zip entry's name as a path under /opt: `./` and empty and `.` parts dropped (unzip writes `d/./x` and `d//x` as `d/x`). */
export function normalName(name: string): string {
  return name.split('/').filter((p) => p !== '' && p !== '.').join('/')
}

/** The mode kept: permission bits only (unzip drops setuid, setgid and sticky unless told -K). */
const KEPT = 0o777

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

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')))
  })
}

/** Reads a stream up to `max` bytes; past it, rejects with `over()`'s error (the stream is destroyed). */
function streamBytes(s: Readable, max: number, over: (bytes: number) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let n = 0
    s.on('data', (c: Buffer) => {
      n += c.length
      if (n > max) {
        s.destroy()
        reject(over(n))
        return
      }
      chunks.push(c)
    })
    s.on('error', reject)
    s.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

async function readZip(path: string, limits: LayerLimits): Promise<ReadLayer> {
  const size = statSync(path).size
  let zip: yauzl.ZipFile
  try {
    // From the file, an entry at a time (a zip of any size; only what is kept is in memory). yauzl
    // refuses absolute names, `..` and backslashes (zip slip) while decoding entry names, and checks
    // each entry's real size against its header.
    zip = await yauzl.openPromise(path, { strictFileNames: true, autoClose: false, validateEntrySizes: true })
  } catch (cause) {
    throw new UserError(`${path}: not a readable zip (${(cause as Error).message}); give a Lambda layer zip or the folder it unpacks to`, { cause })
  }
  const entries = new Map<string, TreeEntry>()
  const spelled = new Map<string, string>()
  const stripped: Array<{ path: string; mode: number }> = []
  let total = 0
  try {
    if (zip.entryCount > limits.entries) throw tooMany(path, zip.entryCount, limits)
    for await (const entry of zipEntries(zip)) {
      const unix = entry.versionMadeBy >> 8 === MADE_BY_UNIX
      const attr = unix ? entry.externalFileAttributes >>> 16 : 0
      const name = normalName(entry.fileName)
      if (name === '') continue
      const before = spelled.get(name)
      if (before !== undefined) throw new UserError(`${path}: holds ${name} twice (as ${JSON.stringify(before)} and ${JSON.stringify(entry.fileName)}); unpacked, one would replace the other: rebuild the zip with each path once`)
      spelled.set(name, entry.fileName)
      if ((attr & 0o7000) !== 0) stripped.push({ path: name, mode: attr & 0o7777 })
      if (entry.fileName.endsWith('/') || (attr & S_IFMT) === S_IFDIR) {
        entries.set(name, { kind: 'dir', mode: attr & KEPT || 0o755 })
        continue
      }
      // Declared sizes first (a bomb is refused before it is inflated), then the bytes really read.
      if (total + entry.uncompressedSize > limits.bytes) throw tooLarge(path, total + entry.uncompressedSize, limits)
      const data = await streamBytes(await zip.openReadStreamPromise(entry), limits.bytes - total, (n) => tooLarge(path, total + n, limits))
      total += data.length
      if ((attr & S_IFMT) === S_IFLNK) entries.set(name, { kind: 'symlink', target: data.toString('utf8') })
      // Without unix attributes (a zip made on Windows) there is no mode to keep: 0644, so no exec bit.
      else entries.set(name, { kind: 'file', mode: attr & KEPT || 0o644, data, sha256: sha256(data) })
    }
  } catch (cause) {
    if (cause instanceof UserError) throw cause
    throw new UserError(`${path}: cannot read the zip: ${(cause as Error).message}`, { cause })
  } finally {
    zip.close()
  }
  return { format: 'zip', name: basename(path), size, sha256: await fileSha256(path), tree: withParents(entries), stripped }
}

function readFolder(root: string, limits: LayerLimits): ReadLayer {
  const entries = new Map<string, TreeEntry>()
  const stripped: Array<{ path: string; mode: number }> = []
  let size = 0
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name)
      const rel = prefix ? `${prefix}/${name}` : name
      const st = lstatSync(full)
      if (entries.size >= limits.entries) throw tooMany(root, entries.size + 1, limits)
      if (!st.isSymbolicLink() && (st.mode & 0o7000) !== 0) stripped.push({ path: rel, mode: st.mode & 0o7777 })
      if (st.isSymbolicLink()) entries.set(rel, { kind: 'symlink', target: readlinkSync(full) })
      else if (st.isDirectory()) {
        entries.set(rel, { kind: 'dir', mode: st.mode & KEPT })
        walk(full, rel)
      } else if (st.isFile()) {
        if (size + st.size > limits.bytes) throw tooLarge(root, size + st.size, limits)
        const data = readFileSync(full)
        size += data.byteLength
        entries.set(rel, { kind: 'file', mode: st.mode & KEPT, data, sha256: sha256(data) })
      } else throw new UserError(`${full}: not a file, folder or symlink (a FIFO, socket or device); a layer cannot hold it, so remove it from the folder`)
    }
  }
  walk(root, '')
  const tree = withParents(entries)
  return { format: 'folder', name: basename(root), size, sha256: sha256(listing(tree)), tree, stripped }
}

/** One line per entry: what a folder's hash covers (contents, modes, link targets). */
export function listing(tree: Tree): string {
  return [...tree].map(([p, e]) => `${p}\t${e.kind}\t${e.kind === 'symlink' ? e.target : `0${e.mode.toString(8)}`}\t${e.kind === 'file' ? e.sha256 : ''}\n`).join('')
}
