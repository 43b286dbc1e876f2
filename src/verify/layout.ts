// Step 1 of a verify run: the Lambda file layout. /opt (the layer, any --with-layer trees, the wrapper
// under test at its Lambda path), /var/task, /var/runtime (the emulated bootstrap, the real interpreters
// a wrapper's #! line may need), and one /var/lang per runtime family holding only that family's
// stand-in interpreters. Built once per run in a temp folder (makeTemp), removed afterwards.
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { layOut } from '../layer-tree/folders.js'
import { packageRoot } from '../package-root.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { bootstrapScript } from '../sandbox/index.js'

export interface Layout {
  /** Temp folder holding the tree (opt/, var/task, var/runtime, lang/<family>/, tmp/). */
  readonly root: string
  /** Alternative /opt trees keyed by name (e.g. `missing`, `no-exec-bit`). */
  readonly opts: ReadonlyMap<string, string>
  readonly bootstrap: string
  /** Ends each part of a stand-in's record (random per layout, so no argument is taken for it). */
  readonly boundary: string
  /** The folder to mount at /var/lang for a runtime fixture. */
  readonly lang: (fixture: RuntimeFixture) => string
  readonly remove: () => void
}

const asset = (name: string): string => join(packageRoot(), 'src/verify/assets', name)

/** Interpreter paths (absolute, as on Lambda) that the catalogue's argv start with. */
export function interpreterPaths(fixtures: readonly RuntimeFixture[]): string[] {
  const paths = fixtures.flatMap((f) => (typeof f.argv[0] === 'string' ? [f.argv[0]] : []))
  return [...new Set(paths)].sort()
}

/** Names a runtime's /var/lang/bin also has beside the interpreter its command names. */
export const ALIASES: Readonly<Record<string, readonly string[]>> = { python: ['python3', 'python'], node: ['node'], ruby: ['ruby'], java: ['java'], dotnet: ['dotnet'] }

/** The real interpreters on this host a wrapper's `#!` line may ask for (by name). */
export const REAL_INTERPRETERS: Readonly<Record<string, string>> = { node: '/usr/bin/node', python3: '/usr/bin/python3', ruby: '/usr/bin/ruby', java: '/usr/bin/java' }

/**
 * Readable (and folders searchable) by anyone, whatever the umask: the sandbox runs as a uid that owns
 * nothing, as Lambda runs the function as a user that does not own /opt. Exec bits are left as they are.
 */
export function readableByAll(path: string): void {
  const st = lstatSync(path)
  if (st.isSymbolicLink()) return
  chmodSync(path, (st.mode & 0o7777) | (st.isDirectory() ? 0o555 : 0o444))
  if (st.isDirectory()) for (const name of readdirSync(path)) readableByAll(join(path, name))
}

export interface LayoutInput {
  /** The layer tree to mount at /opt. */
  readonly layerDir: string
  /** Further trees unpacked into /opt as well (other vendors' layers, for chains). */
  readonly extraLayers?: readonly string[]
  readonly fixtures: readonly RuntimeFixture[]
  /** Files (path relative to /opt) to leave out in the variant named `missing`. */
  readonly missing?: readonly string[]
  /** Path relative to /opt of the wrapper, whose exec bit the `no-exec-bit` variant drops. */
  readonly wrapper?: string
  /** Further complete /opt trees by name (e.g. `adversarial`: the layer built from a derived config). */
  readonly variants?: Readonly<Record<string, string>>
  /** Executables to put at absolute paths in /opt that do not exist (stand-ins for chained wrappers). */
  readonly passThrough?: readonly string[]
  /** Chained wrappers to replace by pass-through stand-ins in the variant `plain-chain` (wrapgen's own idempotence). */
  readonly plainChain?: readonly string[]
  /**
   * File names under /var/task to hold a stand-in program: what a runtime replacer accepted with
   * --allow replace-runtime runs ($LAMBDA_TASK_ROOT/$_HANDLER, e.g. index.handler).
   */
  readonly programs?: readonly string[]
}

/** A plain file name (a handler such as index.handler), safe to create under /var/task. */
export const isFileName = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && name.length < 200

const PASS_THROUGH = '#!/bin/sh\n# stand-in for a chained wrapper: passes the command on unchanged\nexec "$@"\n'

