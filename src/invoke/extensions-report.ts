// The extensions part of `wrapgen invoke`'s report: each extension's registration and readiness in
// the init phase, the time each invoke spent in extensions after the runtime was done (post-invoke),
// and how each one shut down. Times in ms since the first extension was launched.
import type { ExtensionsPhase } from './extensions.js'

const ms = (v: number | undefined): string => (v === undefined ? '       -' : `${v.toFixed(1).padStart(8)}`)

export function renderExtensions(phase: ExtensionsPhase, invokes: ReadonlyArray<{ readonly index: number; readonly postInvokeMs?: number | undefined }>, opts: { logs: boolean }): string {
  const lines = [`extensions (${phase.extensions.length}; ms since the first was launched; the runtime started at ${phase.runtimeSpawnMs === undefined ? '- (never)' : `${phase.runtimeSpawnMs.toFixed(1)} ms`}):`]
  lines.push(`  ${'name'.padEnd(20)} ${'registered'.padStart(10)} ${'ready'.padStart(8)} ${'shutdown'.padStart(8)}  events / state`)
  for (const e of phase.extensions) {
    const exit = e.exit ? (e.exit.signal ? `, ${e.exit.signal}` : `, exit ${e.exit.code}`) : ''
    const state = `${e.events.length > 0 ? e.events.join(',') : 'no events'} / ${e.state}${e.killed ? ' (killed at the shutdown deadline)' : ''}${exit}`
    lines.push(`  ${e.name.padEnd(20)} ${ms(e.registeredMs).padStart(10)} ${ms(e.readyMs)} ${ms(e.shutdownMs)}  ${state}`)
  }
  if (phase.initDoneMs !== undefined) lines.push(`init done (the runtime and every extension asked for their first event): ${phase.initDoneMs.toFixed(1)} ms`)
  const post = invokes.filter((i) => i.postInvokeMs !== undefined)
  if (post.length > 0) lines.push(`post-invoke (extensions still working after the runtime's next /next): ${post.map((i) => `invoke ${i.index + 1} ${(i.postInvokeMs as number).toFixed(1)} ms`).join(', ')}`)
  let text = `${lines.join('\n')}\n`
  if (opts.logs) {
    for (const e of phase.extensions) {
      const log = [e.stdout, e.stderr].filter(Boolean).join('')
      if (log) text += `extension ${e.name} logs:\n${log.replace(/\n$/, '').replace(/^/gm, '  | ')}\n`
    }
  }
  return text
}
