// The checks of one case: argv, env, exec, stdio, adversarial input, exit codes, signals, disable,
// failMode, idempotence and the exec bit, each a row with a one-line reason when it fails.
import { existsSync } from 'node:fs'
import { ARGV_RULES, familyOf, findEntry } from '../plan/argv-rules.js'
import { isReserved } from '../config/env-vars.js'
import type { Family } from '../config/types.js'
import { simulate } from '../plan/simulate.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { baseline, rid, run, type CaseContext } from './case.js'
import { ADVERSARIAL_ARGS, diffArgv, diffEnv, keptInOrder } from './expect.js'
import type { Observation } from './observe.js'
import { launch, type Mode } from './sandbox.js'
import type { CheckName, CheckResult } from './types.js'

export async function runCase(c: CaseContext): Promise<CheckResult[]> {
  const rows: CheckResult[] = []
  const row = (check: CheckName, problem: string | undefined, skip?: string): void =>
    void rows.push({ runtime: rid(c.fixture), memory: c.memory, shell: c.shell, check, status: skip ? 'skip' : problem ? 'fail' : 'pass', detail: skip ?? problem ?? '' })
  const { target } = c.opts
  const chain = target.kind === 'layer' ? target.plan.chain : []
  const mapped = (mode: Mode): ((p: string) => string) => launch(mode, c.layout, c.layout.opts.get('layer')!, c.shellPath, []).path
  const wrapperDir = (mode: Mode, opt = 'layer'): string => {
    const path = launch(mode, c.layout, c.layout.opts.get(opt)!, c.shellPath, []).path(target.wrapper)
    return path.slice(0, path.lastIndexOf('/'))
  }
  const expectFor = (b: Observation, mode: Mode, opt = 'layer', env: Record<string, string> = {}) =>
    target.kind === 'layer'
      ? simulate(opt === 'adversarial' && target.adversarial ? target.adversarial.plan : target.plan, {
          argv: b.argv,
          env: { ...b.env, ...env, AWS_LAMBDA_EXEC_WRAPPER: launch(mode, c.layout, c.layout.opts.get(opt)!, c.shellPath, []).path(target.wrapper) },
          wrapperDir: wrapperDir(mode, opt),
          exists: opt === 'missing' ? () => false : () => true,
          // Chained wrappers under /opt exist in the sandbox (stand-ins); path-mapped, only if on the host.
          executable: (p) => mode === 'sandboxed' || existsSync(p),
        })
      : undefined

  const [base, main] = await Promise.all([baseline(c), run(c)])
  if (!base.ran) {
    const why = `the runtime command itself did not run (exit ${base.code}): ${base.stderr.split('\n')[0]}`
    for (const check of ['argv', 'env', 'exec'] as const) row(check, why)
    return rows
  }
  // argv and env: exactly what the plan says; every original element kept, in order.
  const exp = expectFor(base, c.opts.mode)
  if (!main.ran) {
    row('argv', `the interpreter never ran (exit ${main.code}${main.signal ? `, ${main.signal}` : ''}); stderr: ${main.stderr.split('\n')[0] ?? ''}`)
  } else if (exp) {
    row('argv', diffArgv(main.argv, stripChain(exp.argv ?? [], chain)) ?? keptInOrder(main.argv, base.argv) ?? entryCheck(c, main.argv, base.argv))
    row('env', diffEnv(main.env, exp.env))
  } else {
    row('argv', thirdPartyArgv(c, main.argv, base.argv))
    // Its own edits are its business; the variables Lambda sets for the runtime are not.
    const broken = Object.keys(base.env).filter((k) => isReserved(k) && main.env[k] !== base.env[k])
    row('env', main.ran && broken.length ? `changed or removed what Lambda sets for the runtime: ${broken.map((k) => `${k}=${JSON.stringify(main.env[k] ?? null)}`).join(', ')}` : undefined)
  }
  const leftBehind = main.leaked ? 'the wrapper left a process running in the background (it still held the function\'s pipes after the function ended)' : undefined
  const cwd = main.ran && base.cwd !== undefined && main.cwd !== base.cwd ? `the interpreter started in ${main.cwd}, not ${base.cwd} as the runtime does` : undefined
  row('exec', leftBehind ?? cwd ?? (main.ran && main.pid !== main.bootstrapPid ? `the interpreter's pid ${main.pid} differs from the wrapper's ${main.bootstrapPid}: the wrapper forked instead of exec` : main.ran ? undefined : 'the interpreter never ran'))
  const MARK = 'stand-in stdout\n'
  const extra = main.ran ? main.stdout.replace(MARK, '') : main.stdout
  const stdoutOk = extra ? `stdout carried ${JSON.stringify(extra.slice(0, 80))} besides the interpreter's own output` : main.ran && !main.stdout.includes(MARK) ? "the interpreter's own stdout did not arrive" : undefined
  const stdinOk = main.ran && main.stdin !== 'stdin reaches the interpreter\n' ? `stdin did not reach the interpreter (got ${JSON.stringify(main.stdin.slice(0, 40))})` : undefined
  const roWrite = /Read-only file system/.test(main.stderr) ? `the wrapper tried to write outside /tmp: ${main.stderr.split('\n').find((l) => l.includes('Read-only'))}` : undefined
  const stdio = stdoutOk ?? stdinOk ?? roWrite
  row('stdio', stdio, !stdio && !main.ran ? 'the interpreter never ran (see argv)' : undefined)

  // Adversarial argv: elements after the handler that must arrive byte for byte.
  if (c.first) {
    const advArgv = [...c.inst.argv, ...ADVERSARIAL_ARGS]
    const [b2, o2] = await Promise.all([baseline(c, c.opts.mode, advArgv), run(c, { argv: advArgv })])
    const e2 = expectFor(b2, c.opts.mode)
    const executed = /pwned/.test(o2.stderr) ? 'an argument was executed by the shell' : undefined
    let problem = !o2.ran ? `the interpreter never ran (exit ${o2.code}): ${o2.stderr.split('\n')[0]}` : (executed ?? (e2 ? diffArgv(o2.argv, stripChain(e2.argv ?? [], chain)) : thirdPartyArgv(c, o2.argv, b2.argv)))
    // Adversarial config values: flags and env values full of shell syntax, byte for byte, never run.
    if (!problem && target.kind === 'layer' && target.adversarial) {
      const o3 = await run(c, { opt: 'adversarial' })
      const e3 = expectFor(base, c.opts.mode, 'adversarial')!
      problem = !o3.ran ? `with adversarial config values the interpreter never ran (exit ${o3.code}): ${o3.stderr.split('\n')[0]}`
        : /pwned/.test(o3.stderr) ? 'a configured value was executed by the shell'
        : diffArgv(o3.argv, stripChain(e3.argv ?? [], chain)) ?? diffEnv(o3.env, e3.env)
      if (problem && o3.ran) problem = `adversarial config values: ${problem}`
    }
    row('adversarial', problem)
  }
  if (!c.first) return rows

  // Exit codes and signals: memory-independent, so only at the first memory size.
  const codes = await Promise.all([1, 3, 255].map((exit) => run(c, { action: { exit } })))
  row('exit-codes', [0, 1, 3, 255].map((want, i) => [want, i === 0 ? main : codes[i - 1]!] as const).map(([want, o]) => (o.code === want ? undefined : `exit ${want} came back as ${o.code ?? o.signal}`)).find(Boolean))
  // Signals are observed without bubblewrap, which reports a child's death by signal as exit 128+n.
  const [term, self] = await Promise.all([run(c, { action: { wait: 'SIGTERM' }, mode: 'path-mapped' }), run(c, { action: { kill: 'TERM' }, mode: 'path-mapped' })])
  row('signals', term.signal !== 'SIGTERM' ? `SIGTERM sent to the wrapper's pid ended it with ${term.signal ?? `exit ${term.code}`}${term.ran ? '' : ' before the interpreter ran'}` : self.signal !== 'SIGTERM' ? `an interpreter killed by SIGTERM came back as ${self.signal ?? `exit ${self.code}`}` : undefined)

  if (target.kind === 'layer') {
    // WRAPGEN_DISABLE=1: the original command and environment, untouched.
    const off = await run(c, { env: { WRAPGEN_DISABLE: '1' } })
    const offExpected = { ...base.env, WRAPGEN_DISABLE: '1', AWS_LAMBDA_EXEC_WRAPPER: mapped(c.opts.mode)(target.wrapper) }
    row('disable', diffArgv(off.argv, base.argv) ?? diffEnv(off.env, offExpected))
    // failMode: the layer without the files this runtime needs.
    const fp = target.plan.families[c.fixture.family as Exclude<RuntimeFixture['family'], 'none'>]
    if (!fp.requires.length || !c.layout.opts.has('missing')) row('fail-mode', undefined, `${c.fixture.family} needs no files beside the wrapper`)
    else {
      const miss = await run(c, { opt: 'missing' })
      const em = expectFor(base, c.opts.mode, 'missing')!
      const lines = ownLines(miss.stderr)
      if (target.plan.failMode === 'open') row('fail-mode', !miss.ran ? `failMode open, files missing: the function did not start (exit ${miss.code})` : diffArgv(miss.argv, base.argv) ?? (lines.length !== 1 ? `expected one stderr line, got ${lines.length}: ${JSON.stringify(lines.slice(0, 3))}` : undefined))
      else row('fail-mode', miss.ran ? 'failMode closed, files missing: the function started anyway' : miss.code === 0 ? 'failMode closed: exit code 0' : lines[0] !== em.stderr[0] ? `stderr ${JSON.stringify(lines[0])}, expected ${JSON.stringify(em.stderr[0])}` : undefined)
    }
    // Idempotence: the wrapper run through itself adds its flags and edits once.
    // launch() maps argv[0] (so the Lambda path of the wrapper goes there), not the interpreter after it.
    const twice = await run(c, { argv: [target.wrapper, mapped(c.opts.mode)(c.inst.argv[0]!), ...c.inst.argv.slice(1)] })
    row('idempotence', !twice.ran ? `the wrapper run through itself did not start the interpreter (exit ${twice.code})` : diffArgv(twice.argv, main.argv) ?? diffEnv(twice.env, main.env))
    if (target.plan.chain.length) row('chain', main.ran ? undefined : 'the chained wrappers did not pass the command on')
  }
  // A layer that lost the wrapper's exec bit fails exactly as on Lambda.
  if (c.firstShell) {
    const nox = await run(c, { opt: 'no-exec-bit' })
    const want = `${mapped(c.opts.mode)(target.wrapper).replace(c.layout.opts.get('layer')!, c.layout.opts.get('no-exec-bit')!)}: is not an executable\n`
    row('exec-bit', nox.code !== 126 ? `a wrapper without its exec bit gave exit ${nox.code}, expected 126 as on Lambda` : nox.stdout !== want ? `stdout ${JSON.stringify(nox.stdout)}, expected ${JSON.stringify(want)}` : undefined)
  }
  return rows
}

