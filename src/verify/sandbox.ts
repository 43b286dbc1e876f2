// Where a verify run executes code it did not write. Sandboxed (the default, and the only choice for
// `--wrapper` unless the user says --unsafe-host): bubblewrap with its own pid, network, ipc and uts
// namespaces, dying with its parent, a fresh /tmp, the host's /usr and /etc read-only (shells and
// libraries), and read-only binds of only the Lambda tree; inside, an unprivileged uid of its own and a
// process limit, so a fork bomb stops at a few hundred processes. Path-mapped: the same tree under a
// temp folder on the host, for wrapgen's own wrapper where bubblewrap is missing.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { retryOnTimeoutSync } from '../limits/time-limit.js'
import type { Layout } from './layout.js'

export type Mode = 'sandboxed' | 'path-mapped'

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

export interface LaunchOptions {
  /** Host interpreters the run may see (the wrapper's #! interpreter). */
  readonly keepHost?: readonly string[]
  /** Writable copies of the tree and a root of its own (writes.ts), instead of the read-only layout. */
  readonly writable?: { readonly dirs: ReadonlyArray<readonly [string, string]>; readonly root: string }
  /** Exactly this environment inside the sandbox (nothing a test runner's spawn hook adds). */
  readonly env?: Readonly<Record<string, string>>
}

/** The Lambda tree of one run: [Lambda path, host folder]. */
export function lambdaTree(layout: Layout, opt: string, lang: string): Array<[string, string]> {
  return [
    ['/opt', opt],
    ['/var/task', join(layout.root, 'var/task')],
    ['/var/runtime', join(layout.root, 'var/runtime')],
    ['/var/lang', lang],
  ]
}

/**
 * The command that runs `bootstrap.sh SHELL ARGV...` in `mode` with `opt` (a tree of the layout) at
 * /opt and `lang` (one runtime's /var/lang) at /var/lang.
 */
export function launch(mode: Mode, layout: Layout, opt: string, lang: string, shell: string, argv: readonly string[], o: LaunchOptions = {}): Launch {
  const tree = o.writable ? o.writable.dirs : lambdaTree(layout, opt, lang)
  if (mode === 'path-mapped') {
    const host = (p: string): string | undefined => {
      for (const [lambda, dir] of tree) if (p === lambda || p.startsWith(`${lambda}/`)) return join(dir, p.slice(lambda.length))
      return p.startsWith('/tmp/') ? join(layout.root, p) : undefined
    }
    const path = (p: string): string => host(p) ?? p
    return { command: path('/var/runtime/bootstrap.sh'), args: [shell === '-' ? shell : path(shell), ...argv.map((a, i) => (i === 0 ? path(a) : a))], cwd: path('/var/task'), path, sandboxed: false }
  }
  const binds = tree.map(([lambda, dir]) => [dir, lambda] as const)
  const args = bwrapArgs(binds, ['/var/runtime/bootstrap.sh', shell, ...argv], o.env, { hide: hiddenInterpreters(o.keepHost ?? []), ...(o.writable ? { root: o.writable.root } : {}) })
  return { command: 'bwrap', args, cwd: '/', path: (p) => p, sandboxed: true }
}

/**
 * The host pid of the process that is `nsPid` inside the sandbox started as `root` (bubblewrap):
 * Lambda signals the runtime's process, and the harness must signal that very process from outside.
 */
export function hostPid(root: number, nsPid: number): number | undefined {
  const nsOf = (p: number): number | undefined => {
    const ns = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]?.trim().split(/\s+/).map(Number)
    return ns && ns.length > 1 ? ns[ns.length - 1] : undefined
  }
  // Children of each process: from /proc/PID/task/TID/children, or (kernels without it) from every ppid.
  let children: (p: number) => number[]
  try {
    readFileSync(`/proc/${root}/task/${root}/children`, 'utf8')
    children = (p) => readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch {
    const byParent = new Map<number, number[]>()
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1])
        byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)])
      } catch {
        // Gone meanwhile.
      }
    }
    children = (p) => byParent.get(p) ?? []
  }
  const seen = new Set<number>()
  const queue = [root]
  while (queue.length) {
    const p = queue.shift()!
    if (seen.has(p)) continue
    seen.add(p)
    try {
      if (p !== root && nsOf(p) === nsPid) return p
      queue.push(...children(p))
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined
}
