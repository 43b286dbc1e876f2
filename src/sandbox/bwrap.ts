// Where wrapgen executes code it did not write (verify's wrappers, compose's vendor wrappers, invoke's
// function and extensions). Sandboxed (the default, and the only choice for untrusted code unless the
// user says --unsafe-host): bubblewrap with its own pid, network, ipc and uts namespaces, dying with its
// parent, a fresh /tmp, the host's /usr and /etc read-only (shells and libraries), and read-only binds of
// only the Lambda tree; inside, an unprivileged uid of its own and a process limit, so a fork bomb stops
// at a few hundred processes. Path-mapped (mode.ts): the same tree under a temp folder on the host.
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { retryOnTimeoutSync } from '../limits/time-limit.js'

let bwrapWorks: boolean | undefined

/** Whether bubblewrap is installed and allowed to make the namespaces verify needs here. */
export function sandboxAvailable(): boolean {
  if (bwrapWorks !== undefined) return bwrapWorks
  if (process.platform !== 'linux') return (bwrapWorks = false)
  // Under wrapgen's time limit, scaled and retried: a busy machine must not look like one without bubblewrap.
  const { result } = retryOnTimeoutSync(5000, (timeout) => spawnSync('bwrap', ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', ...NAMESPACES, '--die-with-parent', '--', ...unprivileged(PID_LIMIT), 'true'], { stdio: 'ignore', timeout }), (r) => (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
  return (bwrapWorks = result.status === 0)
}

export interface Launch {
  readonly command: string
  readonly args: string[]
  readonly cwd: string
  /** Turns a Lambda path (/var/lang/bin/node, /opt/wrapgen/exec) into the path the process sees. */
  readonly path: (lambdaPath: string) => string
  /** Inside bubblewrap (its pids are the sandbox's own). */
  readonly sandboxed?: boolean
}

const NAMESPACES = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts']
const HOST_DIRS = ['/usr', '/etc']
/** Processes one sandbox may hold at once (its uid is its own): far above any wrapper, far below harm. */
export const PID_LIMIT = 256

// Each sandbox runs as a uid of its own, so the process limit (counted per uid) is its alone and a
// wrapper cannot signal another run's processes. Root is exempt from RLIMIT_NPROC, hence not root.
let nextUid = 0
const sandboxUid = (): number => 2_000_000 + ((process.pid * 97 + nextUid++) % 1_000_000)

/** The host interpreters a runtime may see (the wrapper's own #! interpreter); the others are hidden. */
const HOST_INTERPRETERS = ['/usr/bin/node', '/usr/bin/nodejs', '/usr/bin/python3', '/usr/bin/ruby', '/usr/bin/java', '/usr/bin/dotnet']

export interface Hardening {
  /** Host files to mask (an interpreter the runtime under test does not have). */
  readonly hide?: readonly string[]
  readonly pidLimit?: number
  /** A host folder to use as the root; the binds become writable (writes.ts). */
  readonly root?: string
}

/**
 * bubblewrap arguments for a Lambda file layout: `binds` (host path, Lambda path) read-only in order,
 * /tmp fresh and the only writable place, cwd /var/task. With `env`, the command gets exactly that
 * environment. With `harden` (every verify run: the code is not ours), also its own pid, network, ipc
 * and uts namespaces, a new session, masked host interpreters, and the command run as an unprivileged
 * uid of its own under a process limit; with `harden.root`, writable binds on a root of its own.
 * (`wrapgen invoke` calls this without `harden`: its function must reach the local Runtime API.)
 */
export function bwrapArgs(binds: ReadonlyArray<readonly [string, string]>, command: readonly string[], env?: Readonly<Record<string, string>>, harden?: Hardening): string[] {
  const root = harden?.root
  return [
    ...(root ? ['--bind', root, '/'] : []),
    ...HOST_DIRS.filter(existsSync).flatMap((d) => ['--ro-bind', d, d]),
    ...['bin', 'lib', 'lib64', 'sbin'].flatMap((d) => (existsSync(`/${d}`) ? ['--symlink', `usr/${d}`, `/${d}`] : [])),
    ...(harden?.hide ?? []).filter(existsSync).flatMap((f) => ['--ro-bind', '/dev/null', f]),
    // Folders bubblewrap makes on its own for mount points are 0700: the unprivileged uid must pass.
    ...(harden ? [...new Set(binds.map(([, lambda]) => lambda.slice(0, lambda.lastIndexOf('/'))).filter((d) => d && d !== '/'))].flatMap((d) => ['--perms', '0755', '--dir', d]) : []),
    ...binds.flatMap(([host, lambda]) => [root ? '--bind' : '--ro-bind', host, lambda]),
    '--proc', '/proc',
    '--dev', '/dev',
    ...(harden ? ['--perms', '1777'] : []), '--tmpfs', '/tmp',
    ...(root ? [] : ['--remount-ro', '/']),
    '--chdir', '/var/task',
    '--die-with-parent',
    ...(env ? ['--clearenv', ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v])] : []),
    ...(harden ? [...NAMESPACES, '--new-session', '--', ...unprivileged(harden.pidLimit ?? PID_LIMIT)] : []),
    ...command,
  ]
}

/** The command prefix that drops root for a uid of the sandbox's own under a process limit. */
function unprivileged(pidLimit: number): string[] {
  const uid = String(sandboxUid())
  return ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--', '/usr/bin/prlimit', `--nproc=${pidLimit}`, '--']
}

/**
 * The host's interpreters to mask in a sandbox (resolved: bubblewrap binds onto the real file), all
 * but `keep`: a runtime has its own interpreter at /var/lang/bin and only what the wrapper's #! names.
 */
const hiddenCache = new Map<string, string[]>()
export function hiddenInterpreters(keep: readonly string[]): string[] {
  const key = keep.join('\0')
  const hit = hiddenCache.get(key)
  if (hit) return hit
  const real = (p: string): string | undefined => (existsSync(p) ? realpathSync(p) : undefined)
  const kept = new Set(keep.map(real))
  const hidden = [...new Set(HOST_INTERPRETERS.map(real).filter((p): p is string => !!p && !kept.has(p)))]
  hiddenCache.set(key, hidden)
  return hidden
}

/**
 * bubblewrap gives each sandbox its own empty /tmp; on Lambda the runtime and the extensions share one.
 * Bind one host folder (under the layout's temp root) as /tmp for all of them instead.
 */
export function shareTmp(args: readonly string[], hostTmp: string): string[] {
  const out = [...args]
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i] === '--tmpfs' && out[i + 1] === '/tmp') {
      out.splice(i, 2, '--bind', hostTmp, '/tmp')
      break
    }
  }
  return out
}
