// One verify case (a runtime fixture at one memory size under one shell) and how it runs the bootstrap.
import type { RuntimeFixture, RuntimeInstance } from '../runtimes/types.js'
import type { Layout } from './layout.js'
import { observe, type Observation, type RunSpec } from './observe.js'
import { launch, type Mode } from './sandbox.js'
import type { HarnessOptions } from './verify.js'

/** `nodejs20.x`, or `dotnet8:single-file` for runtimes with several modes. */
export const rid = (f: RuntimeFixture): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)

export interface CaseContext {
  readonly opts: HarnessOptions
  readonly layout: Layout
  readonly fixture: RuntimeFixture
  readonly inst: RuntimeInstance
  readonly memory: number
  readonly shell: string
  readonly shellPath: string
  readonly limit: <T>(fn: () => Promise<T>) => Promise<T>
  readonly baselines: Map<string, Promise<Observation>>
  /** The first memory size: memory-independent checks run only there. */
  readonly first: boolean
  readonly firstShell: boolean
}

export interface RunOptions {
  readonly argv?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly wrapper?: string
  readonly opt?: string
  readonly action?: RunSpec['action']
  readonly mode?: Mode
  readonly shell?: string
}

export function run(c: CaseContext, o: RunOptions = {}): Promise<Observation> {
  const mode = o.mode ?? c.opts.mode
  const opt = c.layout.opts.get(o.opt ?? 'layer')!
  const l = launch(mode, c.layout, opt, o.shell ?? c.shellPath, o.argv ?? c.inst.argv)
  const wrapper = o.wrapper ?? c.opts.target.wrapper
  const env = { ...c.inst.env, ...o.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper === '' ? '' : l.path(wrapper) }
  return c.limit(() => observe({ launch: l, env, action: o.action ?? { exit: 0 }, stdin: 'stdin reaches the interpreter\n' }))
}

/** The same command with no wrapper: what the runtime itself would run (shared by every shell). */
export function baseline(c: CaseContext, mode: Mode = c.opts.mode, argv: readonly string[] = c.inst.argv): Promise<Observation> {
  const k = `${rid(c.fixture)}|${c.memory}|${mode}|${argv.length}|${argv[argv.length - 1]}`
  let b = c.baselines.get(k)
  if (!b) c.baselines.set(k, (b = run(c, { wrapper: '', mode, argv })))
  return b
}

