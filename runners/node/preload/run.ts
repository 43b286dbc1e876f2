// Runs the configured hooks in order, each isolated: a throwing hook prints one stderr line and the
// rest still run, unless it is critical. The generated preload entry calls this.
import { logLine, now, STATE_KEY, writeErr, type HookTiming, type Preload, type PreloadContext, type PreloadState, type Setup } from './index.js'

export interface HookEntry {
  readonly name: string
  readonly options: Record<string, unknown>
  readonly critical: boolean
  /** Milliseconds before the hook is reported as over budget (it is never stopped). */
  readonly budgetMs?: number
  /** Loads the hook's module (a bundled require, so loading is timed and isolated too). */
  readonly load: () => unknown
}

/** What a hook threw, in one line; never throws itself (a thrown Object.create(null) has no string form). */
function firstLine(e: unknown): string {
  try {
    return (e instanceof Error ? String(e.message) : String(e)).split('\n')[0] ?? ''
  } catch {
    return 'a value with no string form'
  }
}
const round = (ms: number): number => Math.round(ms * 100) / 100

/** Marks the environment with the pid of the function's process: node children inherit it. */
const PROCESS_MARK = 'WRAPGEN_PRELOAD_PID'

/**
 * What a non-critical hook's process.exit() threw during its synchronous setup (it may not end
 * start-up). Known by identity, so that no class is defined on every cold start.
 */
let exitCalled: unknown

// Cold-start cost (docs/hooks.md, "Cost"). Every token here is parsed and compiled on every cold start
// (about 200 instructions a byte, most of what the preload costs), and each first property access
// runs without feedback. So the path every start takes is one function, written in parentheses so that
// V8 compiles it with the file in one pass, with no helper calls, for-of loops or classes; what only a
// failing, slow or async hook (or a worker thread) needs is in plain functions below, compiled only
// when one does.
export const runHooks = (function runHooks(hooks: readonly HookEntry[]): void {
  // --require also runs in every worker thread, including node 20's module-hooks thread when
  // NODE_OPTIONS has --import/--loader (e.g. OpenTelemetry's ESM hook): hooks run once, on the main
  // thread. node:worker_threads costs milliseconds to load, so it is asked only when the list of
  // loaded modules has worker internals, or not the shape known here (the CommonJS loader listed).
  const loaded = (process as { moduleLoadList?: string[] }).moduleLoadList
  if (!(loaded && !loaded.includes('NativeModule internal/worker') && loaded.includes('NativeModule internal/modules/cjs/loader')) && inWorker()) return
  // preloadState() and now(), inlined: calling them costs more than these lines on every start.
  const state = ((globalThis as { [STATE_KEY]?: PreloadState })[STATE_KEY] ??= { startedAt: process.uptime() * 1000, timings: [], onDone: [], done: false, pending: [] })
  // Whether this is the function's own process rather than a child that inherited the preload
  // (through execArgv after fork(), or NODE_OPTIONS): the first process to run the hooks marks the
  // environment with its pid, a child sees another pid there. A fork() child started with an
  // environment of its own is still known by its IPC channel (Lambda never starts one with it).
  const mark = process.env[PROCESS_MARK]
  const pid = String(process.pid)
  const isFunctionProcess = (mark === undefined || mark === pid) && typeof process.send !== 'function'
  if (isFunctionProcess) process.env[PROCESS_MARK] = pid
  for (let i = 0; i < hooks.length; i++) {
    const hook = hooks[i]!
    const t0 = process.uptime() * 1000
    const timing: HookTiming = { name: hook.name, ms: 0, ok: true }
    if (hook.budgetMs !== undefined) timing.budgetMs = hook.budgetMs
    const context: PreloadContext = { name: hook.name, log: (message, fields) => logLine({ preload: hook.name, message, ...fields }), timings: state.timings.slice(), isFunctionProcess }
    // process.exit() inside a hook's synchronous setup: a non-critical hook may not end start-up, so
    // the call throws (the hook is then reported as failed); a critical one may, after a line saying
    // so. Async continuations are not covered: by then the function's own code runs too, and its
    // process.exit must work.
    const exit = process.exit
    let inSetup = true
    const intercept: typeof process.exit = (code) => exitDuringSetup(hook, inSetup, exit, code)
    process.exit = intercept
    try {
      const m = hook.load() as { default?: unknown } | undefined
      const def = (m && typeof m === 'object' && 'default' in m ? m.default : m) as Preload | Setup<Record<string, unknown>> | undefined
      const setup = typeof def === 'function' ? def : def && typeof def === 'object' && typeof def.setup === 'function' ? def.setup : noHook()
      const result = setup(hook.options, context)
      // An async setup cannot delay the handler's load; how it ends is still reported.
      if (result && typeof result.then === 'function') watchAsync(result, hook, timing, t0, state)
    } catch (e) {
      failed(hook, timing, e)
      if (hook.critical && e !== exitCalled) throw e
    } finally {
      // A hook that wrapped process.exit itself keeps its wrapper; ours, still below it, passes through.
      inSetup = false
      if (process.exit === intercept) process.exit = exit
    }
    timing.ms = process.uptime() * 1000 - t0
    if (hook.budgetMs !== undefined && timing.ms > hook.budgetMs) overBudget(hook, timing, `took ${round(timing.ms)} ms`)
    state.timings.push(timing)
  }
  state.done = true
  const done = state.onDone.splice(0)
  for (let i = 0; i < done.length; i++) done[i]!()
})

