// verify's own column beyond the stand-in harness, as column.ts's Column: the real interpreters
// (real.ts) and the startup hooks' probe layer (hooks.ts). api-verify.ts hands it to verify() with the
// columns of other features (invoke's, before it, runs python and java on AWS's runtime clients and
// covers those runtimes; this column checks the rest).
import { familyOf } from '../plan/argv-rules.js'
import { sandboxAvailable } from '../sandbox/index.js'
import type { CheckResult } from './types.js'
import type { Column, ColumnRun } from './column.js'
import { runHookChecks } from './hooks.js'
import { runRealChecks } from './real.js'

/** Why no real interpreter can run verify's probe in this run (undefined: they can). */
export function realRunsBlocked({ composed, mode }: Pick<ColumnRun, 'composed' | 'mode'>): string | undefined {
  // A composed chain that ends in a runtime replacer runs that vendor's program, never verify's probe.
  const replacer = composed?.chain.find((e) => e.allow.includes('replace-runtime'))
  if (replacer) return `${replacer.input}'s ${replacer.wrapper} replaces the runtime (last in the chain), so the real interpreter would run its program, not verify's probe`
  if (mode === 'sandboxed') return undefined
  return `they run only in the sandbox (bubblewrap)${sandboxAvailable() ? ', and --mode path-mapped was asked for' : ', which is not installed or cannot make namespaces here: install bubblewrap (bwrap) to run them'}`
}

/** The wrapper through node, python, java, ruby and dotnet where installed (in the sandbox only), and the startup hooks' probes, on the runtimes no earlier column covered. */
export const realColumn: Column = {
  real: true,
  async rows(run) {
    const { target, config, fixtures, commonEnv, functionEnv, memories, extraLayers, covered } = run
    const rows: CheckResult[] = []
    const warnings: string[] = []
    const left = fixtures.filter((f) => !covered.has(f.id))
    const notChecked: string[] = []
    const blocked = realRunsBlocked(run)
    if (blocked) warnings.push(`real interpreters not checked: ${blocked}`)
    // Said in the summary line too when the machine or the options kept them out (not a replacer's chain: that is the layer's own doing).
    if (blocked && run.mode !== 'sandboxed') notChecked.push(`real interpreters (${sandboxAvailable() ? '--mode path-mapped' : 'no bubblewrap'})`)
    if (!blocked) rows.push(...(await runRealChecks({ target, fixtures: left.filter((f) => f.family !== 'none' && familyOf(String(f.argv[0]))), commonEnv, memories, extraLayers, ...(functionEnv ? { functionEnv } : {}) })))
    // Real checks that could not start without the vendor's layer: the run passes on what it could
    // check, and says what it could not, once.
    const needs = new Map<string, string[]>()
    for (const x of rows.filter((x) => x.check === 'real' && x.status === 'skip' && x.detail.includes('--with-layer'))) {
      const why = x.detail.replace(/; the real \w+ could not start without it$/, '')
      needs.set(why, [...(needs.get(why) ?? []), x.runtime])
    }
    for (const [why, on] of needs) warnings.push(`real interpreters not checked on ${[...new Set(on)].join(', ')}: ${why}`)
    // Startup hooks (issue 7): a probe layer through the real interpreters (src/verify/hooks.ts).
    if (config && target.kind === 'layer') rows.push(...(await runHookChecks({ config, fixtures: left, memories, trees: [target.layerDir, ...extraLayers] })))
    return { rows, warnings, ...(notChecked.length ? { notChecked } : {}) }
  },
}
