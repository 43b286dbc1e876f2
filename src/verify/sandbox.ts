// How a verify run starts the emulated bootstrap: inside bubblewrap with the real Lambda paths
// (sandboxed), or on the host with every Lambda path under a temp folder (path-mapped).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Layout } from './layout.js'

export type Mode = 'sandboxed' | 'path-mapped'

let bwrapWorks: boolean | undefined

/** Whether bubblewrap is installed and allowed to make namespaces here. */
export function sandboxAvailable(): boolean {
  if (bwrapWorks !== undefined) return bwrapWorks
  if (process.platform !== 'linux') return (bwrapWorks = false)
  const r = spawnSync('bwrap', ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], { stdio: 'ignore', timeout: 5000 })
  return (bwrapWorks = r.status === 0)
}

export interface Launch {
  readonly command: string
  readonly args: string[]
  readonly cwd: string
  /** Turns a Lambda path (/var/lang/bin/node, /opt/wrapgen/exec) into the path the process sees. */
  readonly path: (lambdaPath: string) => string
}

const HOST_DIRS = ['/usr', '/etc']

/**
 * bubblewrap arguments for a Lambda file layout: the host's /usr and /etc read-only, `binds`
 * (host path, Lambda path) read-only in order, /tmp the only writable place, cwd /var/task.
 * With `env`, the command gets exactly that environment (nothing the parent's spawn adds).
 */
export function bwrapArgs(binds: ReadonlyArray<readonly [string, string]>, command: readonly string[], env?: Readonly<Record<string, string>>): string[] {
  return [
    ...HOST_DIRS.filter(existsSync).flatMap((d) => ['--ro-bind', d, d]),
    ...['bin', 'lib', 'lib64', 'sbin'].flatMap((d) => (existsSync(`/${d}`) ? ['--symlink', `usr/${d}`, `/${d}`] : [])),
    ...binds.flatMap(([host, lambda]) => ['--ro-bind', host, lambda]),
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--remount-ro', '/',
    '--chdir', '/var/task',
    '--die-with-parent',
    ...(env ? ['--clearenv', ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v])] : []),
    ...command,
  ]
}

/** The command that runs `bootstrap.sh SHELL ARGV...` in `mode`, with `opt` (a tree of the layout) at /opt. */
export function launch(mode: Mode, layout: Layout, opt: string, shell: string, argv: readonly string[]): Launch {
  if (mode === 'path-mapped') {
    const path = (p: string): string => (p.startsWith('/opt/') ? join(opt, p.slice(5)) : p.startsWith('/var/') || p.startsWith('/tmp/') ? join(layout.root, p) : p)
    return { command: layout.bootstrap, args: [shell === "-" ? shell : path(shell), ...argv.map((a, i) => (i === 0 ? path(a) : a))], cwd: join(layout.root, 'var/task'), path }
  }
  const binds: Array<[string, string]> = [
    [opt, '/opt'],
    [join(layout.root, 'var/task'), '/var/task'],
    [join(layout.root, 'var/runtime'), '/var/runtime'],
    [join(layout.root, 'var/lang'), '/var/lang'],
  ]
  const args = bwrapArgs(binds, ['/var/runtime/bootstrap.sh', shell, ...argv])
  return { command: 'bwrap', args, cwd: '/', path: (p) => p }
}
