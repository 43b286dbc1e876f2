// The harness: runs the wrapper the way each runtime's bootstrap does, with stand-in interpreters,
// and checks argv, environment and exec behaviour against the plan (or, for a third-party wrapper,
// against the generic contract). One case per runtime x memory size x shell (checks.ts).
import { join } from 'node:path'
import type { Plan } from '../plan/types.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { CaseContext } from './case.js'
import { runCase } from './checks.js'
import { makeLayout } from './layout.js'
import type { Observation } from './observe.js'
import type { Mode } from './sandbox.js'
import { linkShell, type Shell } from './shells.js'
import type { CheckResult } from './types.js'

export type Target =
  | {
      readonly kind: 'layer'
      readonly layerDir: string
      readonly plan: Plan
      readonly wrapper: string
      readonly requires: readonly string[]
      /** The same config with adversarial flag and env values added, built as a second layer. */
      readonly adversarial?: { readonly layerDir: string; readonly plan: Plan }
    }
  | { readonly kind: 'wrapper'; readonly layerDir: string; readonly wrapper: string }

export interface HarnessOptions {
  readonly target: Target
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  readonly memories: readonly number[]
  readonly shells: readonly Shell[]
  readonly mode: Mode
  readonly extraLayers?: readonly string[]
  readonly concurrency?: number
}

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


export async function runHarness(opts: HarnessOptions): Promise<CheckResult[]> {
  const { target } = opts
  const chain = target.kind === 'layer' ? target.plan.chain : []
  const layout = makeLayout({
    layerDir: target.layerDir,
    ...(opts.extraLayers ? { extraLayers: opts.extraLayers } : {}),
    fixtures: opts.fixtures,
    missing: target.kind === 'layer' ? target.requires.map((f) => join(target.wrapper.slice(5, target.wrapper.lastIndexOf('/')), f)) : [],
    wrapper: target.wrapper.slice(5),
    passThrough: chain,
    ...(target.kind === 'layer' && target.adversarial ? { variants: { adversarial: target.adversarial.layerDir } } : {}),
  })
  try {
    const shells = opts.shells.map((s) => ({ shell: s, path: linkShell(layout.root, s) }))
    const limit = pool(opts.concurrency ?? 4)
    const results: CheckResult[] = []
    const baselines = new Map<string, Promise<Observation>>()
    const jobs: Promise<void>[] = []
    for (const fixture of opts.fixtures) {
      if (fixture.family === 'none') continue
      for (const [mi, memory] of opts.memories.entries()) {
        const inst = expandRuntime(fixture, { memory, commonEnv: opts.commonEnv })
        for (const [si, { shell, path }] of shells.entries()) {
          const ctx: CaseContext = { opts, layout, fixture, inst, memory, shell: shell.name, shellPath: path, limit, baselines, first: mi === 0, firstShell: si === 0 }
          jobs.push(runCase(ctx).then((rows) => void results.push(...rows)))
        }
      }
    }
    await Promise.all(jobs)
    return results.sort((a, b) => key(a).localeCompare(key(b), 'en', { numeric: true }))
  } finally {
    layout.remove()
  }
}

const key = (r: CheckResult): string => `${r.runtime}|${String(r.memory).padStart(6, '0')}|${r.shell}|${r.check}`

