// A sandbox that lasts a whole run and holds several processes, as a Lambda execution environment holds
// the runtime and every extension: one bubblewrap (bwrap.ts's rules: own pid, network, ipc and uts
// namespaces, read-only Lambda tree, a sized /tmp, dying with its parent) whose first process only
// waits, and each program of the run started into its namespaces with nsenter as the run's own
// unprivileged uid, without capabilities, under its limits. They share /tmp, the loopback network and
// the process limit, as on Lambda; they see no host process, file or network.
//
// Everything started in the run ends with it: when the waiting process ends (close(), wrapgen's exit,
// or wrapgen being killed: it reads a pipe from wrapgen and bubblewrap dies with its parent), the
// kernel kills every process left in the pid namespace, a `setsid` daemon included.
//
// The only way out is a server wrapgen exposes (the Runtime API): a small forwarder, started in the
// sandbox's network namespace only (its processes cannot see it) as another unprivileged uid, listens
// on 127.0.0.1:PORT there and passes each connection to a Unix socket that only it can reach.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { makeTemp, removeTemp, trackChild } from '../cleanup.js'
import { hostPid } from './host-pid.js'
import { baseArgs, mountPointArgs, NAMESPACES, sandboxUid, unprivileged, type Launch } from './bwrap.js'
import { lambdaHostname } from './identity.js'
import { limitsFor, tmpArgs, type Limits } from './limits.js'

export interface SessionOptions {
  /** [host path, Lambda path], bound read-only in order. */
  readonly binds: ReadonlyArray<readonly [string, string]>
  readonly limits?: Partial<Limits>
}

/** Anything that takes connections handed to it as node's servers do (an http.Server). */
export interface ConnectionSink {
  emit(event: 'connection', socket: unknown): boolean
}

export interface Session {
  /** The run's uid inside. */
  readonly uid: number
  readonly limits: Limits
  /** The command that starts `command` in the sandbox with exactly `env`, in /var/task. */
  launch(command: readonly string[], env: Readonly<Record<string, string>>): Launch
  /** Serves `server` inside the sandbox at 127.0.0.1:`port` (and nowhere else in it). */
  expose(server: ConnectionSink, port: number): Promise<void>
  /** Ends every process of the run and the sandbox itself. */
  close(): void
}

/** How long the sandbox and the forwarder may take to start on a loaded machine. */
const START_MS = 20_000

/** Resolves when `child` writes its first line on stdout; rejects if it ends first or takes too long. */
function ready(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => done(new Error(`${what} did not start within ${START_MS / 1000} s`)), START_MS)
    const done = (e?: Error): void => {
      clearTimeout(timer)
      child.stdout?.removeAllListeners('data')
      if (e) reject(e)
      else resolve()
    }
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)))
    child.stdout?.on('data', (c: Buffer) => c.includes(10) && done())
    child.once('error', (e) => done(e))
    child.once('exit', (code) => done(new Error(`${what} ended before it was ready (exit ${code})${err ? `: ${err.trim().split('\n').pop()}` : ''}`)))
  })
}

// The forwarder: node's own net module, nothing of wrapgen (it runs outside the package's folder).
const FORWARDER = `const net=require('net');const[port,sock]=process.argv.slice(1);
net.createServer((c)=>{const u=net.connect(sock);c.pipe(u);u.pipe(c);const end=()=>{c.destroy();u.destroy()};c.on('error',end);u.on('error',end);c.on('close',end);u.on('close',end)})
.listen(Number(port),'127.0.0.1',()=>process.stdout.write('ready\\n'))`

/** `env -i` with exactly `env`, then `command` (a program whose name holds "=" is run through sh, which env would take for a variable). */
function exactEnv(env: Readonly<Record<string, string>>, command: readonly string[]): string[] {
  const run = command[0]?.includes('=') ? ['/bin/sh', '-c', 'exec "$0" "$@"', ...command] : command
  return ['/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...run]
}

export async function openSession(o: SessionOptions): Promise<Session> {
  const limits = limitsFor(o.limits)
  const uid = sandboxUid()
  const args = [
    ...baseArgs(),
    ...mountPointArgs(o.binds),
    ...o.binds.flatMap(([host, lambda]) => ['--ro-bind', host, lambda]),
    '--proc', '/proc',
    '--dev', '/dev',
    ...tmpArgs(limits),
    '--remount-ro', '/',
    '--chdir', '/var/task',
    '--die-with-parent',
    '--clearenv',
    ...NAMESPACES, '--hostname', lambdaHostname(),
    // The waiting process: says it is ready (every mount is in place once it runs), then reads
    // wrapgen's pipe until it closes.
    '--', '/bin/sh', '-c', 'echo; exec /usr/bin/cat',
  ]
  const holder = spawn('bwrap', args, { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'pipe'] })
  trackChild(holder, false)
  holder.stdin?.on('error', () => {})
  let forwarder: ChildProcess | undefined
  let socketDir: string | undefined
  let unix: Server | undefined
  const close = (): void => {
    for (const c of [forwarder, holder]) {
      try {
        if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      } catch {
        // Already gone.
      }
    }
    holder.stdin?.destroy()
    unix?.close()
    if (socketDir) removeTemp(socketDir)
  }
  try {
    await ready(holder, 'the sandbox')
  } catch (e) {
    close()
    throw e
  }
  // The first process of the sandbox's pid namespace (bubblewrap's own init), seen from here.
  const target = String(await initPid(holder.pid!))
  const enter = (namespaces: readonly string[]): string[] => ['--target', target, ...namespaces]
  return {
    uid,
    limits,
    launch(command, env) {
      return {
        command: 'nsenter',
        args: [...enter(['--mount', '--uts', '--ipc', '--net', '--pid']), '--root', '--wd', '--', ...unprivileged(uid, limits), ...exactEnv(env, command)],
        cwd: '/',
        path: (p) => p,
        sandboxed: true,
        limits,
      }
    },
    async expose(server, port) {
      socketDir = makeTemp('api')
      const socket = join(socketDir, 's')
      unix = createServer((s) => void server.emit('connection', s))
      await new Promise<void>((resolve, reject) => {
        unix!.once('error', reject)
        unix!.listen(socket, () => resolve())
      })
      // Only the forwarder's uid (and root) may reach the socket: its folder is the forwarder's alone.
      const forwarderUid = uid + 1_000_000
      chmodSync(socket, 0o666)
      chownSync(socketDir, forwarderUid, forwarderUid)
      chmodSync(socketDir, 0o700)
      const cmd = [...enter(['--net']), '--', ...unprivileged(forwarderUid, limits), ...exactEnv({}, [process.execPath, '-e', FORWARDER, String(port), socket])]
      forwarder = spawn('nsenter', cmd, { cwd: '/', env: {}, stdio: ['ignore', 'pipe', 'pipe'] })
      trackChild(forwarder, false)
      await ready(forwarder, 'the Runtime API forwarder')
    },
    close,
  }
}

/** The host pid of the first process in the sandbox's own pid namespace (bubblewrap's init, below `bwrapPid`). */
async function initPid(bwrapPid: number): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const pid = hostPid(bwrapPid, 1)
    if (pid !== undefined) return pid
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('the sandbox has no first process')
}
