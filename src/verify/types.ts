// Verify's results: one row per runtime x memory x shell x check.

export const CHECKS = ['argv', 'env', 'exec', 'exit-codes', 'signals', 'stdio', 'disable', 'fail-mode', 'exec-bit', 'adversarial', 'idempotence', 'chain', 'real', 'hooks'] as const
export type CheckName = (typeof CHECKS)[number]

export interface CheckResult {
  /** Runtime id, with the mode for runtimes that have several (`dotnet8:single-file`). */
  readonly runtime: string
  readonly memory: number | null
  readonly shell: string | null
  readonly check: CheckName
  readonly status: 'pass' | 'fail' | 'skip'
  /** Why it failed or was skipped; empty for a pass. */
  readonly detail: string
}

export interface VerifyReport {
  readonly target: string
  readonly mode: 'sandboxed' | 'path-mapped'
  readonly shells: readonly string[]
  readonly memories: readonly number[]
  readonly results: readonly CheckResult[]
  /** Runtimes that never run exec wrappers, with the explanation. */
  readonly notes: ReadonlyArray<{ readonly runtime: string; readonly note: string }>
  readonly warnings: readonly string[]
  readonly ms: number
}

export const passed = (r: VerifyReport): boolean => r.results.every((x) => x.status !== 'fail')
