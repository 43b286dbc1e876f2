// Built-in hook: one structured line on stderr saying where init time went: node's own start, each
// preload hook, and (for CommonJS handlers) loading the handler module.
import { existsSync, readFileSync } from 'node:fs'
import Module from 'node:module'
import { dirname, join } from 'node:path'
import { definePreload, logLine, now, preloadState } from '../runners/node/preload/index.js'

interface TimingOptions {
  /** The `message` field of the line. @default 'wrapgen init timing' */
  message?: string
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown

/** The handler module's name as Lambda reads `_HANDLER` (`src/app.handler` -> `src/app`). */
function handlerModule(): string | undefined {
  const h = process.env._HANDLER
  if (!h) return undefined
  const dot = h.lastIndexOf('.')
  return dot > 0 ? h.slice(0, dot) : undefined
}

/**
 * Whether Lambda's runtime will require() the handler: extensionless or .cjs, or .js outside a
 * "type": "module" package (it import()s the rest). As its UserFunction does, the nearest package.json wins.
 */
function requiredByRuntime(target: string): boolean {
  if (existsSync(target) || existsSync(`${target}.cjs`)) return true
  if (!existsSync(`${target}.js`)) return false
  for (let dir = dirname(target); !dir.endsWith('/node_modules'); dir = dirname(dir)) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: unknown }).type !== 'module'
      } catch {
        return true
      }
    }
    if (dir === dirname(dir)) break
  }
  return true
}

export default definePreload<TimingOptions>((options) => {
  const state = preloadState()
  const mod = handlerModule()
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd()
  let handler: { module: string; loadMs: number; startMs: number } | undefined
  let emitted = false
  const write = (): void =>
    logLine({
      message: options.message ?? 'wrapgen init timing',
      nodeStartEpochMs: Math.round(Date.now() - now()),
      preloadStartMs: round(state.startedAt),
      hooks: state.timings.map((t) => ({ ...t, ms: round(t.ms) })),
      handler: handler ?? { module: mod ?? null, loadMs: null, note: 'not observed: the runtime loaded it with import()' },
      atMs: round(now()),
    })
  const emit = (): void => {
    if (emitted) return
    emitted = true
    // Async setups still running: the line waits until each has settled or run out of its budget,
    // so a rejected one is shown failed, not ok. The wait never delays the handler: only this line.
    if (state.pending.length > 0) void Promise.all(state.pending).then(write)
    else write()
  }
  // CommonJS handlers go through Module._load; wrap it until the handler has loaded.
  const M = Module as unknown as { _load: Load }
  const original = M._load
  if (mod) {
    const target = `${root}/${mod}`
    M._load = function (this: unknown, request, parent, isMain) {
      const hit = typeof request === 'string' && (request === target || request.startsWith(`${target}.`))
      const t0 = now()
      const result = original.call(this, request, parent, isMain)
      if (hit && !handler) {
        handler = { module: request, loadMs: round(now() - t0), startMs: round(t0) }
        M._load = original
        emit()
      }
      return result
    }
  }
  // A handler the runtime will require(): wait for it. The runtime's own entry (/var/runtime/index.mjs)
  // is ESM, loaded asynchronously, so a setImmediate fires before the handler is even looked up.
  if (mod && requiredByRuntime(`${root}/${mod}`)) return
  // Otherwise report once start-up work is over, without the handler's share.
  const later = (): void => {
    setImmediate(() => {
      M._load = original
      emit()
    }).unref?.()
  }
  if (state.done) later()
  else state.onDone.push(later)
})

const round = (ms: number): number => Math.round(ms * 100) / 100
