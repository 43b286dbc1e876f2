// Fuzzing the generated wrapper against the simulator (src/plan/simulate.ts), byte for byte: generated
// configs (flags, env edits, inject mode, failMode, chain, a missing preload) and generated commands (every
// catalogue runtime at three memory sizes, arbitrary arguments after the entry (among them the separator
// byte the wrapper joins arguments at; one case in 20 over 4 kB), sometimes options before it,
// environments that already hold values, the kill switch, a command already marked), run under dash,
// bash (as sh), busybox ash and mksh. What the interpreter receives (argv and environment), the stderr
// lines, the exit code and stdout (always empty) must be exactly what the simulator says.
//
// Fast: a small C stand-in interpreter records argv and environment with one write, and one dash process
// per batch runs hundreds of cases, each in a subshell that sets the case's environment and execs the
// shell under test on the wrapper. CI runs WRAPGEN_FUZZ_CASES (default 300); `npm run fuzz` runs 10,000.
// WRAPGEN_FUZZ_SEED repeats a run.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { wrapperTemplates } from '../src/assets.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { ARGV_RULES } from '../src/plan/argv-rules.js'
import { plan as makePlan } from '../src/plan/plan.js'
import { simulate, type SimulateResult } from '../src/plan/simulate.js'
import { PRELOAD_FILE, type Plan } from '../src/plan/types.js'
import { LAMBDA_OPTIONS, renderWrapper } from '../src/render/wrapper.js'
import { loadCatalogue } from '../src/runtimes/catalogue.js'
import { expandRuntime } from '../src/runtimes/expand.js'
import { diffArgv, diffEnv, SHELL_OWNED } from '../src/verify/expect.js'
import { findShells, linkShell } from '../src/verify/shells.js'

