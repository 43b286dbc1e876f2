// Step 4 of a verify run: the checks, as pure functions of what was observed and what was expected.
// Each returns undefined when the contract holds, or one line saying why it does not; the generic
// contract for wrappers others wrote also names deliberate changes (handler rewrite, a Runtime API
// proxy, a replaced runtime, a changed option), which the user may accept (--allow).
import { isReserved } from '../config/env-vars.js'
import type { Family } from '../config/types.js'
import { ARGV_RULES, familyOf, findEntry } from '../plan/argv-rules.js'
import { keptInOrder, SHELL_OWNED } from './expect.js'
import type { Observation, Start } from './observe.js'
import type { Allowance, Exec } from './types.js'

const show = (s: unknown): string => JSON.stringify(s)

/** A judgement: a defect (never acceptable), a deliberate change (acceptable with --allow), or neither. */
export interface Verdict {
  readonly problem?: string
  /**
   * The problem is an option placed after the entry: judged on the runtime's own command (the argv
   * check), not on the adversarial one, whose extra arguments after the entry the runtime never passes.
   */
  readonly afterEntry?: true
  readonly deviation?: { readonly kind: Allowance; readonly what: string }
}

export const OK: Verdict = {}

/** The verdict as a row's failure line, given what the user accepts. */
export function failureOf(v: Verdict, allow: readonly Allowance[]): string | undefined {
  if (v.problem) return v.problem
  if (v.deviation && !allow.includes(v.deviation.kind)) return `${v.deviation.what} (a deliberate change? accept it with --allow ${v.deviation.kind})`
  return undefined
}

/** The interpreter's options before the entry, as it reads them: [option] or [option, value]. */
export function options(family: Family, argv: readonly string[]): string[][] {
  const end = findEntry(family, argv)
  const out: string[][] = []
  for (let i = 1; i < (end < 0 ? argv.length : end); i++) {
    const a = argv[i]!
    if (ARGV_RULES[family].valueOptions.includes(a)) out.push([a, argv[++i] ?? ''])
    else out.push([a])
  }
  return out
}

const count = (xs: readonly string[], x: string): number => xs.reduce((n, y) => n + (y === x ? 1 : 0), 0)

