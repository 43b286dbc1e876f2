// The Lambda file layout an invoke run uses: the layer at /opt, the user's code at /var/task, the
// emulated bootstrap in /var/runtime, and the runtime's client and interpreter where Lambda has them
// (clients.ts: node at /var/lang/bin/node and aws-lambda-ric in /var/runtime/node_modules; python's or
// the JDK's home at /var/lang and the client's files in /var/runtime). Built in a temp folder.
import { chmodSync, cpSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { UserError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { layOut } from '../layer-tree/folders.js'
import { installBootstrap, type Mode } from '../sandbox/index.js'
import { placeClient, type RuntimeClient } from './clients.js'

export interface InvokeLayout {
  /** Temp folder holding opt/, var/task, var/runtime, var/lang/bin, tmp/. */
  readonly root: string
  /** The tree mounted at /opt (empty with --no-layer). */
  readonly opt: string
  /** The user's code, mounted at /var/task (copied under root when path-mapped). */
  readonly taskDir: string
  /** The runtime client's files and the interpreter (host path, Lambda path), bound after the tree. */
  readonly clientBinds: ReadonlyArray<readonly [string, string]>
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
  /** The runtime's client and interpreter; none for custom runtimes (provided.*). */
  readonly client?: RuntimeClient | undefined
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

export function makeInvokeLayout(input: InvokeLayoutInput): InvokeLayout {
  const client = input.client
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
  for (const dir of ['var/runtime', 'tmp']) mkdirSync(join(root, dir), { recursive: true })
  const bootstrap = installBootstrap(join(root, 'var/runtime'))
  const home = client?.binds.find(([, lambda]) => lambda === '/var/lang')?.[0]
  // The interpreter's home is /var/lang (python, java), or a folder with node bound into it.
  if (home && input.mode === 'path-mapped') symlinkSync(home, join(root, 'var/lang'))
  else mkdirSync(join(root, 'var/lang/bin'), { recursive: true })
  // Mount points for the client's binds (bubblewrap needs them to exist), or symlinks to the host's files.
  if (client) placeClient(client, root, input.mode, (host) => statSync(host).isDirectory())
  let taskDir = input.taskDir
  if (input.mode === 'sandboxed') {
    // The function runs as a uid of its own, which must read its code (as Lambda's user reads
    // /var/task): a task folder others cannot read is copied, readable, instead of bound.
    if (!readableByOthers(input.taskDir)) {
      taskDir = join(root, 'var/task')
      cpSync(input.taskDir, taskDir, { recursive: true, verbatimSymlinks: true })
      openForReading(taskDir)
    }
  } else {
    // A copy, not a symlink: node resolves symlinks, and the real folder's parents (a package.json
    // with "type", a node_modules) would then change how the handler loads, which /var/task has not.
    cpSync(input.taskDir, join(root, 'var/task'), { recursive: true, verbatimSymlinks: true })
  }
  // Readable by the sandbox's uid whatever the umask (wrapgen's own files; a layer's modes are kept otherwise).
  openForReading(root)
  return { root, opt, taskDir, clientBinds: client?.binds ?? [], bootstrap, remove: () => removeTemp(root) }
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