const CASES = Number(process.env.WRAPGEN_FUZZ_CASES ?? 300)
const SEED = Number(process.env.WRAPGEN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const PER_CONFIG = 25
const BATCH = 200

const dir = realpathSync(t.testdir({}))
const started = Date.now()

// The stand-in interpreter: argc, argv, envc, environ, NUL-separated, appended in one write to the file
// named by WRAPGEN_FUZZ_OUT. A shell script (two processes, and slower) where no C compiler is installed.
const RECORDER_C = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
static char buf[1 << 22];
static size_t n;
static void put(const char *s) { size_t l = strlen(s) + 1; if (n + l > sizeof buf) _exit(99); memcpy(buf + n, s, l); n += l; }
int main(int argc, char **argv) {
  char num[32];
  int envc = 0;
  const char *out = getenv("WRAPGEN_FUZZ_OUT");
  if (!out) return 98;
  snprintf(num, sizeof num, "%d", argc); put(num);
  for (int i = 0; i < argc; i++) put(argv[i]);
  while (environ[envc]) envc++;
  snprintf(num, sizeof num, "%d", envc); put(num);
  for (int i = 0; i < envc; i++) put(environ[i]);
  int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0 || write(fd, buf, n) != (ssize_t)n) return 97;
  return 0;
}
`
const RECORDER_SH = `#!/bin/sh
{ printf '%s\\0' "$(($# + 1))" "$0" "$@"; /bin/cat "/proc/$$/environ" | /usr/bin/tr -cd '\\0' | /usr/bin/wc -c | /usr/bin/tr -d ' \\n'; printf '\\0'; /bin/cat "/proc/$$/environ"; } >> "$WRAPGEN_FUZZ_OUT"
`
const recorder = join(dir, 'recorder')
const cc = ['/usr/bin/cc', '/usr/bin/gcc'].find(existsSync)
let recorderKind = 'C'
if (cc) {
  writeFileSync(join(dir, 'recorder.c'), RECORDER_C)
  const r = spawnSync(cc, ['-O2', '-o', recorder, join(dir, 'recorder.c')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`cannot compile the recorder: ${r.stderr}`)
} else {
  recorderKind = 'sh'
  writeFileSync(recorder, RECORDER_SH, { mode: 0o755 })
}

// Every catalogue interpreter path, under root/, is the recorder; so is one chained wrapper.
const catalogue = loadCatalogue()
const runnable = catalogue.runtimes.filter((f) => f.family !== 'none')
const root = join(dir, 'root')
for (const p of new Set(runnable.map((f) => String(f.argv[0])))) {
  mkdirSync(dirname(join(root, p)), { recursive: true })
  copyFileSync(recorder, join(root, p))
  chmodSync(join(root, p), 0o755)
}
const peer = join(dir, 'chain/peer')
mkdirSync(dirname(peer), { recursive: true })
copyFileSync(recorder, peer)
chmodSync(peer, 0o755)
const missingPeer = join(dir, 'chain/missing')

const SHELLS = findShells().found.map((s) => ({ name: s.name, link: join(dir, linkShell(dir, s)) }))

// Text that shells treat specially, arbitrary code points (no NUL, no lone surrogate: exec carries bytes,
// and validation refuses surrogates), and options that move the entry.
const META = ['$', '`', '"', "'", '\\', '*', '?', '[', ']', '{', '}', '(', ')', ';', '&', '|', '<', '>', '!', '~', '#', '=', '%', ' ', '\t', '\n', '-', ':', 'a', 'Z', '0', 'é', '✓', '😀', '${IFS}', '$(id)', '$1', '$@', '$$', '$HOME', '~root', '/*', '\\n', "'\\''", '\r', '\x1b', '\x1f']
const clean = (s: string): string => s.replace(/\0/g, '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }).map(clean),
  fc.string({ unit: fc.constantFrom(...META), maxLength: 8 }),
  fc.constantFrom('', '-', '--', '-e', '-jar', '-m', '-c', '--require', 'exec', '-cp', '*', '$HOME', '"', "'", '\\', '\n', ' ', 'a b', '\x1f', 'a\x1fb', '-D=\x1f'),
)
const nonEmpty = text.filter((s) => s !== '')
const NAMES = ['ACME_A', 'ACME_B', 'ACME_C', 'PATH', 'NODE_OPTIONS', 'JAVA_TOOL_OPTIONS', 'RUBYOPT', 'LD_LIBRARY_PATH', 'DOTNET_STARTUP_HOOKS', 'PYTHONWARNINGS']
const edits = fc.record(
  {
    set: fc.dictionary(fc.constantFrom(...NAMES), text, { maxKeys: 2 }),
    default: fc.dictionary(fc.constantFrom(...NAMES), text, { maxKeys: 2 }),
    prepend: fc.dictionary(fc.constantFrom(...NAMES), nonEmpty, { maxKeys: 2 }),
    append: fc.dictionary(fc.constantFrom(...NAMES), nonEmpty, { maxKeys: 2 }),
    unset: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }),
  },
  { requiredKeys: [] },
)
const flagValue = text.map((s) => `=${s}`)
const configArb = fc.record({
  failMode: fc.constantFrom('open' as const, 'closed' as const),
  env: edits,
  node: fc.record({
    inject: fc.constantFrom('argv' as const, 'NODE_OPTIONS' as const),
    flags: fc.array(fc.oneof(flagValue.map((v) => `--title${v}`), fc.constantFrom('--enable-source-maps', '--no-deprecation'), text.map((v) => `--stack-trace-limit=${v}`)), { maxLength: 3 }),
    env: edits,
    preload: fc.boolean(),
  }),
  python: fc.array(text.map((v) => ['-X', v]), { maxLength: 2 }).map((a) => a.flat()),
  java: fc.array(text.map((v) => `-Dacme.v=${v}`), { maxLength: 2 }),
  dotnet: fc.array(text.map((v) => ['--roll-forward', v]), { maxLength: 1 }).map((a) => a.flat()),
  ruby: fc.array(nonEmpty.map((v) => ['-I', v]), { maxLength: 2 }).map((a) => a.flat()),
  familyEnv: edits,
  chain: fc.array(fc.constantFrom(peer, missingPeer), { maxLength: 2 }),
  deletePreload: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
})
// Every option the wrapper looks up (the full tables, and the first walk's: LAMBDA_OPTIONS).
const FIRST_WALK = [...new Set(Object.values(LAMBDA_OPTIONS).flat())]
const OPTIONS = [...new Set([...Object.values(ARGV_RULES).flatMap((r) => [...r.valueOptions, ...r.entryOptions, ...r.verbs]), ...FIRST_WALK])]
const caseArb = fc.record({
  fixture: fc.integer({ min: 0, max: runnable.length - 1 }),
  memory: fc.constantFrom(128, 1024, 10240),
  // Options, and options with a value (the value may hold anything, the separator byte too); or what
  // the first walk steps over without the full table (LAMBDA_OPTIONS, an option with "=" or ":").
  before: fc.oneof(
    { arbitrary: fc.constant([] as string[]), weight: 4 },
    { arbitrary: fc.array(fc.oneof(fc.constantFrom(...OPTIONS), fc.tuple(fc.constantFrom(...OPTIONS), text), text), { maxLength: 3 }).map((a) => a.flat()), weight: 1 },
    { arbitrary: fc.array(fc.oneof(fc.tuple(fc.constantFrom(...FIRST_WALK), text), text.map((v) => [`-Dacme=${v}`]), text.map((v) => [`-XX:${v}`])), { minLength: 1, maxLength: 3 }).map((a) => a.flat()), weight: 1 },
  ),
  after: fc.array(text, { maxLength: 8 }),
  // One case in 20 is over the 4 kB the wrapper's first walk takes (the full walk does the rest).
  long: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  held: fc.dictionary(fc.constantFrom(...NAMES.filter((n) => n !== 'PATH')), text, { maxKeys: 3 }),
  special: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'none', 'disable', 'applied', 'other-applied'),
})

