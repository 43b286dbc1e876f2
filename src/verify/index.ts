// verify's entry for the features that use its harness (compose runs vendors' wrappers with it) or add a
// column to its report (compose, extensions, invoke: the real and hooks columns on AWS's runtime
// clients, judged as verify judges its own). The rest of verify/ is its own (.dependency-cruiser.cjs).
export { rid } from './case.js'
export type { Column, ColumnRows, ColumnRun, Revisable } from './column.js'
export { realRunsBlocked } from './columns.js'
export { handlersOf, runHarness, shebangInterpreters } from './harness.js'
export { ownLines } from './judge.js'
export { launch } from './launch.js'
export { probeFor, type Probe } from './hooks.js'
export { missingHookModules } from './hook-modules.js'
export { makeLayout } from './layout.js'
export { observe, observeWithin, type Observation, type Start } from './observe.js'
export { checkFamily } from './real.js'
export { codeOf } from './scope.js'
export { TIME_LIMIT, type CheckResult, type Target } from './types.js'
