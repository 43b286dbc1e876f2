// What the preload runner (run.ts) needs only when a hook fails, calls process.exit during setup, sets
// up asynchronously, goes over its budget or logs, or when the preload runs in a worker thread. Bundled
// on its own into preload-rare.cjs beside the preload and required on first need: a start where every
// hook succeeds synchronously never parses a byte of it.
import { logLine, now, writeErr, type HookTiming, type PreloadState } from './index.js'
import type { HookStart, Rare } from './run.js'

/** What a hook threw, in one line; never throws itself (a thrown Object.create(null) has no string form). */
function firstLine(e: unknown): string {
  try {
    return (e instanceof Error ? String(e.message) : String(e)).split('\n')[0] ?? ''
  } catch {
    return 'a value with no string form'
  }
}
const round = (ms: number): number => Math.round(ms * 100) / 100

/**
 * What a non-critical hook's process.exit() threw during its synchronous setup (it may not end
 * start-up): the runner reports it as the hook's failure, and never rethrows it.
 */
let exitCalled: unknown

function failed(hook: HookTiming, critical: boolean, e: unknown): void {
  hook.ok = false
  hook.error = firstLine(e)
  writeErr(`wrapgen: preload ${hook.name} failed: ${hook.error}${critical ? ' (critical: stopping start-up)' : '; skipped'}\n`)
}

function overBudget(hook: HookStart, what: string): void {
  if (hook.overBudget) return
  hook.overBudget = true
  writeErr(`wrapgen: preload ${hook.name} ${what}, over its budget of ${hook.budgetMs} ms\n`)
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

export default {
  inWorker() {
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
    const threads = (get ? get('node:worker_threads') : require('node:worker_threads')) as { isMainThread: boolean }
    return !threads.isMainThread
  },

  noHook() {
    throw new Error('the module exports no hook; export default definePreload({ setup(options) { ... } })')
  },

  exit(hook, critical, exit, code) {
    const call = `process.exit(${code === undefined ? '' : String(code)})`
    if (!critical) throw (exitCalled = new Error(`called ${call} during setup`))
    writeErr(`wrapgen: preload ${hook.name} called ${call} during setup (critical: start-up ends)\n`)
    return exit.call(process, code)
  },

  failed(hook, critical, e, exit, intercept) {
    failed(hook, critical, e)
    if (!critical || e === exitCalled) return
    // A critical hook's failure ends start-up: node reports the throw, Lambda the failed init.
    if (process.exit === intercept) process.exit = exit
    throw e
  },

  overBudget(hook) {
    overBudget(hook, `took ${round(hook.ms)} ms`)
  },

  /**
   * An async setup: its end is reported (settledMs, over budget), and a critical one that rejects ends the
   * process (Lambda then reports the failed start), as a synchronous throw would.
   */
  watchAsync(result, hook, critical, t0, state) {
    const budget = hook.budgetMs
    hook.pending = true
    // result.then is called here, inside the runner's try: a thenable whose then throws fails at once,
    // as a synchronous throw would. What it returns may be anything; Promise.resolve makes it a promise.
    const ended = result.then(
      () => undefined,
      (e: unknown) => {
        failed(hook, critical, e)
        if (critical) process.exit(1)
      },
    )
    const settled = Promise.resolve(ended).then(() => {
      delete hook.pending
      hook.settledMs = round(now() - t0)
      if (hook.settledMs > budget) overBudget(hook, `took ${hook.settledMs} ms (async)`)
    })
    state.pending.push(Promise.race([settled, afterBudget(budget - (now() - t0), () => overBudget(hook, 'is still running'))]))
  },

  log(hook, message, fields) {
    logLine({ preload: hook.name, message, ...fields })
  },

  done(state: PreloadState) {
    const done = state.onDone.splice(0)
    for (const f of done) f()
  },
} satisfies Rare