/** Chained pass-through wrappers exec the rest of the command, so the interpreter sees it without them. */
function stripChain(argv: readonly string[], chain: readonly string[]): readonly string[] {
  let i = 0
  while (i < argv.length && chain.includes(argv[i]!)) i++
  return argv.slice(i)
}

/** Independent of the simulator: the configured flags sit immediately before the fixture's entry. */
function entryCheck(c: CaseContext, got: readonly string[], base: readonly string[]): string | undefined {
  const target = c.opts.target
  if (target.kind !== 'layer' || c.fixture.entry === null) return undefined
  const fp = target.plan.families[c.fixture.family as Exclude<RuntimeFixture['family'], 'none'>]
  if (!fp.flags.length) return undefined
  const at = got.indexOf(c.fixture.entry)
  const before = base.indexOf(c.fixture.entry)
  if (at < 0) return `the entry ${c.fixture.entry} is gone`
  const inserted = got.slice(before, at)
  if (inserted.length !== fp.flags.length) return `expected ${fp.flags.length} flags just before ${c.fixture.entry}, found ${inserted.length}`
  return undefined
}

/**
 * For a third-party wrapper: elements it added (those of `got` left over once every original element is
 * matched, in order) must sit before the fixture's entry. After the entry they are program arguments
 * (java17's handler string, .NET's handler after the RuntimeSupport dll), not interpreter options: the
 * mistake of "insert before the last argument".
 */
