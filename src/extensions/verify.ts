// verify's column for the layer's external extensions: the static checks of check.ts (exec bit, a
// program the kernel can start, its #! interpreter on each runtime, clashes with --with-layer trees),
// without running them. Only when some tree ships /opt/extensions.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { RuntimeFixture } from '../runtimes/types.js'
import { rid, type CheckResult, type Column } from '../verify/index.js'
import { checkExtensions } from './check.js'

/** One `extensions` row per runtime (a finding without a runtime counts for each), plus warnings. */
export function extensionRows(layerDir: string, fixtures: readonly RuntimeFixture[], withLayers: readonly string[]): { rows: CheckResult[]; warnings: string[] } {
  if (![layerDir, ...withLayers].some((d) => existsSync(join(d, 'extensions')))) return { rows: [], warnings: [] }
  const wrapped = fixtures.filter((f) => f.family !== 'none')
  const findings = checkExtensions({ layerDir, runtimes: [...new Set(wrapped.map((f) => f.id))], withLayers })
  const warnings = findings.filter((f) => f.status === 'warn').map((f) => `extensions: ${f.extension ? `${f.extension}: ` : ''}${f.message}`)
  const rows = wrapped.map((f): CheckResult => {
    const failed = findings.filter((x) => x.status === 'fail' && (x.runtime === undefined || x.runtime === f.id))
    const detail = failed.map((x) => `${x.extension ? `${x.extension}: ` : ''}${x.message}`).join('; ')
    return { runtime: rid(f), memory: null, shell: null, check: 'extensions', status: failed.length ? 'fail' : 'pass', detail }
  })
  return { rows, warnings }
}

/** External extensions (issue 10) as a verify column: checked statically, never run there. */
export const extensionsColumn: Column = {
  rows: async ({ target, fixtures, extraLayers }) => extensionRows(target.layerDir, fixtures, extraLayers),
}
