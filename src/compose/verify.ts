// What `wrapgen verify --layer` adds for a layer wrapgen compose wrote (its compose.json is read by
// layer-tree/compose-manifest.ts): deviations and failures that name the vendor layer that made them.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Allowance } from '../config/allowances.js'
import type { ComposedLayer } from '../layer-tree/compose-manifest.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Mode } from '../sandbox/index.js'
import { rid, runHarness, TIME_LIMIT, type CheckResult, type Column } from '../verify/index.js'

/**
 * The harness's chain deviations (`<runtime>: chain: <kind>: <what>[ (accepted in chain[].allow)]`)
 * with the vendor layer whose wrapper makes that change, as compose classified it.
 */
export function attributeDeviations(deviations: readonly string[], composed: ComposedLayer): string[] {
  return deviations.map((d) => {
    const m = /^(.*?: )chain: ([a-z-]+): (.*?)( \(accepted in chain\[\]\.allow\))?$/.exec(d)
    if (!m) return d
    const [, head, kind, what, accepted] = m
    const by = composed.chain.filter((e) => e.allow.includes(kind as Allowance))
    const who = by.length ? `${by.map((e) => `${e.input} (${e.wrapper})`).join(', ')}` : 'a chained vendor wrapper (compose did not see any make this change alone)'
    return `${head}chain: ${kind}: ${who} ${what}${accepted ? ' (accepted: compose classified it so)' : ''}`
  })
}

const shebangOf = (file: string): string => {
  const head = readFileSync(file).subarray(0, 256).toString('utf8')
  return head.startsWith('#!') ? head.split('\n')[0]!.trim() : ''
}

/**
 * Names the vendor layer behind each failed row: every chained wrapper is verified alone (exec'd
 * by its #! line, at its own path in the layer, at one memory size) on the runtimes that failed, and
 * a failed row is attributed to each wrapper that fails the same check there on its own.
 */
export async function blameFailures(rows: readonly CheckResult[], composed: ComposedLayer, h: { layerDir: string; fixtures: readonly RuntimeFixture[]; commonEnv: Readonly<Record<string, string>>; memory: number; mode: Mode }): Promise<CheckResult[]> {
  // A run stopped at wrapgen's time limit is no one's doing.
  const failed = rows.filter((r) => r.status === 'fail' && r.cause !== TIME_LIMIT)
  if (!failed.length || !composed.chain.length) return [...rows]
  const fixtures = h.fixtures.filter((f) => failed.some((r) => r.runtime === rid(f)))
  const alone = new Map<string, string[]>()
  for (const e of composed.chain) {
    const file = join(h.layerDir, e.wrapper.slice(5))
    if (!existsSync(file)) continue
    const { results } = await runHarness({ target: { kind: 'wrapper', layerDir: h.layerDir, wrapper: e.wrapper, shebang: shebangOf(file), allow: e.allow }, fixtures, commonEnv: h.commonEnv, ...(composed.env ? { functionEnv: composed.env } : {}), memories: [h.memory], shells: [], exec: true, mode: h.mode })
    for (const r of results.filter((x) => x.status === 'fail')) {
      const key = `${r.runtime}|${r.check}`
      alone.set(key, [...(alone.get(key) ?? []), `${e.input} (${e.wrapper})`])
    }
  }
  // The checks of a wrapper alone that stand for a composed row's: the chain check judges the chained
  // wrappers' argv and environment; the real interpreters see the same exec as the stand-ins.
  const same: Partial<Record<string, readonly string[]>> = { chain: ['argv', 'env'], real: ['exec', 'argv', 'env'] }
  return rows.map((r) => {
    if (r.status !== 'fail' || r.cause === TIME_LIMIT) return r
    const who = [...new Set((same[r.check] ?? [r.check]).flatMap((check) => alone.get(`${r.runtime}|${check}`) ?? []))]
    return who.length ? { ...r, detail: `${r.detail} [made by ${who.join(', ')}: it fails this check on its own too]` } : r
  })
}

/** A composed layer's attribution as a verify column: its failures and deviations name the vendor layer that made them. */
export const composedColumn: Column = {
  async revise(report, { target, composed, fixtures, commonEnv, memories, mode }) {
    if (!composed) return report
    const results = await blameFailures(report.results, composed, { layerDir: target.layerDir, fixtures, commonEnv, memory: memories[0] ?? 1024, mode })
    return { results, deviations: attributeDeviations(report.deviations, composed) }
  },
}