export function makeLayout(input: LayoutInput): Layout {
  const root = makeTemp('verify')
  // The sandbox runs unprivileged: the trees it mounts must be readable by anyone (as on Lambda,
  // where the function's user is not the owner of /opt).
  chmodSync(root, 0o755)
  const opt = join(root, 'opt')
  // Symlinks as shipped (a layer's relative links must point inside /opt, not at the host tree).
  layOut(opt, [input.layerDir, ...(input.extraLayers ?? [])])
  for (const p of input.passThrough ?? []) {
    if (!p.startsWith('/opt/')) continue
    const file = join(root, p)
    if (existsSync(file)) continue // a real one from a --with-layer tree
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, PASS_THROUGH, { flag: 'wx' })
    chmodSync(file, 0o755)
  }
  chmodSync(opt, 0o755)
  const opts = new Map<string, string>([['layer', opt]])
  const variant = (name: string): string => {
    const dir = join(root, 'variants', name)
    cpSync(opt, dir, { recursive: true, verbatimSymlinks: true })
    return dir
  }
  if (input.missing?.length) {
    const dir = variant('missing')
    for (const f of input.missing) rmSync(join(dir, f), { force: true })
    opts.set('missing', dir)
  }
  if (input.wrapper) {
    const dir = variant('no-exec-bit')
    chmodSync(join(dir, input.wrapper), 0o644)
    opts.set('no-exec-bit', dir)
  }
  if (input.plainChain?.length) {
    const dir = variant('plain-chain')
    for (const p of input.plainChain.filter((p) => p.startsWith('/opt/'))) {
      rmSync(join(dir, p.slice(5)), { force: true })
      writeFileSync(join(dir, p.slice(5)), PASS_THROUGH)
      chmodSync(join(dir, p.slice(5)), 0o755)
    }
    opts.set('plain-chain', dir)
  }
  for (const [name, src] of Object.entries(input.variants ?? {})) {
    const dir = variant(name)
    cpSync(src, dir, { recursive: true, force: true, verbatimSymlinks: true })
    opts.set(name, dir)
  }
  mkdirSync(join(root, 'variants'), { recursive: true })
  chmodSync(join(root, 'variants'), 0o755)
  for (const dir of ['var/task', 'var/runtime/real', 'tmp']) mkdirSync(join(root, dir), { recursive: true })
  const boundary = randomBytes(12).toString('hex')
  const standin = readFileSync(asset('standin.sh'), 'utf8').replace('b=wrapgen-boundary', `b=${boundary}`)
  const bootstrap = join(root, 'var/runtime/bootstrap.sh')
  copyFileSync(bootstrapScript(), bootstrap)
  chmodSync(bootstrap, 0o755)
  for (const [name, host] of Object.entries(REAL_INTERPRETERS)) if (existsSync(host)) symlinkSync(realpathSync(host), join(root, 'var/runtime/real', name))
  // Per family, only its own interpreters; .NET single-file executables go under /var/task.
  const langs = new Map<string, string>()
  for (const fixture of input.fixtures) {
    if (fixture.family === 'none') continue
    const lang = join(root, 'lang', fixture.family)
    langs.set(fixture.family, lang)
    for (const path of interpreterPaths([fixture])) {
      const file = path.startsWith('/var/lang/') ? join(lang, path.slice(9)) : join(root, path)
      const names = path.startsWith('/var/lang/bin/') ? [file, ...(ALIASES[fixture.family] ?? []).map((n) => join(dirname(file), n))] : [file]
      for (const f of names) {
        if (existsSync(f)) continue
        mkdirSync(dirname(f), { recursive: true })
        writeFileSync(f, standin, { mode: 0o755 })
        chmodSync(f, 0o755)
      }
    }
    mkdirSync(join(lang, 'bin'), { recursive: true })
  }
  // The function's own program, for wrappers that replace the runtime with it (a web adapter's run.sh).
  for (const name of new Set(['run.sh', ...(input.programs ?? []).filter(isFileName)])) {
    writeFileSync(join(root, 'var/task', name), standin)
    chmodSync(join(root, 'var/task', name), 0o755)
  }
  const empty = join(root, 'lang', 'none')
  mkdirSync(empty, { recursive: true })
  readableByAll(root)
  return { root, opts, bootstrap, boundary, lang: (f) => langs.get(f.family) ?? empty, remove: () => removeTemp(root) }
}
