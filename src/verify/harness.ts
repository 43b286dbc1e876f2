// The harness: lays out the Lambda tree once (layout.ts), then runs one case per runtime x memory
// size x shell (case.ts: run in the sandbox -> observe -> judge), and returns the rows in a stable order.
import { join } from 'node:path'
import { expandRuntime } from '../runtimes/expand.js'
import { runCase, type CaseContext, type CaseShell } from './case.js'
import { makeLayout, REAL_INTERPRETERS } from './layout.js'
import { RUN_LIMIT_MS, type Observation } from './observe.js'
import { timeLimit } from '../limits/time-limit.js'
import { linkShell } from './shells.js'
import type { CheckResult, HarnessOptions, Target } from './types.js'
import type { Family } from '../config/types.js'
import { shebangFamily } from './scope.js'

/** A small pool: verify's runs are processes, so at most `n` at once. */
function pool(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: Array<() => void> = []
  return (fn) =>
    new Promise((resolve, reject) => {
      const start = (): void => {
        active++
        fn().then(resolve, reject).finally(() => {
          active--
          queue.shift()?.()
        })
      }
      if (active < n) start()
      else queue.push(start)
    })
}

/** The real interpreter on this host for a runtime family (the key of REAL_INTERPRETERS), if any. */
function realInterpreter(family: Family | 'none' | undefined): string[] {
  const key = family === 'python' ? 'python3' : family
  return key && key !== 'none' && REAL_INTERPRETERS[key] ? [REAL_INTERPRETERS[key]!] : []
}

/** The host interpreters a wrapper's #! line names (`#!/usr/bin/env python3` -> /usr/bin/python3). */
export function shebangInterpreters(shebang: string): string[] {
  return realInterpreter(shebangFamily(shebang))
}

/** Whether a runtime replacer is accepted: its program (the function's own) then gets a stand-in. */
export const replacerAccepted = (target: Target): boolean => (target.kind === 'wrapper' ? target.allow : target.chain.flatMap((w) => w.allow)).includes('replace-runtime')

/** The values _HANDLER has on the runtimes checked (a replacer runs $LAMBDA_TASK_ROOT/$_HANDLER). */
export function handlersOf(opts: Pick<HarnessOptions, 'fixtures' | 'commonEnv' | 'functionEnv'>): string[] {
  return [...new Set(opts.fixtures.map((f) => opts.functionEnv?._HANDLER ?? f.env._HANDLER ?? opts.commonEnv._HANDLER ?? '').filter(Boolean))]
}

export interface HarnessResult {
  readonly results: CheckResult[]
  readonly warnings: string[]
  readonly deviations: string[]
}

export async function runHarness(opts: HarnessOptions): Promise<HarnessResult> {
  const { target } = opts
  const chain = target.kind === 'layer' ? target.chain.map((w) => w.path) : []
  const layout = makeLayout({
    layerDir: target.layerDir,
    ...(opts.extraLayers ? { extraLayers: opts.extraLayers } : {}),
    fixtures: opts.fixtures,
    missing: target.kind === 'layer' ? target.requires.map((f) => join(target.wrapper.slice(5, target.wrapper.lastIndexOf('/')), f)) : [],
    wrapper: target.wrapper.slice(5),
    passThrough: chain,
    plainChain: chain,
    ...(target.kind === 'layer' && target.adversarial ? { variants: { adversarial: target.adversarial.layerDir } } : {}),
    ...(replacerAccepted(target) ? { programs: handlersOf(opts) } : {}),
  })
  try {
    const shells: CaseShell[] = [
      ...(opts.exec ? [{ name: 'exec', path: '-', portability: false }] : []),
      ...opts.shells.map((s) => ({ name: s.name, path: linkShell(layout.root, s), portability: opts.exec })),
    ]
    const keepHost = target.kind === 'wrapper' ? shebangInterpreters(target.shebang) : []
    const limit = pool(opts.concurrency ?? 8)
    const results: CheckResult[] = []
    const warnings = new Set<string>()
    const deviations = new Set<string>()
    const baselines = new Map<string, Promise<Observation>>()
    let retried = 0
    const jobs: Promise<void>[] = []
    for (const fixture of opts.fixtures) {
      if (fixture.family === 'none') continue
      for (const [mi, memory] of opts.memories.entries()) {
        const inst = expandRuntime(fixture, { memory, commonEnv: opts.commonEnv, ...(opts.functionEnv ? { functionEnv: opts.functionEnv } : {}) })
        const env = { ...inst.env, ...opts.functionEnv }
        for (const [si, shell] of shells.entries()) {
          const ctx: CaseContext = {
            opts, layout, fixture, inst: { ...inst, env }, memory, shell, limit, baselines, first: mi === 0, firstShell: si === 0,
            // A wrapper may run any of the runtime's own programs: python3 on a python runtime runs a
            // layer's script (`exec python3 /opt/python/bin/x "$@"`) with the real python, as on Lambda.
            keepHost: [...new Set([...keepHost, ...realInterpreter(fixture.family)])],
            warn: (w) => void warnings.add(w), deviation: (d) => void deviations.add(`${fixture.id}: ${d}`), retried: () => void retried++,
          }
          jobs.push(runCase(ctx).then((rows) => void results.push(...rows)))
        }
      }
    }
    await Promise.all(jobs)
    if (retried) warnings.add(retriedWarning(retried))
    return { results: results.sort((a, b) => key(a).localeCompare(key(b), 'en', { numeric: true })), warnings: [...warnings].sort(), deviations: [...deviations].sort() }
  } finally {
    layout.remove()
  }
}

/** Runs that needed the longer limit: their verdicts stand (from the second run), but say the machine got busier. */
function retriedWarning(n: number): string {
  const limit = timeLimit(RUN_LIMIT_MS)
  return `${n} run${n === 1 ? '' : 's'} did not finish within wrapgen's first time limit (${(limit.firstMs / 1000).toFixed(1)} s) and ${n === 1 ? 'was' : 'were'} run again with ${(limit.retryMs / 1000).toFixed(1)} s; the verdicts come from the second run (the machine got busier than when wrapgen measured its speed, x${limit.scale})`
}

const key = (r: CheckResult): string => `${r.runtime}|${String(r.memory).padStart(6, '0')}|${r.shell}|${r.check}`

export type { Target }