/** The generic contract for argv: every original element kept in order, the same program started, the runtime's options intact. */
function thirdPartyArgv(c: CaseContext, got: readonly string[], base: readonly string[]): string | undefined {
  return keptInOrder(got, base) ?? addedAfterEntry(c, got, base)
}

function addedAfterEntry(c: CaseContext, got: readonly string[], base: readonly string[]): string | undefined {
  const entry = c.fixture.entry
  if (entry === null) return undefined
  const entryInBase = base.indexOf(entry)
  if (entryInBase < 0) return undefined
  let j = 0
  let entryAt = -1
  for (const [i, a] of got.entries()) {
    if (j < base.length && a === base[j]) {
      if (j === entryInBase) entryAt = i
      j++
    } else if (entryAt >= 0) {
      return `added ${JSON.stringify(a)} after the entry ${entry} (argv[${i}]): it is a program argument there, not an interpreter flag`
    }
  }
  // Read as the interpreter reads it, the command must start the same program: an added non-option
  // before the entry (another script), or a value option robbed of its value, changes what runs.
  const family = familyOf(got[0] ?? '')
  if (family) {
    const at = findEntry(family, got)
    if (got[at] !== entry) return `the interpreter would now start ${at < 0 ? 'no program' : JSON.stringify(got[at])} instead of ${entry}`
    // Every option of the runtime's, with its value, must still be read as that option.
    const before = options(family, base)
    const after = options(family, got)
    const lost = keptInOrder(after.map((o) => o.join(' ')), before.map((o) => o.join(' ')))
    if (lost) {
      const which = before.find((o) => !after.some((a) => a.join(' ') === o.join(' ')))
      const thief = which && after.find((a) => a[1] === which[0])
      return `the runtime's option ${JSON.stringify(which?.join(' '))} is no longer read as such${thief ? `: it is now the value of ${thief[0]}` : ''}`
    }
  }
  return undefined
}

/** stderr lines of the wrapper's own: a shell's locale warnings (mksh: "W: ...: setlocale: ...") are not. */
function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l && !/^W: .*setlocale/.test(l))
}

/** The interpreter's options before the entry, as it reads them: [option] or [option, value]. */
function options(family: Family, argv: readonly string[]): string[][] {
  const end = findEntry(family, argv)
  const out: string[][] = []
  for (let i = 1; i < (end < 0 ? argv.length : end); i++) {
    const a = argv[i]!
    if (ARGV_RULES[family].valueOptions.includes(a)) out.push([a, argv[++i] ?? ''])
    else out.push([a])
  }
  return out
}