interface Layer {
  readonly exec: string
  readonly wrapperDir: string
  readonly plan: Plan
  readonly missing: boolean
}
interface Case {
  readonly layer: Layer
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly sim: SimulateResult
}

/** Builds `count` configs (a rejected one is counted and replaced) and PER_CONFIG cases each. */
async function generate(count: number): Promise<{ cases: Case[]; configs: number; rejected: number }> {
  const cases: Case[] = []
  let configs = 0
  let rejected = 0
  const configSamples = fc.sample(configArb, { seed: SEED, numRuns: count * 2 + 10 })
  const caseSamples = fc.sample(caseArb, { seed: SEED + 1, numRuns: count * PER_CONFIG })
  for (const c of configSamples) {
    if (configs === count) break
    const config: WrapgenConfig = {
      name: `fuzz-${configs}`,
      // The first config always fails closed on a missing chained wrapper, so even a small sample (CI's)
      // holds failMode exits and stderr lines whatever the seed; the rest are as generated.
      failMode: configs === 0 ? 'closed' : c.failMode,
      env: c.env,
      node: { inject: c.node.inject, flags: c.node.flags, env: c.node.env, ...(c.node.preload ? { preloads: ['./hook.cjs'] } : {}) },
      python: { flags: c.python, env: c.familyEnv },
      java: { flags: c.java },
      dotnet: { flags: c.dotnet },
      ruby: { flags: c.ruby, env: c.familyEnv },
      chain: configs === 0 ? [...c.chain, missingPeer] : c.chain,
    }
    let plan: Plan
    try {
      plan = makePlan(await openConfig({ cwd: dir, config }))
    } catch {
      rejected++
      continue
    }
    const wrapperDir = join(dir, `layer-${configs}`, 'wrapgen')
    mkdirSync(wrapperDir, { recursive: true })
    const exec = join(wrapperDir, 'exec')
    for (const f of renderWrapper(plan, 'fuzz', wrapperTemplates())) writeFileSync(join(wrapperDir, f.name), f.text, { mode: f.mode })
    const missing = c.deletePreload
    if (!missing) writeFileSync(join(wrapperDir, PRELOAD_FILE), '// stand-in preload\n')
    const layer: Layer = { exec, wrapperDir, plan, missing }
    for (const k of caseSamples.slice(configs * PER_CONFIG, (configs + 1) * PER_CONFIG)) {
      const inst = expandRuntime(runnable[k.fixture]!, { memory: k.memory, commonEnv: catalogue.commonEnv })
      const argv = [join(root, inst.argv[0]!), ...k.before, ...inst.argv.slice(1), ...k.after, ...(k.long ? ['z'.repeat(4_000)] : [])]
      const env: Record<string, string> = { ...inst.env, ...k.held }
      if (k.special === 'disable') env.WRAPGEN_DISABLE = '1'
      if (k.special === 'applied') env.WRAPGEN_APPLIED = plan.id
      if (k.special === 'other-applied') env.WRAPGEN_APPLIED = 'other@123456789abc'
      const n = cases.length
      const full = { ...env, WRAPGEN_FUZZ_OUT: '', WRAPGEN_FUZZ_CASE: String(n) }
      const sim = simulate(plan, { argv, env: full, wrapperDir, exists: () => !missing, executable: existsSync })
      cases.push({ layer, argv, env, sim })
    }
    configs++
  }
  return { cases, configs, rejected }
}

