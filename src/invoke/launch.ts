// How an invoke run starts the emulated bootstrap: inside the run's sandbox with the real Lambda paths
// (sandboxed: the layer, the task and the runtime read-only, only /tmp writable, the run's own uid,
// pid and network namespaces; see src/sandbox/session.ts), or on the host with every Lambda path under
// the layout's temp folder (path-mapped: only with --unsafe-host).
import { join } from 'node:path'
import { LAMBDA_BOOTSTRAP, type Launch, type Session } from '../sandbox/index.js'
import type { InvokeLayout, Mode } from './layout.js'

export type InvokeLaunch = Launch

/** The path a Lambda path has in `mode` for this layout. */
export function mapPath(mode: Mode, layout: InvokeLayout): (p: string) => string {
  if (mode === 'sandboxed') return (p) => p
  return (p) => {
    if (p === '/opt' || p.startsWith('/opt/')) return join(layout.opt, p.slice(4))
    if (p.startsWith('/var/') || p === '/tmp' || p.startsWith('/tmp/')) return join(layout.root, p)
    return p
  }
}

/** The Lambda tree every process of an invoke sees (runtime, extensions, a custom runtime's bootstrap): layer, task, runtime, then the runtime client and its interpreter (clients.ts). */
export function lambdaBinds(layout: InvokeLayout): Array<[string, string]> {
  return [
    [layout.opt, '/opt'],
    [layout.taskDir, '/var/task'],
    [join(layout.root, 'var/runtime'), '/var/runtime'],
    [join(layout.root, 'var/lang'), '/var/lang'],
    ...layout.clientBinds.map(([host, lambda]) => [host, lambda] as [string, string]),
  ]
}

/**
 * The command that runs `bootstrap - ARGV...` (the wrapper's own #! line picks its shell) with exactly
 * `env`: the environment is set inside the command (`env -i`), so nothing the parent's spawn adds (a
 * test runner's NODE_OPTIONS, say) reaches the function. Sandboxed, it runs in `session`.
 */
export function invokeLaunch(mode: Mode, layout: InvokeLayout, argv: readonly string[], env: Readonly<Record<string, string>>, session: Session | undefined, shell = '-'): InvokeLaunch {
  const path = mapPath(mode, layout)
  if (mode === 'path-mapped') {
    const sh = shell === '-' ? shell : path(shell)
    // argv is already path-mapped (functionCommand does it, with the variables).
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`)
    return { command: 'env', args: ['-i', ...vars, layout.bootstrap, sh, ...argv], cwd: path('/var/task'), path }
  }
  if (!session) throw new Error('invokeLaunch: a sandboxed run needs its session')
  return session.launch([LAMBDA_BOOTSTRAP, shell, ...argv], env)
}
