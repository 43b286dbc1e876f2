// Renders a verify report: a runtime x check table with a verdict, TAP, or JUnit XML.
import { CHECKS, passed, TIME_LIMIT, type CheckResult, type VerifyReport } from './types.js'

/** Rows that share a cause: the same check and detail once numbers (pids, sizes) are set aside. */
const causeOf = (x: CheckResult): string => x.cause ?? x.detail.replace(/^portability \([^)]*\): /, '').replace(/\d+/g, '#')

const list = (xs: readonly string[], n = 6): string => [...new Set(xs)].slice(0, n).join(', ') + ([...new Set(xs)].length > n ? `, +${[...new Set(xs)].length - n} more` : '')

/**
 * Failures grouped by cause: each once, with the runtimes, memory sizes and shells it hit, and the
 * wrapper's own stderr when the interpreter never ran; with `verbose`, every failed case's argv and
 * environment diff.
 */
export function renderFailures(r: VerifyReport, verbose: boolean): string[] {
  // The exec'd run first: a failure that shows there too is not a portability problem.
  const failures = r.results.filter((x) => x.status === 'fail').sort((a, b) => Number(a.shell !== 'exec') - Number(b.shell !== 'exec'))
  if (!failures.length) return []
  const groups = new Map<string, CheckResult[]>()
  for (const f of failures) groups.set(causeOf(f), [...(groups.get(causeOf(f)) ?? []), f])
  const lines = ['', `failures (${failures.length} checks, ${groups.size} causes):`]
  for (const rows of groups.values()) {
    const first = rows[0]!
    lines.push(`  ${list(rows.map((x) => x.check))}: ${first.detail}`)
    lines.push(`    on ${list(rows.map((x) => x.runtime))}; memory ${list(rows.map((x) => String(x.memory ?? '-')))} MB; ${list(rows.map((x) => x.shell ?? '-'))}${rows.length > 1 ? ` (${rows.length} cases)` : ''}`)
    for (const l of first.stderr ?? []) lines.push(`    | ${l}`)
    if (verbose) {
      for (const x of rows.filter((x) => x.exec)) {
        lines.push(`    ${x.runtime} ${x.memory ?? '-'} MB ${x.shell ?? '-'}: exec'd ${JSON.stringify(x.exec!.argv).slice(0, 400)}`)
        if (x.exec!.expected && JSON.stringify(x.exec!.expected) !== JSON.stringify(x.exec!.argv)) lines.push(`      expected ${JSON.stringify(x.exec!.expected).slice(0, 400)}`)
        for (const [k, got, want] of x.exec!.env) lines.push(`      env ${k}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
      }
    }
  }
  if (!verbose && failures.some((x) => x.exec)) lines.push('  (--verbose shows what each failed case exec\'d and its environment diff; --json has it all)')
  return lines
}

const MARK = { pass: 'ok', fail: 'FAIL', skip: 'skip' } as const

function worst(rows: readonly CheckResult[]): keyof typeof MARK | undefined {
  if (rows.some((r) => r.status === 'fail')) return 'fail'
  if (rows.some((r) => r.status === 'pass')) return 'pass'
  return rows.length ? 'skip' : undefined
}

/** `1 runtime`, `2 runtimes`. */
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`

export function verdict(r: VerifyReport): string {
  const count = (s: CheckResult['status']): number => r.results.filter((x) => x.status === s).length
  const runtimes = new Set(r.results.map((x) => x.runtime)).size
  const stopped = r.results.filter((x) => x.status === 'fail' && x.cause === TIME_LIMIT).length
  const failed = `${count('fail')} failed${stopped ? ` (${stopped} of them stopped at wrapgen's time limit: not a verdict on the wrapper)` : ''}`
  // What did not run at all, and that there are warnings (on stderr, away from the table): never only in a line above.
  const unchecked = r.notChecked?.length ? `; not checked: ${r.notChecked.join(', ')}` : ''
  const warned = r.warnings.length ? `; ${plural(r.warnings.length, 'warning')} on stderr` : ''
  return `${passed(r) ? 'PASS' : 'FAIL'}: ${r.target}: ${plural(runtimes, 'runtime')} x ${plural(r.memories.length, 'memory size')} x ${plural(r.shells.length, 'shell')} (${r.shells.join(', ')}), ${r.mode}; ${plural(count('pass'), 'check')} passed, ${failed}, ${count('skip')} skipped in ${(r.ms / 1000).toFixed(1)} s${unchecked}${warned}`
}

/** Column headings short enough for the table to fit 100 columns; the legend under it spells them out. */
const HEADING: Readonly<Record<string, string>> = { 'exit-codes': 'exit', signals: 'sig', disable: 'off', 'fail-mode': 'fmode', 'exec-bit': 'xbit', adversarial: 'adv', idempotence: 'idem', extensions: 'ext' }
const heading = (c: string): string => HEADING[c] ?? c

/** Wraps `text` at `width` columns, continuing lines with `indent`. */
function wrap(text: string, width = 100, indent = '  '): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line)
      line = indent + word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(line)
  return out
}

/** Which runtimes' real and hooks columns ran on AWS's runtime clients, and which on the emulated bootstrap. */
function renderClients(r: VerifyReport): string[] {
  if (!r.clients) return []
  const lines: string[] = []
  const byClient = new Map<string, string[]>()
  for (const c of r.clients.ran) byClient.set(`${c.checks.join(', ')} on ${c.ran}`, [...(byClient.get(`${c.checks.join(', ')} on ${c.ran}`) ?? []), c.runtime])
  for (const [how, ids] of byClient) lines.push(...wrap(`on AWS's runtime client: ${ids.join(', ')}: ${how}`))
  const byWhy = new Map<string, string[]>()
  for (const m of r.clients.missing) byWhy.set(m.why, [...(byWhy.get(m.why) ?? []), m.runtime])
  for (const [why, ids] of byWhy) lines.push(...wrap(`on the emulated bootstrap (probe entry): ${ids.join(', ')}: ${why}`))
  return lines
}

export function renderTable(r: VerifyReport, verbose = false): string {
  const runtimes = [...new Set(r.results.map((x) => x.runtime))]
  const checks = CHECKS.filter((c) => r.results.some((x) => x.check === c))
  const width = Math.max(8, ...runtimes.map((x) => x.length))
  const cell = (c: string): number => Math.max(heading(c).length, 4)
  const head = `${'runtime'.padEnd(width)}  ${checks.map((c) => heading(c).padEnd(cell(c))).join(' ')}`.trimEnd()
  // What a --wrapper run chose to check by default, before the table it explains.
  const lines = [...(r.scope ?? []).flatMap((l) => wrap(l)), ...(r.scope?.length ? [''] : []), head, '-'.repeat(head.length)]
  for (const rt of runtimes) {
    const cells = checks.map((c) => (MARK[worst(r.results.filter((x) => x.runtime === rt && x.check === c)) ?? 'skip'] ?? '').padEnd(cell(c)))
    lines.push(`${rt.padEnd(width)}  ${cells.join(' ')}`.trimEnd())
  }
  const legend = checks.filter((c) => heading(c) !== c).map((c) => `${heading(c)} = ${c}`)
  if (legend.length) lines.push(...wrap(`columns: ${legend.join(', ')} (docs/verify.md)`))
  lines.push(...renderClients(r))
  // Runtimes that never run the wrapper, grouped by note; the first sentence here, all of it in --json.
  const byNote = new Map<string, string[]>()
  for (const n of r.notes) byNote.set(n.note, [...(byNote.get(n.note) ?? []), n.runtime])
  for (const [note, ids] of byNote) lines.push('', ...wrap(`not checked: ${ids.join(', ')}: ${note.split(/(?<=\.) /)[0]} (docs/runtimes.md)`))
  lines.push(...renderFailures(r, verbose))
  const skips = [...new Set(r.results.filter((x) => x.status === 'skip').map((x) => `${x.check}: ${x.detail}`))]
  if (skips.length) lines.push('', 'skipped:', ...skips.slice(0, 20).map((s) => `  ${s}`))
  if (r.deviations.length) lines.push('', 'deliberate changes seen (fail unless accepted with --allow):', ...r.deviations.map((d) => `  ${d}`))
  lines.push('', verdict(r))
  return `${lines.join('\n')}\n`
}

/** The warnings as the CLI prints them on stderr (every reporter but json, which carries them). */
export const renderWarnings = (r: VerifyReport): string => r.warnings.map((w) => `wrapgen: warning: ${w}\n`).join('')

export function renderTap(r: VerifyReport): string {
  const lines = ['TAP version 14', ...(r.scope ?? []).map((l) => `# ${l}`), `1..${r.results.length}`]
  r.results.forEach((x, i) => {
    const name = `${x.runtime} ${x.memory ?? '-'}MB ${x.shell ?? '-'} ${x.check}`
    if (x.status === 'skip') lines.push(`ok ${i + 1} - ${name} # SKIP ${x.detail}`)
    else lines.push(`${x.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} - ${name}`, ...(x.status === 'fail' ? ['  ---', `  message: ${JSON.stringify(x.detail)}`, '  ...'] : []))
  })
  lines.push(`# ${verdict(r)}`)
  return `${lines.join('\n')}\n`
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function renderJunit(r: VerifyReport): string {
  const suites = [...new Set(r.results.map((x) => x.runtime))].map((rt) => {
    const rows = r.results.filter((x) => x.runtime === rt)
    const cases = rows.map((x) => {
      const name = xml(`${x.check} ${x.memory ?? '-'}MB ${x.shell ?? '-'}`)
      const body = x.status === 'fail' ? `<failure message="${xml(x.detail)}"/>` : x.status === 'skip' ? `<skipped message="${xml(x.detail)}"/>` : ''
      return `    <testcase classname="wrapgen.verify.${xml(rt)}" name="${name}">${body}</testcase>`
    })
    const failures = rows.filter((x) => x.status === 'fail').length
    const skipped = rows.filter((x) => x.status === 'skip').length
    return `  <testsuite name="${xml(rt)}" tests="${rows.length}" failures="${failures}" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="wrapgen verify" tests="${r.results.length}" failures="${r.results.filter((x) => x.status === 'fail').length}">\n${suites.join('\n')}\n</testsuites>\n`
}