const sq = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

interface Observed {
  argv?: string[]
  env?: Record<string, string>
  stderr: string[]
  code?: number
}

/** Runs one batch of cases under one shell in one dash process; returns what each case did, and stray stdout. */
async function runBatch(shell: (typeof SHELLS)[number], batch: ReadonlyArray<{ n: number; c: Case }>, out: string): Promise<{ seen: Map<number, Observed>; stray: string }> {
  writeFileSync(out, '')
  const lines = ['#!/bin/dash']
  for (const { n, c } of batch) {
    const exports = Object.entries({ ...c.env, WRAPGEN_FUZZ_CASE: String(n) }).map(([k, v]) => `${k}=${sq(v)}`)
    lines.push(`printf '\\036%s\\n' ${n} >&2`, `( sh=$SH; unset SH; export ${exports.join(' ')}; exec "$sh" ${sq(c.layer.exec)} ${c.argv.map(sq).join(' ')} )`, `printf '\\036%s %s\\n' ${n} "$?"`)
  }
  const script = `${out}.sh`
  writeFileSync(script, `${lines.join('\n')}\n`)
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    // Through env -i: the test runner adds variables of its own to every child it spawns.
    const p = spawn('/usr/bin/env', ['-i', `SH=${shell.link}`, `WRAPGEN_FUZZ_OUT=${out}`, '/usr/bin/dash', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    const o: Buffer[] = []
    const e: Buffer[] = []
    p.stdout.on('data', (b: Buffer) => o.push(b))
    p.stderr.on('data', (b: Buffer) => e.push(b))
    p.on('error', reject)
    p.on('close', () => resolve({ stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') }))
  })
  const seen = new Map<number, Observed>()
  for (const { n } of batch) seen.set(n, { stderr: [] })
  let stray = ''
  for (const line of stdout.split('\n')) {
    const m = /^\x1e(\d+) (\d+)$/.exec(line)
    if (m) seen.get(Number(m[1]))!.code = Number(m[2])
    else if (line !== '') stray += `${line}\n`
  }
  let current: Observed | undefined
  for (const line of stderr.split('\n')) {
    const m = /^\x1e(\d+)$/.exec(line)
    if (m) current = seen.get(Number(m[1]))
    // mksh warns when the case's LANG names a locale this machine lacks (Lambda has it): not the wrapper's.
    else if (/^W: .*setlocale/.test(line)) continue
    else if (line !== '' && current) current.stderr.push(line)
    else if (line !== '') stray += `stderr outside a case: ${line}\n`
  }
  const parts = readFileSync(out).toString('utf8').split('\0')
  for (let i = 0; i < parts.length - 1; ) {
    const argc = Number(parts[i++])
    const argv = parts.slice(i, i + argc)
    i += argc
    const envc = Number(parts[i++])
    const env = Object.fromEntries(parts.slice(i, i + envc).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    i += envc
    const o = seen.get(Number(env.WRAPGEN_FUZZ_CASE))
    if (!o) {
      stray += `a record without a case: ${JSON.stringify(argv)}\n`
      continue
    }
    // A chained peer records first; the interpreter it would exec is not run (the peer is the recorder).
    o.argv ??= argv
    o.env ??= env
  }
  return { seen, stray }
}

const comparable = (env: Readonly<Record<string, string>> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).filter(([k]) => !SHELL_OWNED.has(k) && k !== 'WRAPGEN_FUZZ_OUT' && k !== 'WRAPGEN_FUZZ_CASE'))

/** How a case's run differs from the simulator, or undefined. */
function differs(c: Case, o: Observed): string | undefined {
  const sim = c.sim
  if ((o.code ?? -1) !== (sim.exitCode ?? 0)) return `exit ${o.code}, simulated ${sim.exitCode ?? 0}; stderr ${JSON.stringify(o.stderr)}`
  if (JSON.stringify(o.stderr) !== JSON.stringify(sim.stderr)) return `stderr ${JSON.stringify(o.stderr)}, simulated ${JSON.stringify(sim.stderr)}`
  if (!o.argv || !sim.argv) return o.argv || sim.argv ? `argv ${JSON.stringify(o.argv)}, simulated ${JSON.stringify(sim.argv)}` : undefined
  return diffArgv(o.argv, sim.argv) ?? diffEnv(comparable(o.env), comparable(sim.env))
}

t.test(`fuzz: ${CASES} generated cases under every shell, byte for byte against the simulator (seed ${SEED})`, async (t) => {
  t.ok(SHELLS.length >= 2, `shells: ${SHELLS.map((s) => s.name).join(', ')}`)
  const configs = Math.ceil(CASES / PER_CONFIG)
  const gen = await generate(configs)
  const cases = gen.cases.slice(0, CASES)
  const generatedMs = Date.now() - started
  const differences: string[] = []
  let stray = ''
  let runs = 0
  // Two batches at a time: the machine's two cores.
  const jobs: Array<() => Promise<void>> = []
  for (const shell of SHELLS) {
    for (let i = 0; i < cases.length; i += BATCH) {
      const batch = cases.slice(i, i + BATCH).map((c, j) => ({ n: i + j, c }))
      const out = join(dir, `rec-${shell.name}-${i}`)
      jobs.push(async () => {
        const r = await runBatch(shell, batch, out)
        stray += r.stray
        for (const { n, c } of batch) {
          runs++
          const d = differs(c, r.seen.get(n)!)
          if (d) differences.push(`${shell.name} case ${n} (${JSON.stringify(c.argv)}; wrapper ${c.layer.exec}): ${d}`)
        }
      })
    }
  }
  const workers = Array.from({ length: 2 }, async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job()
  })
  await Promise.all(workers)
  const seconds = (Date.now() - started) / 1000
  const summary = `${cases.length} cases (${gen.configs} configs, ${gen.rejected} generated configs refused by validation), ${SHELLS.length} shells (${SHELLS.map((s) => s.name).join(', ')}), ${runs} wrapper runs, ${recorderKind} recorder, ${seconds.toFixed(1)} s (${(generatedMs / 1000).toFixed(1)} s generating), ${differences.length} differences, seed ${SEED}`
  t.comment(summary)
  if (process.env.WRAPGEN_FUZZ_CASES) process.stderr.write(`wrapgen fuzz: ${summary}\n`)
  t.ok(cases.length >= CASES, `${cases.length} cases`)
  t.equal(runs, cases.length * SHELLS.length, 'every case ran under every shell')
  t.equal(stray, '', 'nothing on stdout, no output outside a case')
  t.same(differences.slice(0, 5), [], `${differences.length} differences`)
  t.ok(cases.some((c) => c.sim.exitCode === 1) && cases.some((c) => c.sim.stderr.length > 0) && cases.some((c) => c.sim.branch === 'bypass'), 'the sample holds failMode exits, stderr lines and bypasses')
})
