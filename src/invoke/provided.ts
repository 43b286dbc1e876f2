// `wrapgen invoke --runtime provided.al2|provided.al2023`: a custom runtime starts as Lambda starts
// it, with no managed bootstrap and no exec-wrapper contract of Lambda's own: the first of
// /var/runtime/bootstrap, /var/task/bootstrap, /opt/bootstrap (RAPID's order) runs directly, cwd
// /var/task. With wrapgen's /opt/bootstrap shim (customRuntime.bootstrap) that is how the function's
// own program reaches AWS_LAMBDA_EXEC_WRAPPER.
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../errors.js'
import type { InvokeLayout, Mode } from './layout.js'
import { mapPath, type InvokeLaunch } from './launch.js'
import type { FunctionError } from './runtime-api.js'
import { loadCatalogue } from '../runtimes/catalogue.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Session } from '../sandbox/index.js'

export const isProvided = (id: string | undefined): boolean => id !== undefined && /^provided(\.|$)/.test(id)

export function providedRuntime(id: string): RuntimeFixture {
  const found = loadCatalogue().runtimes.find((r) => r.id === id)
  if (!found) throw new UsageError(`--runtime ${id}: not in the catalogue; use provided.al2 or provided.al2023`)
  return found
}

/** Where Lambda looks for a custom runtime's bootstrap, in order (the host file, the Lambda path). */
const CANDIDATES = (layout: InvokeLayout): Array<[string, string]> => [
  [join(layout.taskDir, 'bootstrap'), '/var/task/bootstrap'],
  [join(layout.opt, 'bootstrap'), '/opt/bootstrap'],
]

/** The bootstrap Lambda would run, or Runtime.InvalidEntrypoint as Lambda reports it. */
export function findBootstrap(layout: InvokeLayout): { path: string } | { error: FunctionError } {
  for (const [host, lambda] of CANDIDATES(layout)) {
    if (existsSync(host) && statSync(host).isFile()) return { path: lambda }
  }
  const errorMessage = `Couldn't find valid bootstrap(s): [${CANDIDATES(layout).map(([, l]) => l).join(' ')}]`
  return { error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage, body: JSON.stringify({ errorType: 'Runtime.InvalidEntrypoint', errorMessage }) } }
}

/** The command that starts `bootstrap` directly with exactly `env` (sandboxed: in the run's session, /tmp shared with the extensions). */
export function providedLaunch(mode: Mode, layout: InvokeLayout, bootstrap: string, env: Readonly<Record<string, string>>, session: Session | undefined): InvokeLaunch {
  const path = mapPath(mode, layout)
  const clean = { ...env }
  // Our entry's report channel exists only on the node runtimes.
  delete clean.WRAPGEN_INVOKE_REPORT_FD
  if (mode === 'path-mapped') {
    const vars = Object.entries(clean).map(([k, v]) => `${k}=${v}`)
    return { command: 'env', args: ['-i', ...vars, path(bootstrap)], cwd: path('/var/task'), path }
  }
  if (!session) throw new Error('providedLaunch: a sandboxed run needs its session')
  return session.launch([bootstrap], clean)
}
