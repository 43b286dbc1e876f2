// verify's own column beyond the stand-in harness, as column.ts's Column: the real interpreters
// (real.ts) and the startup hooks' probe layer (hooks.ts). api-verify.ts hands it to verify() with the
// columns of other features.
import { familyOf } from '../plan/argv-rules.js'
import type { CheckResult } from './types.js'
import type { Column } from './column.js'
import { runHookChecks } from './hooks.js'
import { runRealChecks } from './real.js'

/** The wrapper through node, python, java, ruby and dotnet where installed (in the sandbox only), and the startup hooks' probes. */
export const realColumn: Column = {
  real: true,
  async rows({ target, config, composed, fixtures, commonEnv, functionEnv, memories, mode, extraLayers }) {
    const rows: CheckResult[] = []
    const warnings: string[] = []
    // A composed chain that ends in a runtime replacer runs that vendor's program, never verify's probe.
    const replacer = composed?.chain.find((e) => e.allow.includes('replace-runtime'))
    if (replacer) warnings.push(`real interpreters not checked: ${replacer.input}'s ${replacer.wrapper} replaces the runtime (last in the chain), so the real interpreter would run its program, not verify's probe`)
    else if (mode === 'sandboxed') rows.push(...(await runRealChecks({ target, fixtures: fixtures.filter((f) => f.family !== 'none' && familyOf(String(f.argv[0]))), commonEnv, memories, extraLayers, ...(functionEnv ? { functionEnv } : {}) })))
    else warnings.push('real interpreters not checked: they run only in the sandbox (bubblewrap)')
    // Startup hooks (issue 7): a probe layer through the real interpreters (src/verify/hooks.ts).
    if (config && target.kind === 'layer') rows.push(...(await runHookChecks({ config, fixtures, memories })))
    return { rows, warnings }
  },
}
