// Runs the configured hooks in order, each isolated: a throwing hook prints one stderr line and the
// rest still run, unless it is critical. The generated preload entry calls this.
import { logLine, now, preloadState, writeErr, type Preload, type PreloadContext, type Setup } from './index.js'

export interface HookEntry {
  readonly name: string
  readonly options: Record<string, unknown>
  readonly critical: boolean
  /** Loads the hook's module (a bundled require, so loading is timed and isolated too). */
  readonly load: () => unknown
}

function setupOf(mod: unknown): Setup<Record<string, unknown>> {
  const m = mod as { default?: unknown; setup?: unknown }
  const def = (m && typeof m === 'object' && 'default' in m ? m.default : m) as Preload | Setup<Record<string, unknown>> | undefined
  if (typeof def === 'function') return def
  if (def && typeof def === 'object' && typeof def.setup === 'function') return def.setup
  throw new Error('the module exports no hook; export default definePreload({ setup(options) { ... } })')
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''

/**
 * Whether this is a worker thread. node:worker_threads costs milliseconds to load (streams, perf
 * modules), so it is asked only once the process has loaded worker internals at all.
 */
function inWorker(): boolean {
  const loaded = (process as { moduleLoadList?: string[] }).moduleLoadList
  if (loaded && !loaded.some((m) => m.endsWith('internal/worker'))) return false
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  const threads = (get ? get('node:worker_threads') : require('node:worker_threads')) as { isMainThread: boolean }
  return !threads.isMainThread
}

export function runHooks(hooks: readonly HookEntry[]): void {
  // --require also runs in every worker thread, including node 20's module-hooks thread when
  // NODE_OPTIONS has --import/--loader (e.g. OpenTelemetry's ESM hook): hooks run once, on the main thread.
  if (inWorker()) return
  const state = preloadState()
  for (const hook of hooks) {
    const t0 = now()
    const fail = (e: unknown): void => {
      writeErr(`wrapgen: preload ${hook.name} failed: ${firstLine(e)}${hook.critical ? ' (critical: stopping start-up)' : '; skipped'}\n`)
    }
    const context: PreloadContext = {
      name: hook.name,
      log: (message, fields) => logLine({ preload: hook.name, message, ...fields }),
      timings: [...state.timings],
    }
    let ok = true
    try {
      const result = setupOf(hook.load())(hook.options, context)
      // An async setup cannot delay the handler's load; its failure is still reported, and a critical
      // one ends the process (Lambda then reports the failed start), as a synchronous throw would.
      if (result && typeof result.then === 'function')
        result.then(undefined, (e: unknown) => {
          fail(e)
          if (hook.critical) process.exit(1)
        })
    } catch (e) {
      ok = false
      fail(e)
      if (hook.critical) throw e
    }
    state.timings.push({ name: hook.name, ms: now() - t0, ok })
  }
  state.done = true
  for (const fn of state.onDone.splice(0)) fn()
}
