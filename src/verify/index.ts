// verify's entry for the features that use its harness (compose runs vendors' wrappers with it) or add a
// column to its report (compose, extensions). The rest of verify/ is its own (.dependency-cruiser.cjs).
export { rid } from './case.js'
export type { Column, ColumnRows, ColumnRun, Revisable } from './column.js'
export { runHarness, shebangInterpreters } from './harness.js'
export { ownLines } from './judge.js'
export { launch } from './launch.js'
export { makeLayout } from './layout.js'
export { observe, type Observation, type Start } from './observe.js'
export type { CheckResult } from './types.js'
