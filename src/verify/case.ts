// One verify case: a runtime fixture at one memory size, run by one shell (or exec'd: its own #! line).
// Runs the wrapper in the sandbox (observe.ts), works out what was expected (the plan's simulator, or
// the runtime's own command for a wrapper someone else wrote), and turns each check's verdict
// (judge.ts) into a row.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { familyOf, findEntry } from '../plan/argv-rules.js'
import { explainClauses, explainFailure, needsLayer } from './explain.js'
import type { Family } from '../config/types.js'
import { simulate, type SimulateResult } from '../plan/simulate.js'
import type { RuntimeFixture, RuntimeInstance } from '../runtimes/types.js'
import { ADVERSARIAL_ARGS, diffArgv, diffEnv, keptInOrder } from './expect.js'
import { execDiff, extraStarts, failureOf, failureOfAll, judgeArgvAll, judgeEnv, judgeExec, judgeStdio, ownLines, whyNotRun, type Verdict } from './judge.js'
import type { Layout } from './layout.js'
import { observeWithin, RUN_LIMIT_MS, type Observation, type RunSpec } from './observe.js'
import { overLimit } from '../limits/time-limit.js'
import type { Mode } from '../sandbox/index.js'
import { lambdaTree, launch } from './launch.js'
import { TIME_LIMIT, type Allowance, type CheckName, type CheckResult, type Exec, type HarnessOptions } from './types.js'
import { writableTree } from './writes.js'

/** `nodejs20.x`, or `dotnet8:single-file` for runtimes with several modes. */
export const rid = (f: RuntimeFixture): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)

export interface CaseShell {
  /** `exec` (the kernel reads the wrapper's #! line), or a shell of the portability matrix. */
  readonly name: string
  /** `-` to exec the wrapper, else the shell's Lambda-side path. */
  readonly path: string
  /** A portability run: a #!/bin/sh wrapper under a /bin/sh other than this host's. */
  readonly portability: boolean
}

export interface CaseContext {
  readonly opts: HarnessOptions
  readonly layout: Layout
  readonly fixture: RuntimeFixture
  readonly inst: RuntimeInstance
  readonly memory: number
  readonly shell: CaseShell
  readonly limit: <T>(fn: () => Promise<T>) => Promise<T>
  readonly baselines: Map<string, Promise<Observation>>
  /** The first memory size: memory-independent checks run only there. */
  readonly first: boolean
  readonly firstShell: boolean
  /** Host interpreters the wrapper's #! line needs. */
  readonly keepHost: readonly string[]
  /** Collects warnings (extra interpreter starts, ...), deduplicated by the harness. */
  readonly warn: (w: string) => void
  /** Collects deliberate changes seen. */
  readonly deviation: (d: string) => void
  /** Hears of each run that reached wrapgen's first time limit and was run again. */
  readonly retried?: () => void
}

export interface RunOptions {
  readonly argv?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  /** The wrapper's Lambda path; '' runs the command without one. */
  readonly wrapper?: string
  readonly opt?: string
  readonly action?: RunSpec['action']
  readonly mode?: Mode
  /** Run the command directly while AWS_LAMBDA_EXEC_WRAPPER keeps its value (a chain's expectation). */
  readonly direct?: boolean
  readonly writable?: { readonly dirs: ReadonlyArray<readonly [string, string]>; readonly root: string }
}

const STDIN = 'stdin reaches the interpreter\n'

export function run(c: CaseContext, o: RunOptions = {}): Promise<Observation> {
  const mode = o.mode ?? c.opts.mode
  const opt = c.layout.opts.get(o.opt ?? 'layer')!
  const how = { keepHost: c.keepHost, ...(o.writable ? { writable: o.writable } : {}) }
  const path = launch(mode, c.layout, opt, c.layout.lang(c.fixture), c.shell.path, [], how).path
  const wrapper = o.wrapper ?? c.opts.target.wrapper
  const env = { ...c.inst.env, ...o.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper === '' ? '' : path(wrapper), ...(o.direct ? { WRAPGEN_VERIFY_DIRECT: '1' } : {}) }
  const l = launch(mode, c.layout, opt, c.layout.lang(c.fixture), c.shell.path, o.argv ?? c.inst.argv, { ...how, env })
  return c.limit(() => observeWithin({ launch: l, boundary: c.layout.boundary, env, action: o.action ?? { exit: 0 }, stdin: STDIN }, RUN_LIMIT_MS, c.retried))
}

