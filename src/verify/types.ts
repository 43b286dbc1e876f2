// Verify's inputs and results: what is verified (Target), how (HarnessOptions), and one row per
// runtime x memory x shell x check.
import type { Plan } from '../plan/types.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Mode } from '../sandbox/index.js'
import type { Shell } from './shells.js'
import type { Allowance } from '../config/allowances.js'

export { ALLOWANCES, type Allowance } from '../config/allowances.js'

export const CHECKS = ['argv', 'env', 'exec', 'exit-codes', 'signals', 'stdio', 'disable', 'fail-mode', 'exec-bit', 'adversarial', 'idempotence', 'chain', 'real', 'hooks', 'extensions'] as const
export type CheckName = (typeof CHECKS)[number]


/** A chained wrapper and the deliberate changes accepted from it. */
export interface ChainedWrapper {
  readonly path: string
  readonly allow: readonly Allowance[]
}

export type Target =
  | {
      readonly kind: 'layer'
      readonly layerDir: string
      readonly plan: Plan
      readonly wrapper: string
      readonly requires: readonly string[]
      /** The same config with adversarial flag and env values added, built as a second layer. */
      readonly adversarial?: { readonly layerDir: string; readonly plan: Plan }
      /** Chained wrappers with what is accepted from each. */
      readonly chain: readonly ChainedWrapper[]
    }
  | {
      readonly kind: 'wrapper'
      readonly layerDir: string
      /** Its Lambda path (/opt/...). */
      readonly wrapper: string
      /** Its #! line, or '' when it has none. */
      readonly shebang: string
      readonly allow: readonly Allowance[]
    }

export interface HarnessOptions {
  readonly target: Target
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  /** The function's own environment (--env), on top of what Lambda sets. */
  readonly functionEnv?: Readonly<Record<string, string>>
  readonly memories: readonly number[]
  /** Shells to run a #!/bin/sh wrapper with (the portability matrix); empty: exec it only. */
  readonly shells: readonly Shell[]
  /** Whether to exec the wrapper file as well (its #! line decides the interpreter). */
  readonly exec: boolean
  readonly mode: Mode
  readonly extraLayers?: readonly string[]
  readonly concurrency?: number
  /**
   * Portability shells check how each shell runs the script (argv, env, exec, stdio, adversarial
   * arguments) but not exit codes and signals, which follow from exec and are checked on the exec'd
   * run (`verify --wrapper` by default; `--matrix full` checks them under every shell).
   */
  readonly lean?: boolean
}

/** What a failed case exec'd, against what was expected (for --verbose and --json). */
export interface Exec {
  readonly argv: readonly string[]
  readonly expected?: readonly string[]
  /** Variables that differ from what was expected: [name, got, expected] (null: unset). */
  readonly env: ReadonlyArray<readonly [string, string | null, string | null]>
}

export interface CheckResult {
  /** Runtime id, with the mode for runtimes that have several (`dotnet8:single-file`). */
  readonly runtime: string
  readonly memory: number | null
  /** The shell that ran a #!/bin/sh wrapper, `exec` when its own #! line decided. */
  readonly shell: string | null
  readonly check: CheckName
  readonly status: 'pass' | 'fail' | 'skip'
  /** Why it failed or was skipped; empty for a pass. */
  readonly detail: string
  /** The failure's cause, shared by the rows it explains (grouping in the report). */
  readonly cause?: string
  /** The wrapper's own stderr lines when the interpreter never ran. */
  readonly stderr?: readonly string[]
  readonly exec?: Exec
}

export interface VerifyReport {
  readonly target: string
  readonly mode: 'sandboxed' | 'path-mapped'
  readonly shells: readonly string[]
  readonly memories: readonly number[]
  readonly results: readonly CheckResult[]
  /** Runtimes that never run exec wrappers, with the explanation. */
  readonly notes: ReadonlyArray<{ readonly runtime: string; readonly note: string }>
  /** Deliberate changes seen (accepted with --allow or not), one line each. */
  readonly deviations: readonly string[]
  readonly warnings: readonly string[]
  /** For --wrapper by default: which runtimes and memory sizes were checked, why, and what was left out. */
  readonly scope?: readonly string[]
  /** Whole kinds of check that did not run, and why, for the summary line ("real interpreters (no bubblewrap)"). */
  readonly notChecked?: readonly string[]
  readonly ms: number
  /** Which python and java runtimes' real and hooks columns ran on AWS's runtime clients, and why the others did not. */
  readonly clients?: {
    readonly ran: ReadonlyArray<{ readonly runtime: string; readonly checks: readonly string[]; readonly ran: string }>
    readonly missing: ReadonlyArray<{ readonly runtime: string; readonly why: string }>
  }
}

/** The cause of rows whose run wrapgen stopped at its time limit: wrapgen's limit, not a verdict on the wrapper. */
export const TIME_LIMIT = 'time-limit'

export const passed = (r: VerifyReport): boolean => r.results.every((x) => x.status !== 'fail')
