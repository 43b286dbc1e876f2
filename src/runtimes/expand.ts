// Makes a runtime fixture concrete for one memory size: the argv and env the bootstrap hands the wrapper.
import { interpolate } from './expr.js'
import type { RuntimeFixture, RuntimeInstance } from './types.js'

export interface ExpandOptions {
  /** Function memory in MB; undefined models an unset AWS_LAMBDA_FUNCTION_MEMORY_SIZE. */
  readonly memory: number | undefined
  /** The common Lambda environment (runtimes/common-env.json), before the runtime's own. */
  readonly commonEnv: Readonly<Record<string, string>>
  /** Variables the function itself sets (they can drop conditional argv elements). */
  readonly functionEnv?: Readonly<Record<string, string>>
}

export function expandRuntime(fixture: RuntimeFixture, opts: ExpandOptions): RuntimeInstance {
  const vars: Record<string, number> = opts.memory === undefined ? {} : { memory: opts.memory }
  const fnEnv = opts.functionEnv ?? {}
  const argv: string[] = []
  for (const el of fixture.argv) {
    if (typeof el === 'string') {
      argv.push(interpolate(el, vars))
      continue
    }
    if (el.needsMemory && opts.memory === undefined) continue
    const dropped = Object.entries(el.unlessEnv ?? {}).some(([name, re]) => {
      const value = fnEnv[name]
      return value !== undefined && new RegExp(re).test(value)
    })
    if (!dropped) argv.push(interpolate(el.arg, vars))
  }
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...opts.commonEnv, ...fixture.env })) env[k] = interpolate(v, vars)
  if (opts.memory !== undefined) env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(opts.memory)
  // The function's own variables win, as on Lambda (e.g. a user NODE_PATH replaces the default).
  Object.assign(env, fnEnv)
  const entryIndex = fixture.entry === null ? -1 : argv.indexOf(fixture.entry)
  return { fixture, memory: opts.memory, argv, entryIndex, env }
}
