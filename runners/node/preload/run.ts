// Runs the configured hooks in order, each isolated: a throwing hook prints one stderr line and the
// rest still run, unless it is critical. The generated preload entry calls runHook once per hook.
import { sharedState, type HookTiming, type Preload, type PreloadContext, type PreloadState, type Setup } from './index.js'

/**
 * A hook's timing as the entry writes it, `{ name, ms: 0, ok: true, budgetMs }`: it also names the hook
 * (the one object the runner needs per hook; `budgetMs` is the time before it is reported as over
 * budget, it is never stopped).
 */
export type HookStart = HookTiming & { budgetMs: number }

/**
 * Runs the hook's module as node runs a CommonJS module's body: with its `exports` and `module` (and
 * `exports` as `this`); the runner then reads `module.exports`. For a CommonJS hook the build passes the
 * file's own code as this function (one function, compiled with the file); otherwise an arrow that
 * sets `module.exports` to the bundled require of the hook.
 */
export type HookLoad = (this: unknown, exports: unknown, module: { exports: unknown }) => void

/**
 * What only a failing, exiting, async, slow or logging hook needs, or a worker thread: rare.ts, bundled
 * on its own into this file beside the preload and loaded on first need, so that a start where every
 * hook succeeds never parses it. The layer's build writes it under this name (PRELOAD_RARE_FILE).
 */
export const RARE_FILE = 'preload-rare.cjs'

export interface Rare {
  /** Whether this is a worker thread (asked only when process.abort says it may be). */
  inWorker(): boolean
  noHook(): never
  /** process.exit called while `hook` sets up (`exit` is the one below the runner's). */
  exit(hook: HookStart, critical: boolean, exit: typeof process.exit, code?: number | string | null): never
  /** Reports a failed load or setup; restores process.exit and rethrows when the hook is critical. */
  failed(hook: HookStart, critical: boolean, e: unknown, exit: typeof process.exit, intercept: typeof process.exit): void
  /** Reports a synchronous setup that took longer than its budget. */
  overBudget(hook: HookStart): void
  watchAsync(result: PromiseLike<void>, hook: HookStart, critical: boolean, t0: number, state: PreloadState): void
  log(hook: HookStart, message: string, fields?: Record<string, unknown>): void
  /** Runs the callbacks waiting for the last hook. */
  done(state: PreloadState): void
}

let rareModule: Rare | undefined
const rare = (): Rare => (rareModule ??= loadRare())

/**
 * A layer that lost this file (wrapgen's own part, not the user's) still starts the function: one
 * stderr line, then the hooks run without reports (failures, budgets and exits during setup pass
 * unnoticed, a critical hook does not stop start-up: failing open). The stand-in's calls do nothing
 * (Boolean: no function of ours to compile), except that an async setup's rejection is still caught:
 * unhandled, it would end the process.
 */
function loadRare(): Rare {
  try {
    return (require(`${__dirname}/${RARE_FILE}`) as { default: Rare }).default
  } catch (e) {
    require('node:fs').writeSync(2, `wrapgen: ${__dirname}/${RARE_FILE} cannot be loaded (${String(e).split('\n')[0]}); hooks run without failure, exit, budget or async reports\n`)
    const none = Boolean as unknown as () => never
    return { inWorker: none, noHook: none, exit: none, failed: none, overBudget: none, watchAsync: (result) => void result.then(undefined, none), log: none, done: none }
  }
}

// Cold-start cost (docs/hooks.md, "Cost"). Every token here is parsed and compiled on every cold start,
// and each first property access runs without feedback: this is the path every start takes, with no
// helper calls, for-of loops, classes or finally blocks, and `process` read once; everything else is in
// rare.ts. The generated entry calls runHook once per hook, in order, when `active`.
const p = process

// --require also runs in every worker thread, including node 20's module-hooks thread when
// NODE_OPTIONS has --import/--loader (e.g. OpenTelemetry's ESM hook): hooks run once, on the main
// thread. node:worker_threads costs milliseconds to load; a worker's process.abort is node's
// `unavailableInWorker` (node 12 to 24), so it is asked only when process.abort is not node's own.
/** Whether the hooks run in this thread (false in a worker thread). */
export const active: boolean = p.abort.name === 'abort' || !rare().inWorker()

// Whether this is the function's own process rather than a child that inherited the preload
// (through execArgv after fork(), or NODE_OPTIONS): the first process to run the hooks marks the
// environment with its pid, a child sees another pid there. A fork() child started with an
// environment of its own is still known by its IPC channel (Lambda never starts one with it).
const env = p.env
const mark = env.WRAPGEN_PRELOAD_PID
const pid = '' + p.pid
const isFunctionProcess = (mark === undefined || mark === pid) && typeof p.send !== 'function'
if (active && isFunctionProcess) env.WRAPGEN_PRELOAD_PID = pid

/**
 * Runs one hook, isolated and timed: a throwing hook is reported and skipped, unless it is critical.
 * `hook` is its timing (pushed to the state's timings), `last` marks the last hook: the callbacks
 * waiting for the hooks (such as `timing`'s report) run then. In parentheses, so that V8 compiles it
 * with the file in one pass.
 */
export const runHook = (function runHook(hook: HookStart, options: Record<string, unknown>, critical: boolean, load: HookLoad, last?: boolean): void {
  const state = sharedState
  const timings = state.timings
  const t0 = p.uptime() * 1000
  const context: PreloadContext = { name: hook.name, log: (message, fields) => rare().log(hook, message, fields), timings: timings.slice(), isFunctionProcess }
  // process.exit() inside a hook's synchronous setup: a non-critical hook may not end start-up, so
  // the call throws (the hook is then reported as failed); a critical one may, after a line saying
  // so. Async continuations are not covered: by then the function's own code runs too, and its
  // process.exit must work: a hook that wrapped process.exit keeps its wrapper, and ours, below it,
  // then passes through.
  const exit = p.exit
  let inSetup = true
  const intercept: typeof process.exit = (code) => (inSetup ? rare().exit(hook, critical, exit, code) : exit.call(p, code))
  p.exit = intercept
  try {
    const mod = { exports: {} as unknown }
    load.call(mod.exports, mod.exports, mod)
    const m = mod.exports as { default?: unknown } | undefined
    const def = (m && typeof m === 'object' && 'default' in m ? m.default : m) as Preload | Setup<Record<string, unknown>> | undefined
    const setup = typeof def === 'function' ? def : def && typeof def === 'object' && typeof def.setup === 'function' ? def.setup : rare().noHook()
    const result = setup(options, context)
    // An async setup cannot delay the handler's load; how it ends is still reported.
    if (result && typeof result.then === 'function') rare().watchAsync(result, hook, critical, t0, state)
  } catch (e) {
    rare().failed(hook, critical, e, exit, intercept)
  }
  inSetup = false
  if (p.exit === intercept) p.exit = exit
  hook.ms = p.uptime() * 1000 - t0
  if (hook.ms > hook.budgetMs) rare().overBudget(hook)
  timings.push(hook)
  if (last) {
    state.done = true
    if (state.onDone.length) rare().done(state)
  }
})
