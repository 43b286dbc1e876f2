// What `wrapgen invoke` prints: each result (or the error as Lambda reports it), then the init report.
import type { InvokeRun } from './run.js'
import type { HookPhase, InitReport } from './timing.js'
import { renderExtensions } from './extensions-report.js'
import { renderProvidedInitReport } from './provided-report.js'

const ms = (v: number | undefined): string => (v === undefined ? '       ?' : `${v.toFixed(1).padStart(8)}`)
/** A phase whose moment is not known (only its duration): no time column, rather than "?". */
const UNTIMED = '           '

/** A hook's time and how it ended: failed (with why), async, over its budget. */
export function hookNote(h: HookPhase): string {
  const notes: string[] = []
  if (h.settledMs !== undefined) notes.push(`async, settled after ${h.settledMs.toFixed(2)} ms`)
  if (h.pending) notes.push('async, still running')
  if (!h.ok) notes.push(`failed${h.error ? `: ${h.error.length > 120 ? `${h.error.slice(0, 120)}...` : h.error}` : ''}`)
  if (h.overBudget) notes.push(`over its budget of ${h.budgetMs ?? '?'} ms`)
  return `${h.ms.toFixed(2)} ms${notes.length ? ` (${notes.join('; ')})` : ''}`
}

/** The init timeline, one phase a line, in ms from the bootstrap's start. */
export function renderInitReport(r: InitReport, layer: InvokeRun['layer']): string {
  const name = r.interpreter ?? 'node'
  // undefined: a phase not reached or not reported ("?"); null: one whose moment is not known.
  const rows: Array<[string, number | undefined | null, string]> = [
    ['wrapper start (bootstrap spawned)', r.wrapperStartMs, ''],
    [`${name} start`, r.interpreterStartMs ?? r.nodeStartMs, r.interpreter && r.interpreter !== 'node' ? 'exec seen' : ''],
  ]
  if (r.preloadStartMs !== undefined) rows.push(['preload start', r.preloadStartMs, ''])
  // A hook that ran but reports only its duration (java's runner): untimed, rather than "?".
  for (const h of r.hooks) rows.push([`  ${h.kind === 'import' ? 'import' : 'hook'} ${h.name}`, h.startMs ?? null, hookNote(h)])
  if (name === 'node') rows.push(['runtime entry (aws-lambda-ric loads)', r.runtimeEntryMs, ''])
  else if (name.startsWith('python')) rows.push(['runtime entry (bootstrap.py: awslambdaric loads)', r.runtimeEntryMs, ''])
  if (r.handlerModule?.loadMs != null) rows.push([`  handler module ${r.handlerModule.module ?? ''}`, r.handlerModule.startMs ?? null, `${r.handlerModule.loadMs.toFixed(2)} ms to load`])
  rows.push(['handler loaded (first /next)', r.handlerReadyMs, 'init duration'])
  rows.push(['first invoke answered', r.firstInvokeMs, ''])
  const perHook = name === 'node' ? ' (add wrapgen/preloads/timing to the config for per-hook times)' : ''
  const note = layer === 'none' ? ' (no layer)' : !r.hooks.some((h) => h.kind !== 'import') && r.preloadStartMs === undefined ? perHook : ''
  const lines = rows.map(([label, at, extra]) => `  ${at === null ? UNTIMED : `${ms(at)} ms`}  ${label}${extra ? `  [${extra}]` : ''}`)
  return `init report${note}, ms since the bootstrap started:\n${lines.join('\n')}\n`
}

/** Results, logs and the init report, as text. */
export function renderInvokeRun(run: InvokeRun, opts: { logs: boolean }): string {
  let text = `wrapgen invoke: ${run.handler} on ${run.runtime} at ${run.memory} MB, ${run.layer === 'wrapgen' ? 'with the wrapgen layer' : 'without a layer (--no-layer)'}, ${run.mode}\n`
  if (run.client) text += `ran on ${run.client.ran}\n${run.client.notes.map((n) => `note: ${n}\n`).join('')}`
  if (run.init.status === 'error' && run.init.error) {
    text += `init failed: ${run.init.error.errorType}: ${run.init.error.errorMessage}\n`
  }
  for (const inv of run.invokes) {
    const head = `invoke ${inv.index + 1}${inv.requestId ? ` (${inv.requestId})` : ''}`
    if (inv.status === 'success') text += `${head}: success in ${inv.durationMs.toFixed(1)} ms\n${inv.payload ?? ''}\n`
    else if (inv.status === 'not-run') text += `${head}: not run (the function process is gone)\n`
    else {
      const e = inv.error
      const body = e ? JSON.stringify({ errorType: e.errorType, errorMessage: e.errorMessage, ...(e.stackTrace ? { stackTrace: e.stackTrace } : {}) }) : ''
      text += `${head}: ${inv.status}${inv.durationMs ? ` after ${inv.durationMs.toFixed(1)} ms` : ''}\n${body}\n`
    }
  }
  if (run.exit) text += `function process ended: ${run.exit.signal ? `signal ${run.exit.signal}` : `exit ${run.exit.code}`}\n`
  if (opts.logs && (run.logs.stdout || run.logs.stderr)) {
    // Each log line prefixed; the final newline ends the last line rather than starting an empty one.
    const logs = [run.logs.stdout, run.logs.stderr].filter(Boolean).join('').replace(/\n$/, '')
    text += `function logs (stdout, then stderr):\n${logs.replace(/^/gm, '  | ')}\n`
  }
  if (run.layerClashes && run.layerClashes.length > 0) text += `--with-layer replaced files of an earlier layer: ${run.layerClashes.join(', ')}\n`
  if (run.extensions) text += renderExtensions(run.extensions, run.invokes, opts)
  if (run.runtimeStarted === false) return `${text}init report: the runtime never started (init failed before it)\n`
  if (run.runtime.startsWith('provided')) return text + renderProvidedInitReport(run.initReport)
  return text + renderInitReport(run.initReport, run.layer)
}

/** Whether every invoke succeeded (the command's exit code). */
export const allSucceeded = (run: InvokeRun): boolean => run.init.status === 'ok' && run.invokes.every((i) => i.status === 'success')