/** The same command with no wrapper: what the runtime itself would run (shared by every shell). */
export function baseline(c: CaseContext, argv: readonly string[] = c.inst.argv): Promise<Observation> {
  const k = `${rid(c.fixture)}|${c.memory}|${argv.length}|${argv[argv.length - 1]}`
  let b = c.baselines.get(k)
  if (!b) c.baselines.set(k, (b = run(c, { wrapper: '', argv })))
  return b
}

interface Expected {
  readonly argv: readonly string[] | undefined
  readonly env: Readonly<Record<string, string>>
  readonly sim: SimulateResult
  /** The chained wrappers' own verdicts (attributed to them, not to wrapgen). */
  readonly chain?: { readonly obs: Observation; readonly verdicts: readonly Verdict[] }
}

export async function runCase(c: CaseContext): Promise<CheckResult[]> {
  const rows: CheckResult[] = []
  const label = c.shell.portability ? `portability (a #!/bin/sh wrapper where /bin/sh is ${c.shell.name}): ` : ''
  /**
   * One row. `runs`: the observations it judges; when one of them reached wrapgen's time limit, the row
   * says so instead of judging how the run ended (wrapgen stopped it).
   */
  const row = (check: CheckName, judged: string | undefined, given: { skip?: string; cause?: string; stderr?: readonly string[]; exec?: Exec } = {}, runs: readonly Observation[] = []): void => {
    const late = given.skip ? undefined : runs.find((o) => o.timedOut)
    const problem = late ? stoppedAt(late) : judged
    const extra = late ? { cause: TIME_LIMIT } : given
    const status = extra.skip ? 'skip' : problem ? 'fail' : 'pass'
    rows.push({
      runtime: rid(c.fixture), memory: c.memory, shell: c.shell.name, check, status,
      detail: extra.skip ?? (problem ? label + problem : ''),
      ...(status === 'fail' && extra.cause ? { cause: extra.cause } : {}),
      ...(status === 'fail' && extra.stderr ? { stderr: extra.stderr } : {}),
      ...(status === 'fail' && extra.exec ? { exec: extra.exec } : {}),
    })
  }
  const { target } = c.opts
  const allow: readonly Allowance[] = target.kind === 'wrapper' ? target.allow : [...new Set(target.chain.flatMap((w) => w.allow))]
  const chain = target.kind === 'layer' ? target.chain.map((w) => w.path) : []
  const mapped = (p: string, opt = 'layer'): string => launch(c.opts.mode, c.layout, c.layout.opts.get(opt)!, c.layout.lang(c.fixture), c.shell.path, []).path(p)
  const wrapperDir = (opt = 'layer'): string => {
    const path = mapped(target.wrapper, opt)
    return path.slice(0, path.lastIndexOf('/'))
  }
  /** What wrapgen's wrapper must exec, from the plan; through the chained wrappers, what they exec'd. */
  const expectFor = async (b: Observation, opt = 'layer'): Promise<Expected | undefined> => {
    if (target.kind !== 'layer') return undefined
    const sim = simulate(opt === 'adversarial' && target.adversarial ? target.adversarial.plan : target.plan, {
      argv: b.argv,
      env: { ...b.env, AWS_LAMBDA_EXEC_WRAPPER: mapped(target.wrapper, opt) },
      wrapperDir: wrapperDir(opt),
      exists: opt === 'missing' ? () => false : () => true,
      // Chained wrappers under /opt exist in the sandbox (real ones or stand-ins); path-mapped, only if on the host.
      executable: (p) => c.opts.mode === 'sandboxed' || existsSync(p),
    })
    if (!sim.argv || !chain.includes(sim.argv[0]!)) return { argv: sim.argv, env: sim.env, sim }
    // The chained wrappers run on what wrapgen exec'd: run them on exactly that, and judge them apart.
    const obs = await run(c, { argv: sim.argv, env: sim.env, wrapper: target.wrapper, direct: true, opt })
    let k = 0
    while (k < sim.argv.length && chain.includes(sim.argv[k]!)) k++
    const input = sim.argv.slice(k)
    // The program wrapgen's exec starts: the entry, or a hook runner before it (python.preloads' run.py).
    const family = familyOf(input[0] ?? '')
    const entry = family && c.fixture.entry !== null ? input[findEntry(family, input)] ?? c.fixture.entry : c.fixture.entry
    const verdicts = obs.ran ? [...judgeArgvAll(entry, obs.argv, input, sim.env, obs.env), ...judgeEnv(c.fixture.family, sim.env, obs.env)] : [{ problem: `the chained wrappers did not start the runtime (exit ${obs.code}): ${whyNotRun(obs).join(' | ')}` }]
    return { argv: obs.ran ? obs.argv : undefined, env: obs.env, sim, chain: { obs, verdicts } }
  }
  const notRan = (o: Observation): string => (o.timedOut ? `the interpreter never ran: ${stoppedAt(o)}` : `the interpreter never ran (exit ${o.code}${o.signal ? `, ${o.signal}` : ''})`)

  const [base, main] = await Promise.all([baseline(c), run(c)])
  if (!base.ran) {
    row('argv', base.timedOut ? `the runtime command itself, without the wrapper: ${stoppedAt(base)}` : `the runtime command itself did not run (exit ${base.code}): ${whyNotRun(base).join(' | ')}`, { cause: base.timedOut ? TIME_LIMIT : 'harness' })
    return rows
  }
  for (const s of extraStarts(main)) c.warn(`${rid(c.fixture)}: the wrapper started ${s.argv.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ').slice(0, 80)} before its exec (pid ${s.pid}): one more interpreter start on every cold start`)
  if (main.garbled) c.warn(`${rid(c.fixture)}: several interpreter starts wrote their records at once; only the first ones were read`)
  // Files of the vendor's layer the wrapper looked for (not here, or unusable), and a replacer's program.
  const optDir = c.layout.opts.get('layer')!
  const explained = explainFailure(ownLines(main.stderr), optDir, [c.inst.env._HANDLER ?? ''])
  const clauses = explainClauses(explained, allow.includes('replace-runtime'))
  // When the interpreter never ran, say so once, with the wrapper's own error lines; skip the rest.
  if (!main.ran) {
    const lines = whyNotRun(main)
    row('argv', `${notRan(main)}${lines.length ? `: ${lines.join(' | ')}` : ''}${clauses.length ? `; ${clauses.join('; ')}` : ''}`, { cause: main.timedOut ? TIME_LIMIT : `never ran: ${lines.join(' | ')}`, stderr: lines })
    for (const check of ['env', 'exec', 'stdio'] as const) row(check, undefined, { skip: 'the interpreter never ran (see argv)' })
    if (c.first && c.firstShell) rows.push(...(await execBit(c)))
    return rows
  }
  // The runtime's interpreter asked to run a program of the vendor's layer that is not here
  // (`exec python3 /opt/python/bin/opentelemetry-instrument "$@"` without the layer).
  const absent = target.kind === 'wrapper' ? absentProgram(main.argv, optDir) : undefined
  if (absent) {
    row('argv', `the wrapper runs ${show(main.argv.slice(0, 2).join(' '))}, and ${absent} is not here; ${needsLayer({ missing: [absent], unusable: [], modules: [] })}`, { cause: `absent program ${absent}` })
    for (const check of ['env', 'exec', 'stdio'] as const) row(check, undefined, { skip: `the runtime did not start: ${absent} is not here (see argv)` })
    if (c.first && c.firstShell) rows.push(...(await execBit(c)))
    return rows
  }
  if (clauses.length && target.kind === 'wrapper') c.warn(`the wrapper looked for files that are not here, and went on: ${clauses.join('; ')}`)

  const exp = await expectFor(base)
  const diff = (o: Observation, e: Expected | undefined): Exec => execDiff(o, e?.argv ?? base.argv, e?.env ?? base.env)
  if (exp) {
    // wrapgen's own part against the plan; the chained wrappers' effects are theirs (judged under 'chain').
    const chained = exp.chain ? [exp.chain.obs] : []
    row('argv', (exp.argv ? diffArgv(main.argv, exp.argv) : `expected no exec (exit ${exp.sim.exitCode})`) ?? (exp.chain ? undefined : keptInOrder(main.argv, base.argv) ?? entryCheck(c, main.argv, base.argv)), { exec: diff(main, exp) }, chained)
    row('env', diffEnv(main.env, exp.env), { exec: diff(main, exp) }, chained)
  } else {
    const argvVerdicts = judgeArgvAll(c.fixture.entry, main.argv, base.argv, base.env, main.env)
    const envVerdicts = judgeEnv(c.fixture.family, base.env, main.env)
    for (const v of [...argvVerdicts, ...envVerdicts]) if (v.deviation) c.deviation(`${v.deviation.kind}: ${v.deviation.what}${allow.includes(v.deviation.kind) ? ' (accepted: --allow)' : ''}`)
    row('argv', failureOfAll(argvVerdicts, allow), { exec: diff(main, undefined) })
    row('env', envVerdicts.map((v) => failureOf(v, allow)).find(Boolean), { exec: diff(main, undefined) })
  }
  row('exec', judgeExec(main, base))
  // Writes outside /tmp: once per runtime, with writable copies of the tree, seen on the file system.
  let writes: string[] = []
  let wrote: Observation[] = []
  if (c.first && c.firstShell) {
    const tree = writableTree(lambdaTree(c.layout, c.layout.opts.get('layer')!, c.layout.lang(c.fixture)))
    try {
      wrote = [await run(c, { writable: tree })]
      writes = tree.written()
    } finally {
      tree.remove()
    }
  }
  row('stdio', judgeStdio(main, writes), {}, wrote)

  // Adversarial argv: elements after the handler that must arrive byte for byte.
  if (c.first) {
    const advArgv = [...c.inst.argv, ...ADVERSARIAL_ARGS]
    const [b2, o2] = await Promise.all([baseline(c, advArgv), run(c, { argv: advArgv })])
    const e2 = await expectFor(b2)
    const executed = /pwned/.test(o2.stderr) ? 'an argument was executed by the shell' : undefined
    const adv: Observation[] = [b2, o2]
    let problem = !o2.ran ? `${notRan(o2)}: ${whyNotRun(o2).join(' | ')}` : (executed ?? (e2 ? (e2.argv ? diffArgv(o2.argv, e2.argv) : undefined) : failureOfAll(judgeArgvAll(c.fixture.entry, o2.argv, b2.argv, b2.env, o2.env).filter((v) => !v.afterEntry), allow)))
    // Adversarial config values: flags and env values full of shell syntax, byte for byte, never run.
    if (!problem && target.kind === 'layer' && target.adversarial) {
      const o3 = await run(c, { opt: 'adversarial' })
      adv.push(o3)
      const e3 = (await expectFor(base, 'adversarial'))!
      problem = !o3.ran ? `with adversarial config values the interpreter never ran (exit ${o3.code}): ${whyNotRun(o3).join(' | ')}`
        : /pwned/.test(o3.stderr) ? 'a configured value was executed by the shell'
        : diffArgv(o3.argv, e3.argv ?? []) ?? diffEnv(o3.env, e3.env)
      if (problem && o3.ran) problem = `adversarial config values: ${problem}`
    }
    row('adversarial', problem, { exec: diff(o2, e2) }, adv)
  }
  if (!c.first) return rows

  // Exit codes and signals: memory-independent, so only at the first memory size. A lean run checks
  // them on the exec'd run only: they follow from exec (the same pid), which every shell's run checks.
  if (!(c.opts.lean && c.shell.portability)) {
    const codes = await Promise.all([1, 3, 255].map((exit) => run(c, { action: { exit } })))
    row('exit-codes', [0, 1, 3, 255].map((want, i) => [want, i === 0 ? main : codes[i - 1]!] as const).map(([want, o]) => (o.code === want ? undefined : `exit ${want} came back as ${o.code ?? o.signal}${o.pid !== o.bootstrapPid ? ' (the wrapper forked: its own status came back)' : ''}`)).find(Boolean), {}, codes)
    const [term, self] = await Promise.all([run(c, { action: { wait: 'SIGTERM' } }), run(c, { action: { kill: 'TERM' } })])
    row('signals', signalProblem(term, self), {}, [term, self])
  }

  if (target.kind === 'layer') {
    // WRAPGEN_DISABLE=1: the original command and environment, untouched.
    const off = await run(c, { env: { WRAPGEN_DISABLE: '1' } })
    const offExpected = exp?.chain ? base.env : { ...base.env, WRAPGEN_DISABLE: '1', AWS_LAMBDA_EXEC_WRAPPER: mapped(target.wrapper) }
    row('disable', diffArgv(off.argv, base.argv) ?? (exp?.chain ? undefined : diffEnv(off.env, offExpected)), {}, [off])
    // failMode: the layer without the files this runtime needs.
    const fp = target.plan.families[c.fixture.family as Family]
    if (!fp.requires.length || !c.layout.opts.has('missing')) row('fail-mode', undefined, { skip: `${c.fixture.family} needs no files beside the wrapper` })
    else {
      const miss = await run(c, { opt: 'missing' })
      const em = simulate(target.plan, { argv: base.argv, env: { ...base.env, AWS_LAMBDA_EXEC_WRAPPER: mapped(target.wrapper, 'missing') }, wrapperDir: wrapperDir('missing'), exists: () => false })
      const lines = ownLines(miss.stderr)
      if (target.plan.failMode === 'open') row('fail-mode', !miss.ran ? `failMode open, files missing: the function did not start (exit ${miss.code})` : diffArgv(miss.argv, base.argv) ?? (lines.length !== 1 ? `expected one stderr line, got ${lines.length}: ${JSON.stringify(lines.slice(0, 3))}` : undefined), {}, [miss])
      else row('fail-mode', miss.ran ? 'failMode closed, files missing: the function started anyway' : miss.code === 0 ? 'failMode closed: exit code 0' : lines[0] !== em.stderr[0] ? `stderr ${JSON.stringify(lines[0])}, expected ${JSON.stringify(em.stderr[0])}` : undefined, {}, [miss])
    }
    // Idempotence: the wrapper run through itself adds its flags and edits once. With a chain, the
    // chained wrappers are pass-through stand-ins here: their own idempotence is not wrapgen's.
    const opt = chain.length && c.layout.opts.has('plain-chain') ? 'plain-chain' : 'layer'
    const [once, twice] = await Promise.all([opt === 'layer' ? Promise.resolve(main) : run(c, { opt }), run(c, { opt, argv: [target.wrapper, mapped(c.inst.argv[0]!), ...c.inst.argv.slice(1)] })])
    row('idempotence', !twice.ran ? `the wrapper run through itself did not start the interpreter (exit ${twice.code})` : diffArgv(twice.argv, once.argv) ?? diffEnv(twice.env, once.env), {}, [once, twice])
    if (chain.length) {
      const verdicts = exp?.chain?.verdicts ?? []
      for (const v of verdicts) if (v.deviation) c.deviation(`chain: ${v.deviation.kind}: ${v.deviation.what}${allow.includes(v.deviation.kind) ? ' (accepted in chain[].allow)' : ''}`)
      const problem = failureOfAll(verdicts, allow)
      row('chain', problem ? `a chained wrapper (not wrapgen): ${problem.replace('--allow ', 'chain[].allow: ')}` : undefined, {}, exp?.chain ? [exp.chain.obs] : [])
    }
  }
  if (c.firstShell) rows.push(...(await execBit(c)))
  return rows
}

