// The runtime catalogue's data format: one JSON file per Lambda runtime under runtimes/.
import type { Family } from '../config/types.js'

/**
 * One element of a runtime's argv. A plain string is literal. An object may use `${expr}`
 * placeholders (integer arithmetic over `memory`, the function's memory in MB) and conditions.
 */
export type ArgTemplate =
  | string
  | {
      readonly arg: string
      /** Present only when AWS_LAMBDA_FUNCTION_MEMORY_SIZE is set. @default false */
      readonly needsMemory?: boolean
      /** Absent when the named variable's value matches the regular expression. */
      readonly unlessEnv?: Readonly<Record<string, string>>
    }

export interface RuntimeFixture {
  /** Lambda runtime identifier, e.g. `nodejs20.x`. */
  readonly id: string
  /** Which wrapper branch handles it; `none` for runtimes that never run the exec wrapper. */
  readonly family: Family | 'none'
  /** Variant of the runtime's start-up (e.g. dotnet `class-library`); `default` when only one. */
  readonly mode: string
  /** `sourced`: read in a bootstrap or captured in a real function; `inferred`: from a sibling. */
  readonly status: 'sourced' | 'inferred'
  /**
   * AWS's deprecation date (YYYY-MM-DD) from the Lambda runtimes page when the catalogue was last
   * checked: the default \`runtimes\` are the ones not deprecated on CATALOGUE_DATE (supported.ts).
   */
  readonly deprecation: string
  /** Where the facts come from, and any caveat. */
  readonly source: string
  /** The argv the bootstrap passes to the wrapper ("$@"), interpreter first. Empty for `none`. */
  readonly argv: readonly ArgTemplate[]
  /** The argv element before which interpreter flags belong (null: flags cannot be injected). */
  readonly entry: string | null
  /** Variables Lambda sets for this runtime, on top of the common ones (may use `${expr}`). */
  readonly env: Readonly<Record<string, string>>
  /** For `none`: why the wrapper never runs, and what a container entry script must do. */
  readonly note?: string
}

/** A fixture made concrete for one memory size and one starting environment. */
export interface RuntimeInstance {
  readonly fixture: RuntimeFixture
  readonly memory: number | undefined
  readonly argv: readonly string[]
  /** Index in argv of the entry (flags go just before it), or -1. */
  readonly entryIndex: number
  readonly env: Readonly<Record<string, string>>
}
