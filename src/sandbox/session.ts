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
// sandbox's mount and network namespaces but not its pid namespace (its processes cannot see it), as
// another unprivileged uid, listens on 127.0.0.1:PORT there and hands each connection it accepts to
// wrapgen over node's IPC channel (the descriptor itself): the bytes flow between the sandboxed client
// and wrapgen's server directly, and the forwarder reads none of them.
import { spawn, type ChildProcess } from 'node:child_process'
import { trackChild } from '../cleanup.js'
import { hostPid } from './host-pid.js'
import { baseArgs, mountPointArgs, NAMESPACES, sandboxUid, unprivileged, type Launch } from './bwrap.js'
import { lambdaHostname } from './identity.js'
import { limitsFor, tmpArgs, type Limits } from './limits.js'

export interface SessionOptions {
  /** [host path, Lambda path], bound read-only in order. */
  readonly binds: ReadonlyArray<readonly [string, string]>
  readonly limits?: Partial<Limits>
}

/** Where the sandbox has wrapgen's own node, which the forwarder runs on (Lambda's own agent lives in /var/rapid too). */
const FORWARDER_NODE = '/var/rapid/node'

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

// The forwarder: node's own net module, nothing of wrapgen (it runs on the sandbox's node). Each
// connection, paused so that no byte is read here, goes to wrapgen, and is closed here once sent.
const FORWARDER = `const net=require('net');const port=Number(process.argv[1]);
net.createServer({pauseOnConnect:true},(c)=>process.send('connection',c)).listen(port,'127.0.0.1',()=>process.stdout.write('ready\\n'))`

/** `env -i` with exactly `env`, then `command` (a program whose name holds "=" is run through sh, which env would take for a variable). */
function exactEnv(env: Readonly<Record<string, string>>, command: readonly string[]): string[] {
  const run = command[0]?.includes('=') ? ['/bin/sh', '-c', 'exec "$0" "$@"', ...command] : command
  return ['/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...run]
}

export async function openSession(o: SessionOptions): Promise<Session> {
  const limits = limitsFor(o.limits)
  const uid = sandboxUid()
  const binds: ReadonlyArray<readonly [string, string]> = [...o.binds, [process.execPath, FORWARDER_NODE]]
  const args = [
    ...baseArgs(),
    ...mountPointArgs(binds),
    ...binds.flatMap(([host, lambda]) => ['--ro-bind', host, lambda]),
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
  const close = (): void => {
    for (const c of [forwarder, holder]) {
      try {
        if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      } catch {
        // Already gone.
      }
    }
    holder.stdin?.destroy()
  }
  let target: string
  try {
    await ready(holder, 'the sandbox')
    // The first process of the sandbox's pid namespace (bubblewrap's own init), seen from here.
    target = String(await initPid(holder.pid!))
  } catch (e) {
    close()
    throw e
  }
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
      // Another uid than the run's: its code cannot signal or trace the forwarder.
      const cmd = [...enter(['--mount', '--net']), '--root', '--', ...unprivileged(uid + 1_000_000, limits), ...exactEnv({ NODE_CHANNEL_FD: '3' }, [FORWARDER_NODE, '-e', FORWARDER, String(port)])]
      forwarder = spawn('nsenter', cmd, { cwd: '/', env: {}, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      trackChild(forwarder, false)
      forwarder.on('message', (_m: unknown, socket: unknown) => {
        if (socket) server.emit('connection', socket)
      })
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