const show = (s: string): string => JSON.stringify(s)

/** The program (an /opt path) an interpreter was asked to run when it is not in the tree. */
function absentProgram(argv: readonly string[], optDir: string): string | undefined {
  const family = familyOf(argv[0] ?? '')
  const at = family ? findEntry(family, argv) : -1
  const program = argv[at]
  return program?.startsWith('/opt/') && !existsSync(join(optDir, program.slice(5))) ? program : undefined
}

/** A run wrapgen stopped at its limit, as a row says it. */
const stoppedAt = (o: Observation): string => overLimit('the run', o.limits ?? [])

/** SIGTERM to the wrapper's pid reaches the runtime; a runtime's death by signal is not turned into an exit. */
function signalProblem(term: Observation, self: Observation): string | undefined {
  if (!term.ran) return 'SIGTERM: the interpreter never ran'
  if (!term.termReached.includes(term.pid!)) return `SIGTERM sent to the wrapper's pid ${term.bootstrapPid} did not reach the interpreter (pid ${term.pid})${term.pid !== term.bootstrapPid ? ': the wrapper forked, so the signal went to the wrapper' : ''}`
  if (!self.ran) return undefined
  // The bootstrap's process is the runtime's own (exec): its death by signal is what Lambda sees.
  // bubblewrap reports that death as 128+n, so inside the sandbox the pid is the evidence.
  const dead = self.sandboxed ? self.pid === self.bootstrapPid && (self.code === 143 || self.signal === 'SIGTERM') : self.signal === 'SIGTERM'
  return dead ? undefined : `an interpreter killed by SIGTERM came back as ${self.signal ?? `exit ${self.code}`}${self.pid !== self.bootstrapPid ? ': the wrapper forked and turned the death by signal into an exit status' : ''}`
}

