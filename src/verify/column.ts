// How a check beyond the stand-in harness adds to a verify report: a column. run.ts prepares the
// target and runs the harness; each column handed to verify() then adds rows and warnings of its own,
// or revises the finished rows. api-verify.ts hands over wrapgen verify's columns (python and java on
// AWS's runtime clients, the real interpreters and startup hooks, the layer's extensions, a composed
// layer's attribution); verify imports none of them.
import type { ResolvedConfig } from '../config/types.js'
import type { ComposedLayer } from '../layer-tree/compose-manifest.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Mode } from '../sandbox/index.js'
import type { CheckResult, Target, VerifyReport } from './types.js'

/** What a column sees of the run: the prepared target and the selection verify made. */
export interface ColumnRun {
  readonly target: Target
  /** The config the layer was built from; undefined for --wrapper. */
  readonly config: ResolvedConfig | undefined
  /** The compose.json of a layer wrapgen compose wrote. */
  readonly composed: ComposedLayer | undefined
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  /** The function's own environment (--env, else the one wrapgen compose ran a composed layer with). */
  readonly functionEnv: Readonly<Record<string, string>> | undefined
  readonly memories: readonly number[]
  readonly mode: Mode
  readonly extraLayers: readonly string[]
  /** Runtimes (fixture ids) an earlier real column already checked: a later one leaves their real and hooks rows to it. */
  readonly covered: ReadonlySet<string>
}

export interface ColumnRows {
  readonly rows: readonly CheckResult[]
  readonly warnings: readonly string[]
  /** Runtimes (fixture ids) whose real and hooks rows this column gave (added to ColumnRun.covered). */
  readonly covered?: Iterable<string>
  /** Which runtimes ran on AWS's runtime clients, for the report's `clients`. */
  readonly clients?: NonNullable<VerifyReport['clients']>
  /** What this column could not check in this run, for the summary line (`real interpreters (no bubblewrap)`). */
  readonly notChecked?: readonly string[]
}

export interface Revisable {
  readonly results: CheckResult[]
  readonly deviations: string[]
}

export interface Column {
  /** It runs real interpreters: skipped with standInOnly, and its warnings precede the harness's. */
  readonly real?: boolean
  /** Rows (and warnings) of its own, added after the harness's. */
  readonly rows?: (run: ColumnRun) => Promise<ColumnRows>
  /** Revises the finished rows and deviations (e.g. naming the vendor layer behind each). */
  readonly revise?: (report: Revisable, run: ColumnRun) => Promise<Revisable>
}
