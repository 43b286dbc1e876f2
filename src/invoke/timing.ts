// The init report: where a cold start's time went, in ms from the bootstrap's spawn. Sources: the
// spawn time (wrapper start), our entry's fd-3 line or the timing preload's line (node start), the
// timing preload's hooks, and the Runtime API's clock (first /next = handler loaded, first response).
import type { Timestamp } from './runtime-api.js'

export interface HookPhase {
  readonly name: string
  /** A node.imports hook (--import runner) rather than a --require preload hook. */
  readonly kind?: 'import' | undefined
  /** When the hook started, ms after the spawn (unknown for java: its runner reports durations only). */
  readonly startMs: number | undefined
  readonly ms: number
  readonly ok: boolean
  /** Why it failed (a throw, a rejected async setup, a process.exit call), in one line. */
  readonly error?: string | undefined
  readonly budgetMs?: number | undefined
  readonly overBudget?: boolean | undefined
  /** For an async setup: ms from its start until it settled. */
  readonly settledMs?: number | undefined
  /** For an async setup still running when the timing line was written (past its budget). */
  readonly pending?: boolean | undefined
}

export interface InitReport {
  /** Always 0: the origin is the spawn of the emulated bootstrap, which execs the wrapper. */
  readonly wrapperStartMs: number
  /** The interpreter's process name (node, python3.12, java). */
  readonly interpreter?: string | undefined
  /** When the interpreter was exec'd (python, java: seen in /proc; node: nodeStartMs). */
  readonly interpreterStartMs?: number | undefined
  /** When node's process started (performance.timeOrigin), if reported. */
  readonly nodeStartMs?: number | undefined
  /** When the preload bundle started running (needs the timing preload). */
  readonly preloadStartMs?: number | undefined
  readonly hooks: readonly HookPhase[]
  /** When the runtime entry (/var/runtime/index.mjs, python's bootstrap.py) started, after every preload hook. */
  readonly runtimeEntryMs?: number | undefined
  /** The handler module as the timing preload saw it (CommonJS handlers only: import() is not observed); `startMs` since the spawn. */
  readonly handlerModule?: { readonly module: string | null; readonly loadMs: number | null; readonly startMs?: number | undefined } | undefined
  /** First GET /next: the handler module is loaded and the runtime is ready. The init duration. */
  readonly handlerReadyMs?: number | undefined
  /** The first invoke's response arrived. */
  readonly firstInvokeMs?: number | undefined
}

interface TimingLine {
  nodeStartEpochMs: number
  preloadStartMs: number
  hooks: Array<{ name: string; ms: number; ok: boolean; error?: unknown; budgetMs?: unknown; overBudget?: unknown; settledMs?: unknown; pending?: unknown }>
  handler?: { module?: string | null; loadMs?: number | null; startMs?: number }
}

interface EntryLine {
  nodeStartEpochMs: number
  entryMs: number
  /** The node.imports runner's timings, in order. */
  imports?: Array<{ name?: unknown; ms?: unknown; ok?: unknown }>
}

