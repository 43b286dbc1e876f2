// The init report of a custom runtime: no node, no preload, no runtime entry to time, only the
// bootstrap's start, its first /next (init done) and the first answer.
import type { InitReport } from './timing.js'

const ms = (v: number | undefined): string => (v === undefined ? '       ?' : `${v.toFixed(1).padStart(8)}`)

export function renderProvidedInitReport(r: InitReport): string {
  const rows: Array<[string, number | undefined]> = [
    ['bootstrap spawned', r.wrapperStartMs],
    ['runtime ready (first /next)  [init duration]', r.handlerReadyMs],
    ['first invoke answered', r.firstInvokeMs],
  ]
  return `init report (custom runtime), ms since the bootstrap started:\n${rows.map(([label, at]) => `  ${ms(at)} ms  ${label}`).join('\n')}\n`
}
