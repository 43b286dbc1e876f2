// The one writer: puts a built layer on disk as DIR/layer/ (the /opt tree), DIR/layer.zip, DIR/manifest.json.
//
// Nothing the user owns is replaced: the three names are replaced only when DIR/manifest.json is a
// manifest wrapgen wrote and the layer/ tree holds only the files it lists. The new output is written
// into a staging folder inside DIR (same file system) and renamed into place, manifest last, under a
// lock file, so concurrent builds never mix and an interrupted build leaves the old output or the new
// one. The swap is synchronous: SIGINT/SIGTERM handlers (bin.ts) run only after it, and a SIGKILL in
// its few renames is finished by the next build (the staging folder holds a commit mark).
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, chmodSync, type Stats } from 'node:fs'
import { dirname, join, parse, relative, resolve } from 'node:path'
import type { BuildResult } from '../build.js'
import { UserError } from '../errors.js'
import { LAYER_DIR, MANIFEST_FILE } from '../plan/types.js'
import { scaled } from '../limits/time-limit.js'

export interface Written {
  readonly layerDir: string
  readonly zip: string
  readonly manifest: string
}

const LAYER = 'layer'
const ZIP = 'layer.zip'
const MANIFEST = 'manifest.json'
const LOCK = '.wrapgen.lock'
const STAGING = '.wrapgen-staging-'
const COMMIT = '.commit'
/** How long a build waits for another build writing the same folder (on an idle machine: scaled to this one). */
const LOCK_WAIT_MS = 30_000
/** Larger than any manifest wrapgen writes; a bigger manifest.json is not wrapgen's. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

const show = (p: string): string => relative(process.cwd(), p) || '.'

const lstat = (p: string): Stats | undefined => {
  try {
    return lstatSync(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The file-system errors a user can cause or fix (permissions, a full or read-only disk, a file in the way). */
const USER_FS_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTEMPTY', 'ELOOP', 'ENAMETOOLONG'])

function fsError(outDir: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code
  if (code && USER_FS_ERRORS.has(code)) {
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' || code === 'EDQUOT' ? 'no space left' : (e as Error).message
    throw new UserError(`--out ${show(outDir)}: cannot write the layer there: ${why}; choose a folder you can write to`, { cause: e })
  }
  throw e
}

/** What a wrapgen manifest has (any version): enough to tell it from a user's own manifest.json. */
interface OwnManifest {
  readonly wrapgenVersion: string
  readonly files: ReadonlyArray<{ readonly path: string }>
}

function readOwnManifest(path: string, st: Stats): OwnManifest | undefined {
  if (!st.isFile() || st.size > MAX_MANIFEST_BYTES) return undefined
  let v: unknown
  try {
    v = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
  if (!v || typeof v !== 'object') return undefined
  const m = v as Record<string, unknown>
  const files = m.files
  if (typeof m.wrapgenVersion !== 'string' || typeof m.id !== 'string' || typeof m.configHash !== 'string' || !Array.isArray(files)) return undefined
  if (!files.every((f: unknown) => !!f && typeof (f as { path?: unknown }).path === 'string')) return undefined
  return { wrapgenVersion: m.wrapgenVersion, files: files as OwnManifest['files'] }
}

/** The first entry of the layer tree that the manifest does not list (or that is not a plain file or folder). */
function strangerIn(layerDir: string, manifest: OwnManifest): string | undefined {
  // The manifest lists every file but the copy of itself inside the layer.
  const files = new Set([...manifest.files.map((f) => f.path), `${LAYER_DIR}/${MANIFEST_FILE}`])
  const walk = (dir: string, prefix: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = prefix + entry.name
      if (entry.isDirectory()) {
        const found = walk(join(dir, entry.name), `${path}/`)
        if (found) return found
      } else if (!entry.isFile() || !files.has(path)) return path
    }
    return undefined
  }
  return walk(layerDir, '')
}