/** How a lost argument arrived, if it was split on blanks or glob-expanded by an unquoted expansion. */
function resplit(lost: string, got: readonly string[]): string | undefined {
  if (lost === '') return 'an empty argument was dropped: the wrapper expands the arguments unquoted, so they are re-split and globbed'
  const words = lost.split(/[ \t\n]+/).filter(Boolean)
  if (words.length > 1) {
    const i = got.indexOf(words[0]!)
    if (i >= 0 && words.every((w, k) => got[i + k] === w)) return `argument ${show(lost)} was re-split into ${words.map((w) => show(w)).join(', ')}: the wrapper expands the arguments unquoted (or through echo/sed)`
  }
  if (/[*?[]/.test(lost)) return `argument ${show(lost)} was glob-expanded or dropped: the wrapper expands the arguments unquoted`
  if (/[ \t\n]/.test(lost) && words.some((w) => got.includes(w))) return `argument ${show(lost)} was re-split: the wrapper expands the arguments unquoted (or through echo/sed)`
  return undefined
}

/** One verdict, and for a deliberate change in place (an option or the handler argument), the argv left to judge once it is accepted. */
interface Step {
  readonly verdict: Verdict
  readonly excuse?: { readonly got: readonly string[]; readonly base: readonly string[] }
}

/**
 * What is left to judge once the change of `base[j]` is accepted: the original element, and what took
 * its place in `got` (if anything did), both taken out. Only that change is excused.
 */
function excuseOf(got: readonly string[], base: readonly string[], j: number): Step['excuse'] {
  let k = 0
  let at = 0
  for (; at < got.length && k < j; at++) if (got[at] === base[k]) k++
  const replaced = at < got.length && got[at] !== base[j + 1] && !base.includes(got[at]!)
  return { got: replaced ? [...got.slice(0, at), ...got.slice(at + 1)] : got, base: [...base.slice(0, j), ...base.slice(j + 1)] }
}

/**
 * The generic argv contract for a wrapper someone else wrote: every original element kept once and in
 * order; nothing added after the entry; read as the interpreter reads it, the same program starts and
 * every runtime option keeps its value. A deliberate change in place (an option, the handler argument)
 * excuses that change only, accepted or not: the rest of the command is still judged (an accepted -Xshare:on -> auto does not hide that
 * every argument was re-split). Returns the deliberate changes seen, then the verdict on the rest;
 * failureOfAll says which one fails the run.
 */
export function judgeArgvAll(entry: string | null, got: readonly string[], base: readonly string[], baseEnv: Readonly<Record<string, string>>, gotEnv: Readonly<Record<string, string>>): Verdict[] {
  const out: Verdict[] = []
  // Past every change in place, accepted or not: a defect behind one is reported for itself.
  for (let left = base.length; ; left--) {
    const step = judgeArgvOnce(entry, got, base, baseEnv, gotEnv)
    out.push(step.verdict)
    if (!step.excuse || left <= 0) return out
    ;({ got, base } = step.excuse)
  }
}

/** The first verdict of the generic argv contract. */
export function judgeArgv(entry: string | null, got: readonly string[], base: readonly string[], baseEnv: Readonly<Record<string, string>>, gotEnv: Readonly<Record<string, string>>): Verdict {
  return judgeArgvAll(entry, got, base, baseEnv, gotEnv)[0]!
}

/** The failure line of several verdicts: a defect first (it is one whatever is accepted), else the first change not accepted. */
export function failureOfAll(verdicts: readonly Verdict[], allow: readonly Allowance[]): string | undefined {
  return verdicts.find((v) => v.problem)?.problem ?? verdicts.map((v) => failureOf(v, allow)).find(Boolean)
}

function judgeArgvOnce(entry: string | null, got: readonly string[], base: readonly string[], baseEnv: Readonly<Record<string, string>>, gotEnv: Readonly<Record<string, string>>): Step {
  const family = familyOf(base[0] ?? '')
  const entryInBase = entry === null ? -1 : base.indexOf(entry)
  // A different program: the function's own (a web adapter) or another script.
  if (got[0] !== base[0]) return { verdict: { deviation: { kind: 'replace-runtime', what: `replaces the runtime: it runs ${show(got[0])} instead of ${base[0]}` } } }
  // The function's own program named by the handler, without the runtime's arguments: a replacer on
  // a runtime whose command is that very program (.NET single-file, _HANDLER=MyFn).
  if (got.length === 1 && base.length > 1 && got[0] === `/var/task/${gotEnv._HANDLER ?? ''}`) return { verdict: { deviation: { kind: 'replace-runtime', what: `replaces the runtime: it runs the function's own program ${show(got[0])} ($LAMBDA_TASK_ROOT/$_HANDLER) without the runtime's arguments` } } }
  const lost = keptInOrder(got, base)
  let j = 0
  for (const a of got) if (j < base.length && a === base[j]) j++
  // An argument re-split or globbed is the cause of whatever else looks wrong (a glob can repeat one).
  const split = lost ? resplit(base[j]!, got) : undefined
  if (split) return { verdict: { problem: split } }
  // Elements that appear more often than the runtime passed them: the program or its arguments twice.
  for (const [i, a] of base.entries()) {
    if ((i === 0 || i >= entryInBase) && count(got, a) > count(base, a)) return { verdict: { problem: `argument ${show(a)} is duplicated (${count(got, a)} times, the runtime passed it ${count(base, a)}): the wrapper passes the arguments on twice` } }
  }
  if (lost) {
    const missing = base[j]!
    if (entryInBase >= 0 && family) {
      const at = findEntry(family, got)
      if (got[at] !== entry) return { verdict: { deviation: { kind: 'replace-runtime', what: `replaces the runtime's program: ${family} would start ${at < 0 ? 'no program' : show(got[at])} instead of ${entry}` } } }
    }
    if (missing === baseEnv._HANDLER && j > entryInBase) return { verdict: { deviation: { kind: 'handler', what: `rewrites the handler argument ${show(missing)}${gotEnv._HANDLER !== baseEnv._HANDLER ? ` (and _HANDLER, now ${show(gotEnv._HANDLER ?? null)})` : ''}` } }, excuse: excuseOf(got, base, j) }
    if (entryInBase < 0 || j < entryInBase) return { verdict: { deviation: { kind: 'option-change', what: `drops or replaces the runtime's option ${show(missing)}` } }, excuse: excuseOf(got, base, j) }
    return { verdict: { problem: `original argument ${show(missing)} (index ${j}) is lost or out of order` } }
  }
  if (entry === null || entryInBase < 0) return { verdict: OK }
  // Added elements after the entry are program arguments there, not interpreter flags.
  let k = 0
  let entryAt = -1
  for (const [i, a] of got.entries()) {
    if (k < base.length && a === base[k]) {
      if (k === entryInBase) entryAt = i
      k++
    } else if (entryAt >= 0) {
      return { verdict: { problem: `added ${show(a)} after the entry ${entry} (argv[${i}]): it is a program argument there, not an interpreter flag (options go before the entry, not "before the last argument")`, afterEntry: true } }
    }
  }
  if (family) {
    const at = findEntry(family, got)
    if (got[at] !== entry) return { verdict: { problem: `the interpreter would now start ${at < 0 ? 'no program' : show(got[at])} instead of ${entry}: an added option took the entry, or a non-option was added before it` } }
    const before = options(family, base)
    const after = options(family, got)
    if (keptInOrder(after.map((o) => o.join(' ')), before.map((o) => o.join(' ')))) {
      const which = before.find((o) => !after.some((a) => a.join(' ') === o.join(' ')))
      const thief = which && after.find((a) => a[1] === which[0])
      return { verdict: { problem: `the runtime's option ${show(which?.join(' '))} is no longer read as such${thief ? `: it is now the value of ${thief[0]}` : ''}` } }
    }
  }
  return { verdict: OK }
}

/** The generic environment contract: its own edits are the wrapper's business; what Lambda sets is not. */
export function judgeEnv(family: Family | 'none', base: Readonly<Record<string, string>>, got: Readonly<Record<string, string>>): Verdict[] {
  const out: Verdict[] = []
  for (const k of Object.keys(base).filter((k) => isReserved(k) && got[k] !== base[k])) {
    if (k === '_HANDLER' && got[k] !== undefined) out.push({ deviation: { kind: 'handler', what: `rewrites _HANDLER to ${show(got[k])}` } })
    else if (k === 'AWS_LAMBDA_RUNTIME_API' && got[k] !== undefined) out.push({ deviation: { kind: 'runtime-api', what: `points AWS_LAMBDA_RUNTIME_API at ${show(got[k])} (a proxy in front of the Runtime API)` } })
    else out.push({ problem: `changed or removed what Lambda sets for the runtime: ${k}=${show(got[k] ?? null)}` })
  }
  // Lambda's python bootstrap adds /opt/python and the layer site-packages only when PYTHONPATH is unset.
  if (family === 'python' && got.PYTHONPATH !== undefined && base.PYTHONPATH === undefined && !got.PYTHONPATH.split(':').includes('/opt/python'))
    out.push({ problem: `sets PYTHONPATH=${show(got.PYTHONPATH)} without /opt/python: the runtime then stops adding /opt/python and the layers' site-packages to sys.path` })
  return out
}

/** Same pid as the bootstrap, started where the runtime starts, nothing left running. */
export function judgeExec(o: Observation, base: Observation): string | undefined {
  if (!o.ran) return 'the interpreter never ran'
  if (o.pid !== o.bootstrapPid) return `the interpreter's pid ${o.pid} differs from the wrapper's ${o.bootstrapPid}: the wrapper forked instead of exec (exit codes and SIGTERM reach the wrapper, not the runtime)`
  if (o.leaked) return "the wrapper left a process running in the background (alive beside the runtime, or holding the function's pipes after it ended)"
  if (base.cwd !== undefined && o.cwd !== base.cwd) return `the interpreter started in ${o.cwd}, not ${base.cwd} as the runtime does`
  return undefined
}

/** Runtime starts besides the judged one (a version probe): each is a cold-start cost. */
export function extraStarts(o: Observation): Start[] {
  const runtimes = o.starts.filter((s) => s.role === 'runtime')
  return [...o.starts.filter((s) => s.role === 'probe'), ...runtimes.slice(0, -1)]
}

const MARK = 'stand-in stdout\n'
const ERR_MARK = 'stand-in stderr\n'

/** stdout carries only the interpreter's bytes; stdin reaches it; stderr from the runtime arrives. */
export function judgeStdio(o: Observation, writes: readonly string[]): string | undefined {
  if (writes.length) return `the wrapper wrote outside /tmp (read-only on Lambda): ${writes.slice(0, 3).join(', ')}${writes.length > 3 ? `, +${writes.length - 3} more` : ''}`
  if (!o.ran) return undefined
  const extra = o.stdout.replace(MARK, '')
  if (extra) return `stdout carried ${show(extra.slice(0, 80))} besides the interpreter's own output (stdout is the function's log stream)`
  if (!o.stdout.includes(MARK)) return "the interpreter's own stdout did not arrive"
  if (!o.stderr.includes(ERR_MARK)) return "the interpreter's own stderr did not arrive (the wrapper redirected or closed it): the function's errors would be lost from its logs"
  if (o.stdin !== 'stdin reaches the interpreter\n') return `stdin did not reach the interpreter (got ${show(o.stdin.slice(0, 40))})`
  return undefined
}

/** stderr lines of the wrapper's own: a shell's locale warnings and the harness's notes are not. */
export function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l && l !== 'stand-in stderr' && !/^W: .*setlocale/.test(l) && !/^(bash|sh|mksh|ash|dash): warning: setlocale/.test(l))
}

/** The lines that say why the interpreter never ran: the wrapper's errors, not a banner or a warning. */
export function whyNotRun(o: Observation): string[] {
  const lines = ownLines(o.stderr)
  const errors = lines.filter((l) => /error|not found|no such|denied|cannot|can't|fail|unbound|syntax|illegal|bad |missing|killed|exception|traceback|refus/i.test(l))
  return (errors.length ? errors : lines).slice(-5)
}

/** What a run exec'd, against what was expected: the argv, and the variables that differ. */
export function execDiff(got: Observation, expectedArgv: readonly string[] | undefined, expectedEnv: Readonly<Record<string, string>> | undefined): Exec {
  const env: Array<readonly [string, string | null, string | null]> = []
  if (expectedEnv) {
    for (const k of [...new Set([...Object.keys(got.env), ...Object.keys(expectedEnv)])].sort()) {
      if (SHELL_OWNED.has(k) || got.env[k] === expectedEnv[k]) continue
      env.push([k, got.env[k] ?? null, expectedEnv[k] ?? null])
    }
  }
  return { argv: got.argv, ...(expectedArgv ? { expected: expectedArgv } : {}), env }
}
