// Where wrapgen executes code it did not write (verify's wrappers, compose's vendor wrappers, invoke's
// function and extensions): bubblewrap with its own pid, network, ipc and uts namespaces, dying with its
// parent, a new session, a sized /tmp (the only writable place), the host's /usr and /etc read-only
// (shells and libraries), and read-only binds of only the Lambda tree; inside, an unprivileged uid of
// its own with no capabilities, no way to gain any (no_new_privs), and the limits of limits.ts, so a
// fork bomb stops at a few hundred processes and a runaway allocation at its memory bound.
// Path-mapped (mode.ts): the same tree under a temp folder on the host, only with --unsafe-host.
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { retryOnTimeoutSync } from '../limits/time-limit.js'
import { lambdaHostname } from './identity.js'
import { limitPrefix, limitsFor, tmpArgs, type Limits } from './limits.js'

let bwrapWorks: boolean | undefined

/** Whether bubblewrap is installed and allowed to make the namespaces, the sized /tmp and the uid the sandbox needs here. */
export function sandboxAvailable(): boolean {
  if (bwrapWorks !== undefined) return bwrapWorks
  if (process.platform !== 'linux') return (bwrapWorks = false)
  // Under wrapgen's time limit, scaled and retried: a busy machine must not look like one without bubblewrap.
  const { result } = retryOnTimeoutSync(5000, (timeout) => spawnSync('bwrap', ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', ...tmpArgs(limitsFor()), ...NAMESPACES, '--hostname', 'probe', '--die-with-parent', '--', ...unprivileged(sandboxUid(), limitsFor()), 'true'], { stdio: 'ignore', timeout }), (r) => (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
  return (bwrapWorks = result.status === 0)
}

export interface Launch {
  readonly command: string
  readonly args: string[]
  readonly cwd: string
  /** Turns a Lambda path (/var/lang/bin/node, /opt/wrapgen/exec) into the path the process sees. */
  readonly path: (lambdaPath: string) => string
  /** Inside the sandbox (its pids are the sandbox's own). */
  readonly sandboxed?: boolean
  /** The limits it runs under (sandboxed only), to say which one a failed run hit. */
  readonly limits?: Limits
}

export const NAMESPACES = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts']
const HOST_DIRS = ['/usr', '/etc']
/** Processes one sandbox may hold at once by default (limits.ts). */
export const PID_LIMIT = limitsFor().pids

// Each sandbox runs as a uid of its own, so the process limit (counted per uid) is its alone and its
// code cannot signal another run's processes. Root is exempt from RLIMIT_NPROC, hence not root.
let nextUid = 0
export const sandboxUid = (): number => 2_000_000 + ((process.pid * 97 + nextUid++) % 1_000_000)

/** The host interpreters a runtime may see (the wrapper's own #! interpreter); the others are hidden. */
const HOST_INTERPRETERS = ['/usr/bin/node', '/usr/bin/nodejs', '/usr/bin/python3', '/usr/bin/ruby', '/usr/bin/java', '/usr/bin/dotnet']

export interface Hardening {
  /** Host files to mask (an interpreter the runtime under test does not have). */
  readonly hide?: readonly string[]
  /** Bounds other than the defaults (limits.ts). */
  readonly limits?: Partial<Limits>
  /** A host folder to use as the root; the binds become writable (verify's writes.ts). */
  readonly root?: string
  /** The uid to run as (one run's processes share it); default: a fresh one. */
  readonly uid?: number
}

/**
 * Mount points bubblewrap must make for `binds`, made searchable for the unprivileged uid (its own are
 * 0700); `writable`, writable by it too, so that on verify's root of its own a write below one (/var/log)
 * lands there and is seen, as a write at the root is, instead of failing unseen.
 */
export function mountPointArgs(binds: ReadonlyArray<readonly [string, string]>, writable = false): string[] {
  const parents = new Set<string>()
  for (const [, lambda] of binds) for (let d = lambda.slice(0, lambda.lastIndexOf('/')); d && d !== '/'; d = d.slice(0, d.lastIndexOf('/'))) parents.add(d)
  return [...parents].sort().flatMap((d) => ['--perms', writable ? '0777' : '0755', '--dir', d])
}

/** The file system every sandbox shares: the host's /usr and /etc read-only, /bin-style links, interpreters masked. */
export function baseArgs(hide: readonly string[] = []): string[] {
  return [
    ...HOST_DIRS.filter(existsSync).flatMap((d) => ['--ro-bind', d, d]),
    ...['bin', 'lib', 'lib64', 'sbin'].flatMap((d) => (existsSync(`/${d}`) ? ['--symlink', `usr/${d}`, `/${d}`] : [])),
    ...hide.filter(existsSync).flatMap((f) => ['--ro-bind', '/dev/null', f]),
  ]
}

/**
 * bubblewrap arguments for a Lambda file layout: `binds` (host path, Lambda path) read-only in order,
 * /tmp fresh, sized and the only writable place, cwd /var/task, exactly `env` as the environment (when
 * given), and every rule of this file; with `harden.root`, writable binds on a root of its own (verify
 * sees a wrapper's writes there).
 */
export function bwrapArgs(binds: ReadonlyArray<readonly [string, string]>, command: readonly string[], env?: Readonly<Record<string, string>>, harden: Hardening = {}): string[] {
  const root = harden.root
  const limits = limitsFor(harden.limits)
  return [
    ...(root ? ['--bind', root, '/'] : []),
    ...baseArgs(harden.hide),
    ...mountPointArgs(binds, !!root),
    ...binds.flatMap(([host, lambda]) => [root ? '--bind' : '--ro-bind', host, lambda]),
    '--proc', '/proc',
    '--dev', '/dev',
    ...tmpArgs(limits),
    ...(root ? [] : ['--remount-ro', '/']),
    '--chdir', '/var/task',
    '--die-with-parent',
    ...(env ? ['--clearenv', ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v])] : []),
    ...NAMESPACES, '--hostname', lambdaHostname(), '--new-session',
    '--',
    ...unprivileged(harden.uid ?? sandboxUid(), limits),
    ...command,
  ]
}

/**
 * The command prefix that turns the sandbox's root into `uid`: no supplementary groups, no capabilities
 * (effective, inheritable, bounding), no_new_privs (a setuid file gains nothing), then the limits.
 */
export function unprivileged(uid: number, limits: Limits): string[] {
  return ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', ...limitPrefix(limits)]
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