/** Whether this is a worker thread (asked only when the loaded modules say it may be). */
function inWorker(): boolean {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  const threads = (get ? get('node:worker_threads') : require('node:worker_threads')) as { isMainThread: boolean }
  return !threads.isMainThread
}

function noHook(): never {
  throw new Error('the module exports no hook; export default definePreload({ setup(options) { ... } })')
}

function exitDuringSetup(hook: HookEntry, inSetup: boolean, exit: typeof process.exit, code?: number | string | null): never {
  if (!inSetup) return exit.call(process, code)
  if (!hook.critical) throw (exitCalled = new Error(`called process.exit(${code === undefined ? '' : String(code)}) during setup`))
  writeErr(`wrapgen: preload ${hook.name} called process.exit(${code === undefined ? '' : String(code)}) during setup (critical: start-up ends)\n`)
  return exit.call(process, code)
}

function failed(hook: HookEntry, timing: HookTiming, e: unknown): void {
  timing.ok = false
  timing.error = firstLine(e)
  writeErr(`wrapgen: preload ${hook.name} failed: ${timing.error}${hook.critical ? ' (critical: stopping start-up)' : '; skipped'}\n`)
}

function overBudget(hook: HookEntry, timing: HookTiming, what: string): void {
  if (timing.overBudget) return
  timing.overBudget = true
  writeErr(`wrapgen: preload ${hook.name} ${what}, over its budget of ${hook.budgetMs} ms\n`)
}

/**
 * An async setup: its end is reported (settledMs, over budget), and a critical one that rejects ends the
 * process (Lambda then reports the failed start), as a synchronous throw would.
 */
function watchAsync(result: PromiseLike<void>, hook: HookEntry, timing: HookTiming, t0: number, state: PreloadState): void {
  const budget = hook.budgetMs
  timing.pending = true
  // result.then is called here, inside runHook's try: a thenable whose then throws fails at once, as a
  // synchronous throw would. What it returns may be anything; Promise.resolve makes it a promise.
  const ended = result.then(
    () => undefined,
    (e: unknown) => {
      failed(hook, timing, e)
      if (hook.critical) process.exit(1)
    },
  )
  const settled = Promise.resolve(ended).then(() => {
    delete timing.pending
    timing.settledMs = round(now() - t0)
    if (budget !== undefined && timing.settledMs > budget) overBudget(hook, timing, `took ${timing.settledMs} ms (async)`)
  })
  state.pending.push(budget === undefined ? settled : Promise.race([settled, afterBudget(budget - (now() - t0), () => overBudget(hook, timing, 'is still running'))]))
}

/** Resolves after `ms` (calling `then` first) without keeping the process alive for it. */
function afterBudget(ms: number, then: () => void): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(() => {
      then()
      resolve()
    }, Math.max(0, ms)).unref?.()
  })
}
