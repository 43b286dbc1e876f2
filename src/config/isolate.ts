// A JS or TS config is code: it runs in a worker thread of its own, never on wrapgen's main thread. So a
// synchronous loop in it cannot stop Ctrl-C and SIGTERM (the main thread handles them, and ending the
// process ends the worker), a load has a deadline, console.log in it goes to stderr (stdout is for
// wrapgen's own output, --json included), process.exit and process.reallyExit end only the worker and
// are reported, an unhandled rejection fails the load, its memory is bounded, and whatever it leaves
// running (a timer, a socket) ends with the worker once its value is read.
import { Worker } from 'node:worker_threads'
import { scaled } from '../limits/time-limit.js'
import { safeText } from '../terminal.js'

/**
 * How long a config may take to load on an idle machine, scaled to this one's measured speed (a busy CI
 * box must not turn a config that loads into one that never does); WRAPGEN_CONFIG_TIMEOUT_MS sets it
 * exactly (tests shorten it).
 */
export const CONFIG_TIMEOUT_MS = 30_000
/** Heap a config's worker may use. */
const CONFIG_HEAP_MB = 512

/** How a config module's load ended, as the worker saw it. */
export type Loaded =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'no-default'; readonly names: readonly string[] }
  | { readonly kind: 'threw'; readonly name: string; readonly message: string; readonly thrown: 'error' | 'value' }
  | { readonly kind: 'exit'; readonly code: string }
  | { readonly kind: 'not-data'; readonly path: string; readonly what: string }
  | { readonly kind: 'never' }
  | { readonly kind: 'timeout'; readonly ms: number }

// Runs in the worker (plain JS, evaluated: no file to find in src/ or dist/). It imports the module,
// awaits its default export, waits one turn of the event loop (an unhandled rejection is reported by
// then), and posts the value; a value that is not data (a function) is named by its key path.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
let done = false
const post = (m) => { if (!done) { done = true; parentPort.postMessage(m) } }
const describe = (e) => e instanceof Error ? { name: e.name, message: String(e.message), thrown: 'error' } : { name: '', message: typeof e === 'string' ? JSON.stringify(e) : String(e), thrown: 'value' }
for (const key of ['exit', 'reallyExit']) {
  const real = process[key].bind(process)
  process[key] = (code) => { post({ kind: 'exit', code: code === undefined || code === null ? '' : String(code) }); real(1) }
}
process.on('unhandledRejection', (e) => { post({ kind: 'threw', ...describe(e), message: describe(e).message + ' (an unhandled rejection)' }); process.exitCode = 1 })
const notData = (v, path, seen) => {
  if (typeof v === 'function') return { path, what: 'a function' }
  if (typeof v === 'symbol') return { path, what: 'a symbol' }
  if (typeof v === 'bigint') return { path, what: 'a bigint' }
  if (v === null || typeof v !== 'object' || seen.has(v)) return undefined
  seen.add(v)
  for (const k of Object.keys(v)) { const found = notData(v[k], Array.isArray(v) ? path + '[' + k + ']' : path ? path + '.' + k : k, seen); if (found) return found }
  return undefined
}
;(async () => {
  let mod
  try { mod = await import(workerData.url) } catch (e) { return post({ kind: 'threw', ...describe(e) }) }
  if (!('default' in mod)) return post({ kind: 'no-default', names: Object.keys(mod) })
  let value
  try { value = await mod.default } catch (e) { return post({ kind: 'threw', ...describe(e) }) }
  await new Promise((r) => setImmediate(r))
  const bad = notData(value, '', new Set())
  if (bad) return post({ kind: 'not-data', ...bad })
  post({ kind: 'ok', value })
})()
`

/**
 * Imports the module at `url` in a worker and returns how that ended: its default export (awaited), or
 * why not. Output the module writes is passed to stderr. Never rejects.
 */
export function loadIsolated(url: string, timeoutMs = Number(process.env.WRAPGEN_CONFIG_TIMEOUT_MS) || scaled(CONFIG_TIMEOUT_MS)): Promise<Loaded> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { url },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: CONFIG_HEAP_MB },
    })
    worker.stdout.on('data', (c: Buffer) => process.stderr.write(safeText(c.toString())))
    worker.stderr.on('data', (c: Buffer) => process.stderr.write(safeText(c.toString())))
    let result: Loaded | undefined
    const settle = (r: Loaded): void => {
      if (result) return
      result = r
      clearTimeout(timer)
      // Whatever the config left running ends here.
      void worker.terminate()
      resolve(r)
    }
    const timer = setTimeout(() => settle({ kind: 'timeout', ms: timeoutMs }), timeoutMs)
    worker.on('message', (m: Loaded) => settle(m))
    worker.on('error', (e: Error) => settle({ kind: 'threw', name: e.name, message: (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it used more than ${CONFIG_HEAP_MB} MB of memory` : e.message, thrown: 'error' }))
    // The worker's loop emptied with nothing posted: it awaited something that never happens.
    worker.on('exit', () => settle({ kind: 'never' }))
  })
}