/** A layer that lost the wrapper's exec bit fails exactly as on Lambda. */
async function execBit(c: CaseContext): Promise<CheckResult[]> {
  const nox = await run(c, { opt: 'no-exec-bit' })
  const path = launch(c.opts.mode, c.layout, c.layout.opts.get('no-exec-bit')!, c.layout.lang(c.fixture), c.shell.path, []).path(c.opts.target.wrapper)
  const want = `${path}: is not an executable\n`
  const problem = nox.timedOut ? stoppedAt(nox) : nox.code !== 126 ? `a wrapper without its exec bit gave exit ${nox.code}, expected 126 as on Lambda` : nox.stdout !== want ? `stdout ${JSON.stringify(nox.stdout)}, expected ${JSON.stringify(want)}` : undefined
  return [{ runtime: rid(c.fixture), memory: c.memory, shell: c.shell.name, check: 'exec-bit', status: problem ? 'fail' : 'pass', detail: problem ?? '', ...(nox.timedOut ? { cause: TIME_LIMIT } : {}) }]
}

/** Independent of the simulator: exactly the configured flags, literally, immediately before the entry. */
function entryCheck(c: CaseContext, got: readonly string[], base: readonly string[]): string | undefined {
  const target = c.opts.target
  if (target.kind !== 'layer' || c.fixture.entry === null) return undefined
  const fp = target.plan.families[c.fixture.family as Family]
  if (!fp.flags.length) return undefined
  const at = got.indexOf(c.fixture.entry)
  const before = base.indexOf(c.fixture.entry)
  if (at < 0) return `the entry ${c.fixture.entry} is gone`
  const inserted = got.slice(before, at)
  const dir = (() => {
    const w = launch(c.opts.mode, c.layout, c.layout.opts.get('layer')!, c.layout.lang(c.fixture), c.shell.path, []).path(target.wrapper)
    return w.slice(0, w.lastIndexOf('/'))
  })()
  const flags = fp.flags.map((f) => f.map((p) => (typeof p === 'string' ? p : `${dir}/${p.file}`)).join(''))
  if (JSON.stringify(inserted) !== JSON.stringify(flags)) return `expected exactly the configured flags ${JSON.stringify(flags)} just before ${c.fixture.entry}, found ${JSON.stringify(inserted)}`
  return undefined
}
