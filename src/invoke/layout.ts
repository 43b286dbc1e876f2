// The Lambda file layout an invoke run uses: the layer at /opt, the user's code at /var/task, the
// real node at /var/lang/bin/node, and /var/runtime with the emulated bootstrap, our entry
// (index.mjs) and AWS's runtime client (node_modules/aws-lambda-ric). Built in a temp folder.
import { chmodSync, copyFileSync, cpSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { UserError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { layOut } from '../layer-tree/folders.js'
import { installBootstrap, type Mode } from '../sandbox/index.js'

export interface InvokeLayout {
  /** Temp folder holding opt/, var/task, var/runtime, var/lang/bin, tmp/. */
  readonly root: string
  /** The tree mounted at /opt (empty with --no-layer). */
  readonly opt: string
  /** The user's code, mounted at /var/task (copied under root when path-mapped). */
  readonly taskDir: string
  /** The installed aws-lambda-ric package folder on the host. */
  readonly ricDir: string
  readonly bootstrap: string
  readonly remove: () => void
}

export type { Mode }

export interface InvokeLayoutInput {
  readonly mode: Mode
  /** The layer tree (the layer/ folder wrapgen build writes); undefined for --no-layer. */
  readonly layerDir: string | undefined
  /** The function's code folder. */
  readonly taskDir: string
}

/** What to run when the runtime client is missing (also in docs/invoke.md and the README). */
export const RIC_INSTALL = 'npm install --save-dev aws-lambda-ric@3.3.0'

/**
 * The folder of the installed aws-lambda-ric, or a UserError that says how to install it. It is an
 * optional peer dependency (a plain `npm install wrapgen` skips its native build), so it is looked
 * up from wrapgen's own folder (npm and pnpm put a peer there) and then from the user's folders.
 */
export function ricPackageDir(from: readonly string[] = []): string {
  for (const dir of [packageRoot(), ...from]) {
    try {
      return dirname(createRequire(join(dir, 'package.json')).resolve('aws-lambda-ric/package.json'))
    } catch {
      // Not installed there: try the next folder.
    }
  }
  throw new UserError(`invoke needs aws-lambda-ric (AWS's Node runtime client), an optional peer dependency that is not installed: run "${RIC_INSTALL}" in your project (its native build needs autoconf, automake, libtool, cmake, make and g++; see docs/invoke.md)`)
}

const asset = (name: string): string => join(packageRoot(), 'src', name)

export function makeInvokeLayout(input: InvokeLayoutInput): InvokeLayout {
  const ricDir = ricPackageDir([input.taskDir, process.cwd()])
  // Registered with cleanup.ts: an interrupted invoke removes it too.
  const root = makeTemp('invoke')
  const opt = join(root, 'opt')
  // A layer tree that cannot be laid out (a FIFO in it) is the user's to fix: nothing is left behind.
  try {
    layOut(opt, input.layerDir ? [input.layerDir] : [])
  } catch (e) {
    removeTemp(root)
    throw e
  }
  for (const dir of ['var/runtime/node_modules/aws-lambda-ric', 'var/lang/bin', 'tmp']) mkdirSync(join(root, dir), { recursive: true })
  const bootstrap = installBootstrap(join(root, 'var/runtime'))
  copyFileSync(asset('invoke/assets/runtime-entry.mjs'), join(root, 'var/runtime/index.mjs'))
  let taskDir = input.taskDir
  if (input.mode === 'sandboxed') {
    // Mount points the sandbox binds the real node and the client over (bubblewrap needs them to exist).
    writeFileSync(join(root, 'var/lang/bin/node'), '')
    // The function runs as a uid of its own, which must read its code (as Lambda's user reads
    // /var/task): a task folder others cannot read is copied, readable, instead of bound.
    if (!readableByOthers(input.taskDir)) {
      taskDir = join(root, 'var/task')
      cpSync(input.taskDir, taskDir, { recursive: true, verbatimSymlinks: true })
      openForReading(taskDir)
    }
  } else {
    // Path-mapped: the same tree made of symlinks to the host's files.
    rmSync(join(root, 'var/runtime/node_modules/aws-lambda-ric'), { recursive: true })
    symlinkSync(ricDir, join(root, 'var/runtime/node_modules/aws-lambda-ric'))
    symlinkSync(process.execPath, join(root, 'var/lang/bin/node'))
    // A copy, not a symlink: node resolves symlinks, and the real folder's parents (a package.json
    // with "type", a node_modules) would then change how the handler loads, which /var/task has not.
    cpSync(input.taskDir, join(root, 'var/task'), { recursive: true, verbatimSymlinks: true })
  }
  // Readable by the sandbox's uid whatever the umask (wrapgen's own files; a layer's modes are kept otherwise).
  openForReading(root)
  return { root, opt, taskDir, ricDir, bootstrap, remove: () => removeTemp(root) }
}

/** Whether every folder under `dir` is searchable and every file readable by other users (stops at the first that is not). */
function readableByOthers(dir: string): boolean {
  const st = lstatSync(dir)
  if (st.isSymbolicLink()) return true
  if (st.isDirectory()) return (st.mode & 0o005) === 0o005 && readdirSync(dir).every((n) => readableByOthers(join(dir, n)))
  return (st.mode & 0o004) !== 0
}

/** Makes a copied tree readable (folders searchable) by anyone; exec bits as they are. */
function openForReading(dir: string): void {
  const st = lstatSync(dir)
  if (st.isSymbolicLink()) return
  chmodSync(dir, (st.mode & 0o777) | (st.isDirectory() ? 0o555 : 0o444))
  if (st.isDirectory()) for (const n of readdirSync(dir)) openForReading(join(dir, n))
}
