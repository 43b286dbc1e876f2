// The sandbox: the one place that starts code wrapgen did not write (a wrapper under verify, a vendor's
// wrapper under compose, the function, its extensions and a custom runtime under invoke). Features
// import it through this file only (.dependency-cruiser.cjs), so a rule added here holds for all.
export { sandboxAvailable, bwrapArgs, hiddenInterpreters, PID_LIMIT, type Hardening, type Launch } from './bwrap.js'
export { openSession, type Session, type SessionOptions } from './session.js'
export { limitsFor, limitHit, DEFAULT_LIMITS, LIMIT_VARIABLES, type Limits } from './limits.js'
export { lambdaIdentity } from './identity.js'
export { pickMode, hostRunReason, type Mode } from './mode.js'
export { hostPid } from './host-pid.js'
export { bootstrapScript, installBootstrap, LAMBDA_BOOTSTRAP } from './bootstrap.js'
// A process started from a Launch is tracked with cleanup.ts's trackChild, so an interrupted wrapgen
// stops it (bin.ts). Not re-exported here: this file's types reach the package's public .d.ts (Mode),
// and trackChild's would bring node's ChildProcess type to consumers without @types/node (the same
// reason Session takes a structural ConnectionSink, not node's Server).