/** Refuses unless every one of the three names is absent or wrapgen's own output. */
function checkOwned(outDir: string): void {
  const how = 'move it away, or choose another --out (a folder of its own, such as dist)'
  const manifestPath = join(outDir, MANIFEST)
  const mSt = lstat(manifestPath)
  const layerPath = join(outDir, LAYER)
  const lSt = lstat(layerPath)
  const zipPath = join(outDir, ZIP)
  const zSt = lstat(zipPath)
  let manifest: OwnManifest | undefined
  if (mSt) {
    if (mSt.isSymbolicLink()) throw new UserError(`${show(manifestPath)} is a symlink, not a manifest wrapgen wrote; ${how}`)
    if (mSt.isDirectory()) throw new UserError(`${show(manifestPath)} is a folder, where wrapgen writes its manifest; ${how}`)
    manifest = readOwnManifest(manifestPath, mSt)
    if (!manifest) throw new UserError(`${show(manifestPath)} exists and was not written by wrapgen; wrapgen replaces only its own output: ${how}`)
  }
  for (const [path, st, what] of [[layerPath, lSt, 'folder'], [zipPath, zSt, 'file']] as const) {
    if (!st) continue
    if (st.isSymbolicLink()) throw new UserError(`${show(path)} is a symlink; wrapgen replaces only what it wrote itself, never a link's target: ${how}`)
    if (!manifest) throw new UserError(`${show(path)} exists but ${show(manifestPath)} does not, so it is not wrapgen's output; ${how}`)
    if (what === 'folder' ? !st.isDirectory() : !st.isFile()) throw new UserError(`${show(path)} is not the ${what} wrapgen wrote there; ${how}`)
  }
  if (manifest && lSt) {
    const stranger = strangerIn(layerPath, manifest)
    if (stranger !== undefined) throw new UserError(`${show(join(layerPath, stranger))} is not in ${show(manifestPath)}, so wrapgen did not write it and will not delete it; ${how}`)
  }
}

/** Takes DIR's lock file, waiting while a live build holds it; a dead holder's lock is taken over. */
function lock(outDir: string): () => void {
  const path = join(outDir, LOCK)
  const deadline = Date.now() + scaled(LOCK_WAIT_MS)
  for (;;) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let holder = NaN
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10)
    } catch {
      // Removed meanwhile, or not yet written: try again.
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      // A build killed while holding the lock: the lock is stale (its staging folder is recovered below).
      // (Two builds taking over the same stale lock at the same instant could both proceed; that needs
      // a SIGKILLed build and then two more started together, and is not guarded against.)
      rmSync(path, { force: true })
      continue
    }
    if (Date.now() > deadline) throw new UserError(`${show(path)}: another wrapgen build (pid ${holder}) is writing ${show(outDir)}; wait for it, or remove the lock file if no build is running`)
    sleep(20)
  }
}

/** Moves a staging folder's output into place: layer/, then layer.zip, then manifest.json (the commit). Idempotent. */
function swapIn(staging: string, outDir: string): void {
  const newLayer = join(staging, LAYER)
  if (lstat(newLayer)) {
    if (lstat(join(outDir, LAYER))) renameSync(join(outDir, LAYER), join(staging, 'old-layer'))
    renameSync(newLayer, join(outDir, LAYER))
  }
  for (const name of [ZIP, MANIFEST]) if (lstat(join(staging, name))) renameSync(join(staging, name), join(outDir, name))
  rmSync(staging, { recursive: true, force: true })
}

/** Staging folders of builds that died: finished when they had reached the swap, otherwise removed. */
function recover(outDir: string): void {
  for (const name of readdirSync(outDir)) {
    if (!name.startsWith(STAGING)) continue
    const pid = Number.parseInt(name.slice(STAGING.length), 10)
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue
    const staging = join(outDir, name)
    if (existsSync(join(staging, COMMIT))) swapIn(staging, outDir)
    else rmSync(staging, { recursive: true, force: true })
  }
}

function ensureFolder(outDir: string): void {
  if (outDir === parse(outDir).root) throw new UserError(`--out ${outDir}: refusing to write a layer into the file system's root; choose a folder of its own, such as dist`)
  try {
    mkdirSync(outDir, { recursive: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UserError(`--out ${show(outDir)}: is a file, not a folder; choose a folder for the layer (default: dist)`, { cause: e })
    fsError(outDir, e)
  }
}

export function writeLayer(result: BuildResult, outDir: string): Written {
  outDir = resolve(outDir)
  ensureFolder(outDir)
  const written = { layerDir: join(outDir, LAYER), zip: join(outDir, ZIP), manifest: join(outDir, MANIFEST) }
  let unlock: (() => void) | undefined
  let staging: string | undefined
  try {
    unlock = lock(outDir)
    recover(outDir)
    checkOwned(outDir)
    staging = mkdtempSync(join(outDir, `${STAGING}${process.pid}-`))
    for (const f of result.files) {
      const path = join(staging, LAYER, f.path)
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, f.contents)
      chmodSync(path, f.mode) // explicit: the umask must not decide the wrapper's exec bit
    }
    writeFileSync(join(staging, ZIP), result.zip)
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify(result.manifest, null, 2)}\n`)
    writeFileSync(join(staging, COMMIT), '')
    // From here the staging folder is kept if the swap fails: the next build finishes it.
    const committed = staging
    staging = undefined
    swapIn(committed, outDir)
  } catch (e) {
    if (e instanceof UserError) throw e
    fsError(outDir, e)
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true })
    unlock?.()
  }
  return written
}
