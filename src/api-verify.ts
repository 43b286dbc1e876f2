// The programmatic `verify`: what `wrapgen verify` does, the stand-in harness (verify/run.ts) and every
// column of the report. The columns come from the features that own them, plugged in here, above them
// all, so that verify imports none of compose, extensions or invoke. (Apart from api.ts, so that
// `wrapgen build` does not load verify.)
import { composedColumn } from './compose/verify.js'
import { extensionsColumn } from './extensions/verify.js'
import { clientColumn } from './invoke/verify.js'
import { realColumn } from './verify/columns.js'
import { verify as verifyWith, type VerifyOptions } from './verify/run.js'
import type { VerifyReport } from './verify/types.js'

export type { VerifyOptions }

/**
 * The report's columns after the harness, in the order they run: python and java on AWS's runtime
 * clients (first: the runtimes they cover are left out of the next), real interpreters and startup
 * hooks, extensions, a composed layer's attribution.
 */
const COLUMNS = [clientColumn, realColumn, extensionsColumn, composedColumn]

/** Verifies a config's layer, a built layer or any wrapper file (see VerifyOptions) and returns the report. */
export function verify(opts: VerifyOptions): Promise<VerifyReport> {
  return verifyWith(opts, COLUMNS)
}
