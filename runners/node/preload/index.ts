// wrapgen/preload: what a preload hook imports. No dependencies: it ends up inside every bundle.
// Only `sharedState` is on the path every cold start takes (run.ts says why every token there counts).

/** What the runner hands every hook besides its options. */
export interface PreloadContext {
  /** The hook's name as written in the config (e.g. `./preloads/banner.ts`). */
  readonly name: string
  /** Writes one structured JSON line on stderr, tagged with the hook's name. */
  log(message: string, fields?: Record<string, unknown>): void
  /** Timings of the hooks that have run so far, this one excluded. */
  readonly timings: readonly HookTiming[]
  /**
   * Whether this is the function's own process. With `inject: 'argv'` node copies the preload flags
   * into `execArgv`, which `child_process.fork()` children inherit (and with `NODE_OPTIONS` every node
   * child inherits them): the hooks then run again in each child, where this is false. Skip work
   * that belongs once per function (exporters, servers) when it is false.
   */
  readonly isFunctionProcess: boolean
}

export interface HookTiming {
  readonly name: string
  /** Milliseconds the hook took to load and set up (its synchronous part). */
  ms: number
  /** False once its load or setup threw, its async setup rejected, or it called process.exit. */
  ok: boolean
  /** The hook's time budget (config `budgetMs`). */
  budgetMs?: number
  /** Set when the hook went over its budget (synchronously, or while its async setup ran). */
  overBudget?: boolean
  /** For an async setup: ms from the hook's start until its promise settled (absent while pending). */
  settledMs?: number
  /** For an async setup still running when the timing line was written. */
  pending?: boolean
  /** Why it failed, in one line. */
  error?: string
}

export type Setup<O> = (options: O, context: PreloadContext) => void | Promise<void>

export interface Preload<O = Record<string, unknown>> {
  /** Runs once, before the runtime loads the handler. Keep it fast: it is on the cold start path. */
  readonly setup: Setup<O>
}

/** Types a preload hook; returns it unchanged. Export the result as the module's default. */
export const definePreload = (function definePreload<O = Record<string, unknown>>(hook: Preload<O> | Setup<O>): Preload<O> {
  return typeof hook === 'function' ? { setup: hook } : hook
})

/** Shared between the runner and hooks that report on the others (such as `timing`). */
export interface PreloadState {
  /** now() when the bundle started running. */
  readonly startedAt: number
  readonly timings: HookTiming[]
  /** Called once every hook has run. */
  readonly onDone: Array<() => void>
  done: boolean
  /**
   * One promise per async setup, settled when it settles or when its budget runs out, whichever is
   * first (never rejected): a report written after these says how each ended.
   */
  readonly pending: Array<Promise<void>>
}

/** Where the state lives on globalThis: one per process, whichever bundle reaches it first. */
export const STATE_KEY = Symbol.for('wrapgen.preload')

/**
 * The state of this process's preload run: created when the first bundle holding this module starts
 * running, joined by every later one. The one place its initial value is written (run.ts reads it
 * directly, without a call: a function V8 has not compiled yet costs more than the line).
 */
export const sharedState: PreloadState = ((globalThis as { [STATE_KEY]?: PreloadState })[STATE_KEY] ??= { startedAt: process.uptime() * 1000, timings: [], onDone: [], done: false, pending: [] })

/** The state of this process's preload run (the same object as `sharedState`). */
export function preloadState(): PreloadState {
  return sharedState
}

/** One JSON line on stderr: stdout belongs to the function. */
export function logLine(fields: Record<string, unknown>): void {
  writeErr(`${JSON.stringify(fields)}\n`)
}

type Fs = { writeSync(fd: number, text: string): number }
let fs: Fs | undefined

/**
 * Writes to stderr without process.stderr: its first use builds the stream machinery (several
 * milliseconds of module loading on the cold start). One small write is atomic. node:fs is fetched on
 * the first write, not when the bundle loads: an empty hook that writes nothing never pays for it.
 */
export function writeErr(text: string): void {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  // require is there in the bundle (CommonJS); an ES module importing this on a node without
  // getBuiltinModule (before 20.16) falls back to process.stderr.
  fs ??= (get ? get('node:fs') : typeof require === 'function' ? require('node:fs') : undefined) as Fs | undefined
  if (fs) fs.writeSync(2, text)
  else process.stderr.write(text)
}

/**
 * Milliseconds since the process started. Not performance.now(): the `performance` global loads
 * node's perf_hooks modules on first use, a few milliseconds on every cold start.
 */
export function now(): number {
  return process.uptime() * 1000
}
