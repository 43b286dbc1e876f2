// verify's own columns beyond the stand-in harness, as column.ts's Columns: the real interpreters
// (real.ts) and the startup hooks' probe layer (hooks.ts). api.ts hands them to verify() with the others.
import { familyOf } from '../plan/argv-rules.js'
import type { Column } from './column.js'
import { runHookChecks } from './hooks.js'
import { runRealChecks } from './real.js'

/** The wrapper through node, python, java, ruby and dotnet where installed, in the sandbox only. */
export const realColumn: Column = {
  real: true,
  async rows({ target, composed, fixtures, commonEnv, functionEnv, memories, mode, extraLayers }) {
    // A composed chain that ends in a runtime replacer runs that vendor's program, never verify's probe.
    const replacer = composed?.chain.find((e) => e.allow.includes('replace-runtime'))
    if (replacer) return { rows: [], warnings: [`real interpreters not checked: ${replacer.input}'s ${replacer.wrapper} replaces the runtime (last in the chain), so the real interpreter would run its program, not verify's probe`] }
    if (mode !== 'sandboxed') return { rows: [], warnings: ['real interpreters not checked: they run only in the sandbox (bubblewrap)'] }
    const rows = await runRealChecks({ target, fixtures: fixtures.filter((f) => f.family !== 'none' && familyOf(String(f.argv[0]))), commonEnv, memories, extraLayers, ...(functionEnv ? { functionEnv } : {}) })
    return { rows, warnings: [] }
  },
}

/** Startup hooks (issue 7): a probe layer built from the config, through the real interpreters. */
export const hooksColumn: Column = {
  real: true,
  async rows({ target, config, fixtures, memories }) {
    return { rows: config && target.kind === 'layer' ? await runHookChecks({ config, fixtures, memories }) : [], warnings: [] }
  },
}