const parse = (line: string): Record<string, unknown> | undefined => {
  if (!line.startsWith('{')) return undefined
  try {
    const v: unknown = JSON.parse(line)
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The wrapgen timing preload's line (preloads/timing.ts) among the function's stderr lines. */
export function findTimingLine(stderr: string): TimingLine | undefined {
  for (const line of stderr.split('\n')) {
    const o = parse(line)
    if (o && typeof o.nodeStartEpochMs === 'number' && Array.isArray(o.hooks) && typeof o.preloadStartMs === 'number') return o as unknown as TimingLine
  }
  return undefined
}

/** Our entry's line from fd 3 (src/invoke/assets/runtime-entry.mjs). */
export function findEntryLine(lines: readonly string[]): EntryLine | undefined {
  for (const line of lines) {
    const o = parse(line)
    if (o && o.wrapgenInvokeEntry === true && typeof o.nodeStartEpochMs === 'number' && typeof o.entryMs === 'number') return o as unknown as EntryLine
  }
  return undefined
}

const r2 = (ms: number): number => Math.round(ms * 100) / 100

interface HookTiming { name: string; ms: number; ok: boolean }
const hookTimings = (v: unknown): HookTiming[] | undefined =>
  Array.isArray(v) ? v.filter((h): h is HookTiming => typeof h === 'object' && h !== null && typeof (h as HookTiming).name === 'string' && typeof (h as HookTiming).ms === 'number') : undefined

/** Our python entry's line from fd 3 (src/invoke/assets/bootstrap.py): its start, and the runner's hook times. */
export function findPythonEntryLine(lines: readonly string[]): { entryEpochMs: number; hooks: HookTiming[] | undefined } | undefined {
  for (const line of lines) {
    const o = parse(line)
    if (o && o.wrapgenInvokeEntry === true && o.runtime === 'python' && typeof o.entryEpochMs === 'number') return { entryEpochMs: o.entryEpochMs, hooks: hookTimings(o.hooks) }
  }
  return undefined
}

/** The hook times a runner prints with WRAPGEN_TIMING=1 (`{"wrapgen":"hooks","runtime":"java",...}`) among stderr lines. */
export function findRunnerTimingLine(stderr: string, runtime: string): HookTiming[] | undefined {
  for (const line of stderr.split('\n')) {
    const o = parse(line)
    if (o && o.wrapgen === 'hooks' && o.runtime === runtime) return hookTimings(o.hooks)
  }
  return undefined
}

const phase = (h: HookTiming, startMs: number | undefined): HookPhase => ({ name: h.name, startMs: startMs === undefined ? undefined : r2(startMs), ms: h.ms, ok: h.ok === true })

export interface InitSources {
  readonly spawnedAt: Timestamp
  readonly stderr: string
  readonly reportLines: readonly string[]
  readonly initDoneAt: Timestamp | undefined
  readonly firstResponseAt: Timestamp | undefined
  /** Python and java: the interpreter's process name and when it was seen exec'd (exec-watch.ts). */
  readonly interpreter?: { readonly name: string; readonly family: 'python' | 'java'; readonly seenAt: Timestamp | undefined } | undefined
}

export function initReport(s: InitSources): InitReport {
  if (s.interpreter) return interpreterReport(s, s.interpreter)
  const timing = findTimingLine(s.stderr)
  const entry = findEntryLine(s.reportLines)
  const nodeEpoch = entry?.nodeStartEpochMs ?? timing?.nodeStartEpochMs
  const nodeStartMs = nodeEpoch === undefined ? undefined : r2(Math.max(0, nodeEpoch - s.spawnedAt.epochMs))
  const hooks: HookPhase[] = []
  let preloadStartMs: number | undefined
  if (timing && nodeStartMs !== undefined) {
    // The timing line's node start is rounded to 1 ms; its offsets are relative to node's own start.
    preloadStartMs = r2(nodeStartMs + timing.preloadStartMs)
    let at = preloadStartMs
    for (const h of timing.hooks) {
      hooks.push({
        name: h.name,
        startMs: r2(at),
        ms: h.ms,
        ok: h.ok === true,
        ...(typeof h.error === 'string' ? { error: h.error } : {}),
        ...(typeof h.budgetMs === 'number' ? { budgetMs: h.budgetMs } : {}),
        ...(h.overBudget === true ? { overBudget: true } : {}),
        ...(typeof h.settledMs === 'number' ? { settledMs: h.settledMs } : {}),
        ...(h.pending === true ? { pending: true } : {}),
      })
      at += h.ms
    }
  }
  // node.imports hooks run one after another, last before the runtime entry (their runner records
  // durations only): placed back from the entry.
  const runtimeEntryMs = entry && nodeStartMs !== undefined ? r2(nodeStartMs + entry.entryMs) : undefined
  const imports = (entry?.imports ?? []).filter((h) => typeof h.name === 'string' && typeof h.ms === 'number') as Array<{ name: string; ms: number; ok?: unknown }>
  if (runtimeEntryMs !== undefined) {
    let at = runtimeEntryMs - imports.reduce((n, h) => n + h.ms, 0)
    for (const h of imports) {
      hooks.push({ name: h.name, kind: 'import', startMs: r2(Math.max(at, nodeStartMs ?? 0)), ms: h.ms, ok: h.ok === true })
      at += h.ms
    }
  }
  const handlerStart = timing?.handler?.startMs
  const since = (t: Timestamp | undefined): number | undefined => (t === undefined ? undefined : r2(t.hr - s.spawnedAt.hr))
  return {
    wrapperStartMs: 0,
    nodeStartMs,
    preloadStartMs,
    hooks,
    runtimeEntryMs,
    handlerModule: timing?.handler ? { module: timing.handler.module ?? null, loadMs: timing.handler.loadMs ?? null, ...(typeof handlerStart === 'number' && nodeStartMs !== undefined ? { startMs: r2(nodeStartMs + handlerStart) } : {}) } : undefined,
    handlerReadyMs: since(s.initDoneAt),
    firstInvokeMs: since(s.firstResponseAt),
  }
}

/** Python and java: the exec seen in /proc, the runner's hooks, our python entry, the Runtime API's clock. */
function interpreterReport(s: InitSources, it: NonNullable<InitSources['interpreter']>): InitReport {
  const since = (t: Timestamp | undefined): number | undefined => (t === undefined ? undefined : r2(t.hr - s.spawnedAt.hr))
  let hooks: HookPhase[] = []
  let runtimeEntryMs: number | undefined
  if (it.family === 'python') {
    const entry = findPythonEntryLine(s.reportLines)
    if (entry) {
      runtimeEntryMs = r2(Math.max(0, entry.entryEpochMs - s.spawnedAt.epochMs))
      // The runner runs the hooks one after the other right before the entry: placed back from it.
      let at = runtimeEntryMs - (entry.hooks ?? []).reduce((sum, h) => sum + h.ms, 0)
      hooks = (entry.hooks ?? []).map((h) => {
        const p = phase(h, Math.max(0, at))
        at += h.ms
        return p
      })
    }
  } else {
    // The runner agent gives durations only; they ran in order after the JVM started, before its main class.
    hooks = (findRunnerTimingLine(s.stderr, 'java') ?? []).map((h) => phase(h, undefined))
  }
  // The exec is seen by polling /proc: on a busy machine only after the interpreter has run its hooks.
  // What the process itself reported (a hook's start, the runtime's entry) bounds it from above.
  const bounds = [since(it.seenAt), hooks[0]?.startMs, runtimeEntryMs].filter((v): v is number => typeof v === 'number')
  return {
    wrapperStartMs: 0,
    interpreter: it.name,
    interpreterStartMs: bounds.length ? Math.min(...bounds) : undefined,
    hooks,
    runtimeEntryMs,
    handlerReadyMs: since(s.initDoneAt),
    firstInvokeMs: since(s.firstResponseAt),
  }
}
