// compose's out folder, written as build writes its own (layer/write.ts): under the folder's lock,
// staged beside it and renamed into place (a full disk or a kill leaves the earlier output whole, never
// half a layer beside it), and nothing wrapgen compose did not write is ever replaced: the four names
// are replaced only when compose.json says compose wrote them, and layer/ holds only the paths of the
// layer.zip written with it (a file added by hand under layer/ is refused, not deleted).
import { lstatSync, readFileSync, readdirSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import yauzl from 'yauzl'
import { UserError } from '../errors.js'
import { writeStaged } from '../layer/write.js'
import { zipEntries } from '../layer/zip.js'
import { COMPOSE_FILE } from '../layer-tree/compose-manifest.js'
import { normalName } from '../layer-tree/read.js'
import type { Tree } from '../layer-tree/types.js'
import { writeTree } from '../layer-tree/write.js'

/** What compose writes in its out folder, in the order they are put in place (compose.json last: it marks the folder as compose's). */
const OURS = ['layer', 'layer.zip', 'manifest.json', COMPOSE_FILE]
/** Larger than any compose.json compose writes. */
const MAX_COMPOSE_JSON = 64 * 1024 * 1024

const show = (p: string): string => relative(process.cwd(), p) || '.'
const lstat = (p: string): Stats | undefined => lstatSync(p, { throwIfNoEntry: false })
const HOW = 'move it away, or choose another --out (a folder of its own)'

/** The paths a zip holds (its central directory: nothing is inflated). */
async function zipPaths(file: string): Promise<Set<string>> {
  const zip = await yauzl.openPromise(file, { autoClose: false, strictFileNames: false })
  const out = new Set<string>()
  try {
    for await (const entry of zipEntries(zip)) {
      const name = normalName(entry.fileName)
      // Zips often list files only: their folders are the zip's too.
      for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) out.add(name.slice(0, i))
      if (name) out.add(name)
    }
  } finally {
    zip.close()
  }
  return out
}

/** The first path under `dir` (relative) that is not in `known`. */
function stranger(dir: string, known: ReadonlySet<string>, prefix = ''): string | undefined {
  for (const name of readdirSync(dir)) {
    const rel = prefix + name
    if (!known.has(rel)) return rel
    const st = lstatSync(join(dir, name))
    if (st.isDirectory()) {
      const found = stranger(join(dir, name), known, `${rel}/`)
      if (found) return found
    }
  }
  return undefined
}

/** Refuses unless each of compose's names in `dir` is absent or an earlier compose's output, whole. */
export async function checkOutDir(dir: string): Promise<void> {
  let self: Stats | undefined
  try {
    self = statSync(dir, { throwIfNoEntry: false })
  } catch (e) {
    // ENOTDIR: a folder on the way is a file (--out notes.txt/out).
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e
    const isFile = (p: string): boolean => {
      try {
        return statSync(p).isFile()
      } catch {
        return false
      }
    }
    let up = dirname(dir)
    while (up !== dirname(up) && !isFile(up)) up = dirname(up)
    throw new UserError(`--out ${show(dir)}: ${show(up)} is a file, not a folder; give a new or empty folder`, { cause: e })
  }
  if (self && !self.isDirectory()) throw new UserError(`--out ${show(dir)}: is a file, not a folder; give a new or empty folder`)
  if (!self) return
  const present = OURS.filter((n) => lstat(join(dir, n)))
  if (!present.length) return
  for (const n of present) if (lstat(join(dir, n))!.isSymbolicLink()) throw new UserError(`${show(join(dir, n))} is a symlink; compose replaces only what it wrote itself, never a link's target: ${HOW}`)
  const composeFile = join(dir, COMPOSE_FILE)
  const st = lstat(composeFile)
  let generator: unknown
  if (st?.isFile() && st.size <= MAX_COMPOSE_JSON) {
    try {
      generator = (JSON.parse(readFileSync(composeFile, 'utf8')) as { generator?: unknown } | null)?.generator
    } catch {
      generator = undefined
    }
  }
  if (generator !== 'wrapgen compose') throw new UserError(`--out ${show(dir)}: holds ${present.join(', ')}, not written by wrapgen compose (its ${COMPOSE_FILE} says so); ${HOW}`)
  const kinds: Record<string, 'dir' | 'file'> = { layer: 'dir', 'layer.zip': 'file', 'manifest.json': 'file' }
  for (const n of present.filter((x) => x !== COMPOSE_FILE)) {
    const is = lstat(join(dir, n))!.isDirectory() ? 'dir' : 'file'
    if (is !== kinds[n]) throw new UserError(`${show(join(dir, n))} is a ${is === 'dir' ? 'folder' : 'file'}, not the ${kinds[n] === 'dir' ? 'folder' : 'file'} compose wrote there; ${HOW}`)
  }
  if (!present.includes('layer')) return
  let known: Set<string>
  try {
    known = await zipPaths(join(dir, 'layer.zip'))
  } catch {
    throw new UserError(`${show(join(dir, 'layer.zip'))} is missing or not a zip, so compose cannot tell which files of ${show(join(dir, 'layer'))} it wrote; ${HOW}`)
  }
  const found = stranger(join(dir, 'layer'), known)
  if (found !== undefined) throw new UserError(`${show(join(dir, 'layer', found))} is not in the layer.zip compose wrote beside it, so compose did not write it and will not delete it; ${HOW}`)
}

export interface ComposeOutput {
  readonly tree: Tree
  readonly zip: Buffer
  /** wrapgen build's manifest of its own files, and compose's manifest, as JSON text. */
  readonly manifest: string
  readonly compose: string
}

export async function writeComposed(out: ComposeOutput, dir: string): Promise<{ layerDir: string; zip: string; manifest: string; compose: string }> {
  await writeStaged(dir, OURS, () => checkOutDir(dir), (staging) => {
    writeTree(out.tree, join(staging, 'layer'))
    writeFileSync(join(staging, 'layer.zip'), out.zip)
    writeFileSync(join(staging, 'manifest.json'), out.manifest)
    writeFileSync(join(staging, COMPOSE_FILE), out.compose)
  })
  return { layerDir: join(dir, 'layer'), zip: join(dir, 'layer.zip'), manifest: join(dir, 'manifest.json'), compose: join(dir, COMPOSE_FILE) }
}
