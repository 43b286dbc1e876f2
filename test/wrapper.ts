// The generated exec wrapper itself, without the verify harness: layers built into a test folder, a
// recording interpreter (test/fixtures/wrappers/record.sh) under each catalogue interpreter's file name,
// and the wrapper run by dash, bash (as sh), busybox ash and mksh where installed. What it execs must be
// exactly what the simulator says, the configured flags must sit immediately before the entry, and no
// argument or config value may be split, globbed or executed on the way.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import t from 'tap'
import { buildLayer } from '../src/build.js'
import { openConfig } from '../src/config/open.js'
import type { Family, WrapgenConfig } from '../src/config/types.js'
import { writeLayer } from '../src/layer/write.js'
import { ARGV_RULES } from '../src/plan/argv-rules.js'
import { plan as makePlan } from '../src/plan/plan.js'
import { LAMBDA_OPTIONS, optionWords } from '../src/render/wrapper.js'
import { simulate } from '../src/plan/simulate.js'
import type { Plan } from '../src/plan/types.js'
import { loadCatalogue } from '../src/runtimes/catalogue.js'
import { expandRuntime } from '../src/runtimes/expand.js'
import type { RuntimeFixture, RuntimeInstance } from '../src/runtimes/types.js'
import { SHELL_OWNED } from '../src/verify/expect.js'
import { findShells, linkShell } from '../src/verify/shells.js'
import { scaled } from '../src/limits/time-limit.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const FIXTURES = join(repo, 'test/fixtures/wrappers')

const dir = t.testdir({
  'package.json': JSON.stringify({ name: 'wrapper-fixture', private: true, type: 'commonjs' }),
  hooks: { 'noop.cjs': 'module.exports = () => {}\n' },
})

const catalogue = loadCatalogue()
const runnable = catalogue.runtimes.filter((f) => f.family !== 'none')
const fixture = (id: string, mode = 'default'): RuntimeFixture => {
  const f = runnable.find((r) => r.id === id && r.mode === mode)
  if (!f) throw new Error(`no fixture ${id}:${mode}`)
  return f
}
const rid = (f: RuntimeFixture): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)

// The interpreters: the recorder under each absolute path the catalogue's argv start with, below `root`.
const root = join(dir, 'root')
for (const p of new Set(runnable.map((f) => String(f.argv[0])))) {
  const file = join(root, p)
  mkdirSync(dirname(file), { recursive: true })
  copyFileSync(join(FIXTURES, 'record.sh'), file)
  chmodSync(file, 0o755)
}

// Each shell under the name it runs as (bash as sh, busybox as ash), linked into the test folder.
const SHELLS = findShells().found.map((s) => ({ ...s, link: join(dir, linkShell(dir, s)) }))
type TestShell = (typeof SHELLS)[number]
const DASH_BASH = SHELLS.filter((s) => s.name === 'dash' || s.name === 'bash')

/** The runtime's command and environment at 1024 MB, with the interpreter moved under `root`. */
function instance(f: RuntimeFixture): { inst: RuntimeInstance; argv: string[]; env: Record<string, string> } {
  const inst = expandRuntime(f, { memory: 1024, commonEnv: catalogue.commonEnv })
  return { inst, argv: [join(root, inst.argv[0]!), ...inst.argv.slice(1)], env: { ...inst.env } }
}

let layers = 0
const wrappers: Array<{ name: string; exec: string }> = []
async function layer(config: WrapgenConfig): Promise<{ exec: string; wrapperDir: string; plan: Plan }> {
  const resolved = await openConfig({ cwd: dir, config })
  const written = writeLayer(await buildLayer(resolved), join(dir, `out-${++layers}`))
  const exec = join(written.layerDir, 'wrapgen/exec')
  wrappers.push({ name: config.name, exec })
  return { exec, wrapperDir: dirname(exec), plan: makePlan(resolved) }
}

interface Ran {
  /** What the recorder received, or undefined when it never ran. */
  readonly argv: string[] | undefined
  readonly env: Record<string, string> | undefined
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
  /** A traced copy's part (see traced()) took its full walk. */
  readonly fullWalk: boolean
}

let records = 0
/**
 * Runs `shell WRAPPER ARGV...` the way a bootstrap that execs the wrapper with that shell would, with
 * exactly `env` (through env -i: the test runner adds variables of its own to every child it spawns).
 */
function run(shell: TestShell, exec: string, argv: readonly string[], env: Readonly<Record<string, string>>): Ran {
  const rec = join(dir, `rec-${++records}`)
  mkdirSync(rec)
  try {
    const vars = Object.entries({ ...env, WRAPGEN_TEST_RECORD: rec }).map(([k, v]) => `${k}=${v}`)
    const r = spawnSync('/usr/bin/env', ['-i', ...vars, shell.link, exec, ...argv], { cwd: dir, timeout: scaled(10_000) })
    const split0 = (b: Buffer): string[] => {
      const parts = b.toString('utf8').split('\0')
      parts.pop()
      return parts
    }
    const argvFile = join(rec, 'argv')
    const envFile = join(rec, 'env')
    const env2 = existsSync(envFile)
      ? Object.fromEntries(split0(readFileSync(envFile)).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
      : undefined
    return {
      argv: existsSync(argvFile) ? split0(readFileSync(argvFile)) : undefined,
      env: env2,
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
      code: r.status,
      fullWalk: existsSync(join(rec, 'full-walk')),
    }
  } finally {
    rmSync(rec, { recursive: true, force: true })
  }
}

/** The environment without the recorder's own variable and what shells add on their own. */
const clean = (env: Readonly<Record<string, string>> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).filter(([k]) => k !== 'WRAPGEN_TEST_RECORD' && !SHELL_OWNED.has(k)).sort(([a], [b]) => (a < b ? -1 : 1)))

const lines = (s: string): string[] => s.split('\n').filter((l) => l && !/^W: .*setlocale/.test(l))

const MAIN: WrapgenConfig = {
  name: 'wrapper-test',
  env: {
    set: { ACME_STAGE: 'test' },
    default: { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' },
    prepend: { PATH: '/opt/acme/bin' },
    append: { LD_LIBRARY_PATH: '/opt/acme/lib' },
    unset: ['AWS_XRAY_CONTEXT_MISSING'],
  },
  node: { flags: ['--enable-source-maps', '--max-old-space-size=200'], preloads: ['./hooks/noop.cjs'], env: { prepend: { NODE_OPTIONS: '--no-deprecation' } } },
  python: { flags: ['-X', 'importtime'], env: { set: { PYTHONDONTWRITEBYTECODE: '1' } } },
  java: { flags: ['-XX:+TieredCompilation', '-Xss2m'], env: { default: { JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC' } } },
  dotnet: { flags: ['--roll-forward', 'Major'], env: { set: { DOTNET_TieredPGO: '0' } } },
  ruby: { flags: ['-W0'], env: { append: { RUBYOPT: '-rbundler/setup' } } },
}

/** The flags MAIN puts before each family's entry, written out independently of the planner. */
const mainFlags = (family: Family, wrapperDir: string): string[] =>
  family === 'node' ? ['--enable-source-maps', '--max-old-space-size=200', '--require', `${wrapperDir}/preload.cjs`] : [...(MAIN[family]?.flags ?? [])]

const main = await layer(MAIN)

t.test('every catalogue runtime, every shell: exactly the simulated command, flags just before the entry', async (t) => {
  t.ok(SHELLS.length >= 2, `shells: ${SHELLS.map((s) => s.name).join(', ')}`)
  for (const f of runnable) {
    const { argv, env } = instance(f)
    const sim = simulate(main.plan, { argv, env, wrapperDir: main.wrapperDir })
    for (const shell of SHELLS) {
      const name = `${rid(f)} ${shell.name}`
      const r = run(shell, main.exec, argv, env)
      t.equal(r.code, 0, `${name}: exit 0`)
      t.equal(r.stdout, '', `${name}: nothing on stdout`)
      t.same(lines(r.stderr), [], `${name}: nothing on stderr`)
      t.strictSame(r.argv, sim.argv, `${name}: argv is the simulated one`)
      t.strictSame(clean(r.env), clean(sim.env), `${name}: environment is the simulated one`)
      if (f.entry === null || !r.argv) {
        t.strictSame(r.argv, argv, `${name}: no entry, argv untouched`)
        continue
      }
      const flags = mainFlags(f.family as Family, main.wrapperDir)
      const at = r.argv.indexOf(f.entry)
      t.ok(at > 0, `${name}: the entry ${f.entry} is there`)
      t.strictSame(r.argv.slice(at - flags.length, at), flags, `${name}: the configured flags sit immediately before ${f.entry}`)
      t.strictSame([...r.argv.slice(0, at - flags.length), ...r.argv.slice(at)], argv, `${name}: nothing else changed`)
    }
  }
})

// Arguments no wrapper may touch: any text without NUL, biased towards what shells treat specially.
const META = ['$', '`', '"', "'", '\\', '*', '?', '[', ']', '{', '}', '(', ')', ';', '&', '|', '<', '>', '!', '~', '#', '=', '%', ' ', '\t', '\n', '-', 'a', 'Z', '0', 'é', '✓', '${IFS}', '$(id)', '$1', '$@', '~root', '/*']
const noNul = (s: string): string => s.replace(/\0/g, '')
const shellText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).map(noNul),
  fc.string({ unit: fc.constantFrom(...META), maxLength: 10 }),
  fc.constantFrom('', '*', '--', '-', '$HOME', '"', "'", '\\', '\n'),
)

t.test('property: arguments after the entry arrive byte for byte (dash, bash)', async (t) => {
  const targets = [fixture('nodejs20.x'), fixture('java17'), fixture('dotnet8', 'class-library'), fixture('python3.12')]
  let runs = 0
  fc.assert(
    fc.property(fc.constantFrom(...targets), fc.array(shellText, { maxLength: 6 }), (f, extra) => {
      const { argv: base, env } = instance(f)
      const argv = [...base, ...extra]
      const sim = simulate(main.plan, { argv, env, wrapperDir: main.wrapperDir })
      for (const shell of DASH_BASH) {
        const r = run(shell, main.exec, argv, env)
        runs++
        if (r.stdout !== '' || r.code !== 0) throw new Error(`${shell.name} ${rid(f)}: exit ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`)
        t.strictSame(r.argv, sim.argv, `${shell.name} ${rid(f)} + ${JSON.stringify(extra)}`)
        if (JSON.stringify(r.argv?.slice(r.argv.length - extra.length)) !== JSON.stringify(extra)) throw new Error(`${shell.name}: the tail ${JSON.stringify(extra)} did not survive: ${JSON.stringify(r.argv)}`)
      }
    }),
    { numRuns: 100 },
  )
  t.ok(runs >= 100, `${runs} wrapper runs`)
})

t.test('property: config values with shell metacharacters arrive byte for byte and never run', async (t) => {
  const canary = join(dir, 'canary')
  const payloads = [`$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `\ntouch ${canary}\n`, `$(IFS=x; touch ${canary})`, `&& touch ${canary} #`]
  const payload = fc.oneof(
    { arbitrary: fc.constantFrom(...payloads), weight: 1 },
    { arbitrary: fc.tuple(shellText, fc.constantFrom(...payloads), shellText).map((p) => p.join('')), weight: 2 },
    { arbitrary: shellText, weight: 1 },
  )
  const targets = [fixture('nodejs20.x'), fixture('python3.12'), fixture('java17'), fixture('ruby3.3'), fixture('dotnet8', 'class-library')]
  let n = 0
  await fc.assert(
    fc.asyncProperty(payload, payload, payload.filter((p) => p !== ''), async (flagValue, setValue, listValue) => {
      const config: WrapgenConfig = {
        name: `prop-${++n}`,
        env: { set: { ACME_VALUE: setValue }, prepend: { ACME_LIST: listValue } },
        node: { flags: ['--title', flagValue] },
        python: { flags: ['-X', flagValue] },
        java: { flags: [`-Dacme.value=${flagValue}`] },
        dotnet: { flags: ['--roll-forward', flagValue] },
        ruby: { flags: ['-I', flagValue] },
      }
      const l = await layer(config)
      for (const f of targets) {
        const { argv, env } = instance(f)
        const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir })
        for (const shell of DASH_BASH) {
          const r = run(shell, l.exec, argv, env)
          const where = `${shell.name} ${rid(f)} flag=${JSON.stringify(flagValue)} set=${JSON.stringify(setValue)} list=${JSON.stringify(listValue)}`
          if (existsSync(canary)) throw new Error(`${where}: a config value was executed`)
          if (r.code !== 0 || r.stdout !== '') throw new Error(`${where}: exit ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`)
          if (JSON.stringify(r.argv) !== JSON.stringify(sim.argv)) throw new Error(`${where}: argv ${JSON.stringify(r.argv)}, simulated ${JSON.stringify(sim.argv)}`)
          if (r.env?.ACME_VALUE !== setValue) throw new Error(`${where}: ACME_VALUE is ${JSON.stringify(r.env?.ACME_VALUE)}`)
          if (r.env?.ACME_LIST !== listValue) throw new Error(`${where}: ACME_LIST is ${JSON.stringify(r.env?.ACME_LIST)}`)
          const flag = f.family === 'java' ? `-Dacme.value=${flagValue}` : flagValue
          if (!r.argv?.includes(flag)) throw new Error(`${where}: the flag value is not in argv: ${JSON.stringify(r.argv)}`)
        }
      }
    }),
    { numRuns: 30 },
  )
  t.notOk(existsSync(canary), 'the canary file was never created')
  t.pass(`${n} configs built and run on ${targets.length} runtimes x ${DASH_BASH.length} shells`)
})

t.test('WRAPGEN_DISABLE=1 leaves the command and the environment alone', async (t) => {
  for (const f of [fixture('nodejs20.x'), fixture('java17'), fixture('dotnet8', 'single-file'), fixture('python3.12')]) {
    const { argv, env } = instance(f)
    for (const shell of SHELLS) {
      const r = run(shell, main.exec, argv, { ...env, WRAPGEN_DISABLE: '1' })
      t.equal(r.stdout + lines(r.stderr).join('\n'), '', `${rid(f)} ${shell.name}: silent`)
      t.strictSame(r.argv, argv, `${rid(f)} ${shell.name}: argv untouched`)
      t.strictSame(clean(r.env), clean({ ...env, WRAPGEN_DISABLE: '1' }), `${rid(f)} ${shell.name}: environment untouched`)
    }
  }
})

t.test('idempotence: the wrapper run through itself applies flags and edits once', async (t) => {
  for (const f of [fixture('nodejs20.x'), fixture('java17'), fixture('dotnet8', 'class-library'), fixture('dotnet8', 'single-file'), fixture('ruby3.3')]) {
    const { argv, env } = instance(f)
    for (const shell of SHELLS) {
      const once = run(shell, main.exec, argv, env)
      const twice = run(shell, main.exec, [main.exec, ...argv], env)
      t.equal(twice.code, 0, `${rid(f)} ${shell.name}: exit 0`)
      t.strictSame(twice.argv, once.argv, `${rid(f)} ${shell.name}: argv as after one pass`)
      t.strictSame(clean(twice.env), clean(once.env), `${rid(f)} ${shell.name}: environment as after one pass`)
    }
  }
})

t.test('failMode with the preload deleted', async (t) => {
  for (const failMode of ['open', 'closed'] as const) {
    const l = await layer({ name: `fail-${failMode}`, failMode, node: { flags: ['--enable-source-maps'], preloads: ['./hooks/noop.cjs'] } })
    rmSync(join(l.wrapperDir, 'preload.cjs'))
    const { argv, env } = instance(fixture('nodejs20.x'))
    const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir, exists: () => false })
    for (const shell of SHELLS) {
      const r = run(shell, l.exec, argv, env)
      const name = `${failMode} ${shell.name}`
      t.equal(r.stdout, '', `${name}: nothing on stdout`)
      t.strictSame(lines(r.stderr), sim.stderr, `${name}: the one stderr line`)
      if (failMode === 'open') {
        t.strictSame(lines(r.stderr), [`wrapgen: ${l.wrapperDir}/preload.cjs is missing; running the function without wrapgen (failMode "open")`], `${name}: exact line`)
        t.equal(r.code, 0, `${name}: the function starts`)
        t.strictSame(r.argv, argv, `${name}: the original command, no flags`)
        t.strictSame(clean(r.env), clean(env), `${name}: the original environment`)
      } else {
        t.strictSame(lines(r.stderr), [`wrapgen: ${l.wrapperDir}/preload.cjs is missing and failMode is "closed"; not starting the function`], `${name}: exact line`)
        t.equal(r.code, 1, `${name}: exit 1`)
        t.equal(r.argv, undefined, `${name}: the interpreter never ran`)
      }
    }
    // Python needs no file: the deleted preload changes nothing there.
    const py = instance(fixture('python3.12'))
    const r = run(SHELLS[0]!, l.exec, py.argv, py.env)
    t.equal(r.code, 0, `${failMode}: python still starts`)
    t.strictSame(lines(r.stderr), [], `${failMode}: python: nothing on stderr`)
  }
})

t.test('chain: each chained wrapper runs, in order, then the interpreter', async (t) => {
  const chainDir = join(dir, 'chain')
  mkdirSync(chainDir, { recursive: true })
  const otel = join(chainDir, 'otel-style.sh')
  const peer = join(chainDir, 'second-peer.sh')
  for (const [from, to] of [[join(FIXTURES, 'otel-style.sh'), otel], [join(FIXTURES, 'second-peer.sh'), peer]] as const) {
    copyFileSync(from, to)
    chmodSync(to, 0o755)
  }
  const l = await layer({ name: 'chain-test', node: { flags: ['--enable-source-maps'] }, python: { flags: ['-X', 'importtime'] }, chain: [otel, peer] })
  for (const f of [fixture('nodejs20.x'), fixture('python3.12'), fixture('java17')]) {
    const { argv, env } = instance(f)
    const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir, executable: existsSync })
    t.strictSame(sim.argv?.slice(0, 2), [otel, peer], `${rid(f)}: the simulator puts the chain first`)
    for (const shell of SHELLS) {
      const r = run(shell, l.exec, argv, env)
      const name = `${rid(f)} ${shell.name}`
      t.equal(r.code, 0, `${name}: exit 0`)
      t.equal(r.stdout + lines(r.stderr).join('\n'), '', `${name}: silent`)
      t.strictSame(r.argv, sim.argv?.slice(2), `${name}: the interpreter got the edited command`)
      t.equal(r.env?.NODE_OPTIONS, '--require /opt/otel.cjs', `${name}: otel-style.sh ran`)
      t.equal(r.env?.WRAPGEN_TEST_PEER_SAW, '--require /opt/otel.cjs', `${name}: second-peer.sh ran after otel-style.sh`)
    }
  }

  const missing = '/nonexistent/wrapgen-test/missing-wrapper'
  for (const failMode of ['open', 'closed'] as const) {
    const m = await layer({ name: `chain-missing-${failMode}`, failMode, node: { flags: ['--enable-source-maps'] }, chain: [missing, otel] })
    const { argv, env } = instance(fixture('nodejs20.x'))
    const sim = simulate(m.plan, { argv, env, wrapperDir: m.wrapperDir, executable: existsSync })
    for (const shell of SHELLS) {
      const r = run(shell, m.exec, argv, env)
      const name = `missing, ${failMode}, ${shell.name}`
      t.equal(r.stdout, '', `${name}: nothing on stdout`)
      t.strictSame(lines(r.stderr), sim.stderr, `${name}: stderr as simulated`)
      if (failMode === 'open') {
        t.strictSame(lines(r.stderr), [`wrapgen: chained wrapper ${missing} is not an executable file; skipped`], `${name}: one line`)
        t.equal(r.code, 0, `${name}: exit 0`)
        t.strictSame(r.argv, sim.argv?.slice(1), `${name}: the rest of the chain and the interpreter ran`)
        t.equal(r.env?.NODE_OPTIONS, '--require /opt/otel.cjs', `${name}: otel-style.sh still ran`)
      } else {
        t.strictSame(lines(r.stderr), [`wrapgen: chained wrapper ${missing} is not an executable file and failMode is "closed"; not starting the function`], `${name}: one line`)
        t.equal(r.code, 1, `${name}: exit 1`)
        t.equal(r.argv, undefined, `${name}: the interpreter never ran`)
      }
    }
  }
})

const shellcheck = '/usr/bin/shellcheck'
t.test('shellcheck finds nothing in any generated wrapper', { skip: existsSync(shellcheck) ? false : `shellcheck is not installed at ${shellcheck}` }, async (t) => {
  // Fixed values the property runs above produce at random: quotes and a backslash in a prepend, a
  // newline in a flag (both once gave findings: SC2089/SC2090 and SC2034).
  const known: Record<string, string> = {}
  await layer({ name: 'nasty-prepend', env: { prepend: { ACME_LIST: 'say "hi" \\ it\'s' } } })
  await layer({ name: 'nasty-newline-flag', python: { flags: ['-X', 'line\nbreak'] } })
  await layer({ name: 'nasty-set', env: { set: { ACME_VALUE: 'say "hi" \\ it\'s $(id) `id`\nnext' } }, java: { flags: ['-Dx=say "hi" \\ it\'s $(id)'] } })
  const picked = wrappers.filter((w) => !w.name.startsWith('prop-'))
  t.ok(picked.length >= 9, `${picked.length} generated wrappers`)
  for (const w of picked) {
    // exec and each family's part (exec sources them; each is checked on its own).
    const files = readdirSync(dirname(w.exec)).filter((f) => /^exec(-\w+\.sh)?$/.test(f)).map((f) => join(dirname(w.exec), f))
    const r = spawnSync(shellcheck, ['--norc', '--shell=sh', '--severity=style', '--format=gcc', ...files], { encoding: 'utf8' })
    const todo = known[w.name] ? { todo: known[w.name] } : {}
    t.equal(r.status, 0, `${w.name}: shellcheck exit 0 (${files.length} files)`, todo)
    t.equal(r.stdout + r.stderr, '', `${w.name}: no findings`, todo)
  }
})

// Literal expectations, written out by hand: the simulator shares the plan with the script, so a mistake
// in the plan (a `:` join for JAVA_TOOL_OPTIONS, a default applied only when unset) would pass a
// comparison with it. Each starts from an environment that already holds values.
t.test('literal: existing values are joined with a space, empty gets the default, $ stays $', async (t) => {
  const l = await layer({
    name: 'literal',
    env: { default: { ACME_DEFAULT: 'dflt' }, set: { ACME_DOLLAR: '$', ACME_PID: '$$', ACME_HOME: '$HOME', ACME_MIX: 'a$HOME$$b${HOME}`id`$(id)' } },
    node: { inject: 'NODE_OPTIONS', flags: ['--title=my app'], preloads: ['./hooks/noop.cjs'], env: { prepend: { NODE_OPTIONS: '--no-deprecation' } } },
    python: { flags: ['-X', '$HOME'] },
    java: { env: { prepend: { JAVA_TOOL_OPTIONS: '-Xshare:auto' } } },
    ruby: { env: { append: { RUBYOPT: '-W0' } }, flags: ['-I', '$$'] },
  })
  const held = { HOME: '/home/sbx_user1051', JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC', RUBYOPT: '-rbundler/setup', NODE_OPTIONS: '--max-old-space-size=100', ACME_DEFAULT: '' }
  const literal = { ACME_DOLLAR: '$', ACME_PID: '$$', ACME_HOME: '$HOME', ACME_MIX: 'a$HOME$$b${HOME}`id`$(id)' }
  const tail = ['$', '$$', '$HOME', '${HOME}']
  for (const shell of SHELLS) {
    for (const [id, want] of [
      ['nodejs20.x', { NODE_OPTIONS: `"--title=my app" --require ${l.wrapperDir}/preload.cjs --no-deprecation --max-old-space-size=100` }],
      ['java17', { JAVA_TOOL_OPTIONS: '-Xshare:auto -XX:+UseSerialGC' }],
      ['ruby3.3', { RUBYOPT: '-rbundler/setup -W0' }],
      ['python3.12', {}],
    ] as const) {
      const { argv, env } = instance(fixture(id))
      const r = run(shell, l.exec, [...argv, ...tail], { ...env, ...held })
      const name = `${id} ${shell.name}`
      t.equal(r.code, 0, `${name}: exit 0 (${r.stderr})`)
      t.same(lines(r.stderr), [], `${name}: nothing on stderr`)
      t.has(r.env, { ...held, ...literal, ACME_DEFAULT: 'dflt', ...want }, `${name}: the literal environment`)
      t.strictSame(r.argv?.slice(-tail.length), tail, `${name}: $, $$ and $HOME after the entry arrive as written`)
      const entry = r.argv?.indexOf(fixture(id).entry ?? '') ?? -1
      if (id === 'python3.12') t.strictSame(r.argv?.slice(entry - 2, entry), ['-X', '$HOME'], `${name}: a flag holding $HOME arrives as written`)
      if (id === 'ruby3.3') t.strictSame(r.argv?.slice(entry - 2, entry), ['-I', '$$'], `${name}: a flag holding $$ arrives as written`)
      const sim = simulate(l.plan, { argv: [...argv, ...tail], env: { ...env, ...held }, wrapperDir: l.wrapperDir })
      t.strictSame(clean(r.env), clean(sim.env), `${name}: and the simulator agrees`)
    }
    // A default is not applied over a value, and is applied when the variable is unset.
    const { argv, env } = instance(fixture('python3.12'))
    t.equal(run(shell, l.exec, argv, { ...env, ACME_DEFAULT: 'kept' }).env?.ACME_DEFAULT, 'kept', `${shell.name}: a value is kept`)
    t.equal(run(shell, l.exec, argv, env).env?.ACME_DEFAULT, 'dflt', `${shell.name}: unset gets the default`)
  }
})

t.test('fail-open in both inject modes: the preload missing, the function starts as it came, with one line', async (t) => {
  for (const inject of ['argv', 'NODE_OPTIONS'] as const) {
    const l = await layer({ name: `open-${inject.toLowerCase().replace('_', '-')}`, node: { inject, flags: ['--enable-source-maps'], preloads: ['./hooks/noop.cjs'] } })
    rmSync(join(l.wrapperDir, 'preload.cjs'))
    const { argv, env } = instance(fixture('nodejs20.x'))
    const start = { ...env, NODE_OPTIONS: '--max-old-space-size=100' }
    for (const shell of SHELLS) {
      const r = run(shell, l.exec, argv, start)
      const name = `${inject} ${shell.name}`
      t.equal(r.code, 0, `${name}: the function starts`)
      t.strictSame(lines(r.stderr), [`wrapgen: ${l.wrapperDir}/preload.cjs is missing; running the function without wrapgen (failMode "open")`], `${name}: one line`)
      t.strictSame(r.argv, argv, `${name}: the command as it came`)
      t.equal(r.env?.NODE_OPTIONS, '--max-old-space-size=100', `${name}: NODE_OPTIONS as it came`)
      t.strictSame(clean(r.env), clean(start), `${name}: the environment as it came`)
    }
  }
})

t.test('a wrapper reached through a symlink finds its files beside its real location', async (t) => {
  const l = await layer({ name: 'linked', node: { flags: ['--enable-source-maps'], preloads: ['./hooks/noop.cjs'] } })
  const links = join(dir, 'links')
  mkdirSync(join(links, 'bin'), { recursive: true })
  symlinkSync(l.exec, join(links, 'absolute'))
  symlinkSync(relative(links, l.exec), join(links, 'relative'))
  symlinkSync('../relative', join(links, 'bin/two-hops'))
  const { argv, env } = instance(fixture('nodejs20.x'))
  const entry = argv.indexOf(fixture('nodejs20.x').entry!)
  for (const shell of SHELLS) {
    for (const link of ['absolute', 'relative', 'bin/two-hops']) {
      const r = run(shell, join(links, link), argv, env)
      const name = `${link} ${shell.name}`
      t.equal(r.code, 0, `${name}: exit 0`)
      t.same(lines(r.stderr), [], `${name}: nothing on stderr (the preload was found)`)
      const preload = r.argv?.[entry + 2]
      t.equal(r.argv?.[entry + 1], '--require', `${name}: the preload is required`)
      t.ok(preload && realpathSync(preload) === join(l.wrapperDir, 'preload.cjs'), `${name}: ${preload} is the layer's preload`)
    }
  }
})

t.test("inject: 'NODE_OPTIONS' from a folder holding a space or a double quote", async (t) => {
  for (const failMode of ['open', 'closed'] as const) {
    const l = await layer({ name: `quoted-${failMode}`, failMode, node: { inject: 'NODE_OPTIONS', preloads: ['./hooks/noop.cjs'] } })
    const { argv, env } = instance(fixture('nodejs20.x'))
    for (const [folder, ok] of [['with space', true], ['with"quote', false], ['back\\slash', false]] as const) {
      const copy = join(dir, `${failMode} ${folder}`)
      mkdirSync(copy)
      for (const f of readdirSync(l.wrapperDir)) copyFileSync(join(l.wrapperDir, f), join(copy, f))
      chmodSync(join(copy, 'exec'), 0o755)
      const sim = simulate(l.plan, { argv, env, wrapperDir: copy })
      for (const shell of SHELLS) {
        const r = run(shell, join(copy, 'exec'), argv, env)
        const name = `${failMode} ${folder} ${shell.name}`
        t.strictSame(lines(r.stderr), sim.stderr, `${name}: stderr as simulated`)
        t.strictSame(r.argv, sim.argv, `${name}: argv as simulated`)
        if (ok) {
          t.equal(r.env?.NODE_OPTIONS, `--require "${copy}/preload.cjs"`, `${name}: the path in node's quotes`)
          continue
        }
        const problem = `wrapgen: the layer's folder ${copy} holds a double quote or a backslash, which NODE_OPTIONS cannot carry`
        if (failMode === 'open') {
          t.strictSame(lines(r.stderr), [`${problem}; running the function without wrapgen (failMode "open")`], `${name}: one line`)
          t.equal(r.code, 0, `${name}: the function starts`)
          t.strictSame(clean(r.env), clean(env), `${name}: as it came`)
        } else {
          t.strictSame(lines(r.stderr), [`${problem} and failMode is "closed"; not starting the function`], `${name}: one line`)
          t.equal(r.code, 1, `${name}: exit 1`)
        }
      }
    }
  }
})

t.test('10,000 arguments after the entry arrive intact under every shell', async (t) => {
  const many = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? `$${i} "q" *` : `a${i}`))
  for (const f of [fixture('nodejs20.x'), fixture('java17'), fixture('dotnet8', 'class-library')]) {
    const id = rid(f)
    const { argv, env } = instance(f)
    const full = [...argv, ...many]
    const sim = simulate(main.plan, { argv: full, env, wrapperDir: main.wrapperDir })
    for (const shell of SHELLS) {
      const r = run(shell, main.exec, full, env)
      t.equal(r.code, 0, `${id} ${shell.name}: exit 0`)
      t.ok(JSON.stringify(r.argv) === JSON.stringify(sim.argv), `${id} ${shell.name}: argv as simulated (${r.argv?.length} elements)`)
    }
  }
})

t.test('the failMode lines survive a configured PATH (mksh has no printf builtin; found by npm run fuzz)', async (t) => {
  for (const env of [{ unset: ['PATH'] }, { set: { PATH: '/nonexistent' } }]) {
    const l = await layer({ name: `path-${env.unset ? 'unset' : 'set'}`, failMode: 'closed', env, chain: ['/nonexistent/wrapgen-test/missing-wrapper'] })
    const { argv, env: start } = instance(fixture('python3.12'))
    for (const shell of SHELLS) {
      const r = run(shell, l.exec, argv, start)
      t.strictSame(lines(r.stderr), ['wrapgen: chained wrapper /nonexistent/wrapgen-test/missing-wrapper is not an executable file and failMode is "closed"; not starting the function'], `${shell.name}: the line`)
      t.equal(r.code, 1, `${shell.name}: exit 1`)
    }
  }
})

t.test('the option words the wrapper matches each argument against: every rule, none the fast path skips', async (t) => {
  for (const family of Object.keys(ARGV_RULES) as Family[]) {
    const words = optionWords(family)
    const r = ARGV_RULES[family]
    t.same(words.trim().split(' ').sort(), [...r.valueOptions.map((o) => `v${o}`), ...r.entryOptions.map((o) => `e${o}`), ...r.verbs.map((o) => `b${o}`)].sort(), family)
    // The wrapper takes an option with "=", ":" or a blank for an ordinary one without looking it up.
    t.notOk(/[=:\s]/.test(words.replace(/ /g, '')), `${family}: no option word holds "=", ":" or a blank`)
  }
  // A rendered wrapper: exec names no family's words; java's part holds java's known words in its first
  // walk and its whole table in the full walk; no part for a family with nothing to do.
  const files = (await buildLayer(await openConfig({ cwd: repo, config: { name: 'words', java: { flags: ['-Xss1m'] } } }))).files
  const text = (path: string): string | undefined => {
    const f = files.find((x) => x.path === path)
    return f && new TextDecoder().decode(f.contents)
  }
  const exec = text('wrapgen/exec')!
  const part = text('wrapgen/exec-java.sh')!
  t.notOk(exec.includes(' v-'), 'exec holds no option words')
  t.ok(part.includes(`wrapgen_o='${optionWords('java', LAMBDA_OPTIONS.java)}'`), "java's first walk: the options Lambda's java commands hold")
  t.ok(part.includes(`wrapgen_o='${optionWords('java')}'`), "java's full walk: its whole table")
  t.equal(text('wrapgen/exec-node.sh'), undefined, 'no flags or edits for node: no node part')
  t.equal(files.find((f) => f.path === 'wrapgen/exec-java.sh')?.mode, 0o644, 'a part is sourced, not run: no exec bit (compose does not take it for a wrapper)')
  t.notOk(/^\s*#(?! shellcheck )/m.test(exec.split('\n').slice(4).join('\n')), 'the explanatory comments stay in the template (wrappers/exec.sh): only the header is kept')
  t.notOk(/^\s*#(?! shellcheck )/m.test(part.split('\n').slice(3).join('\n')), 'and in wrappers/exec-part.sh')
})

t.test("LAMBDA_OPTIONS holds every option Lambda's commands put before the entry that the wrapper must look up", async (t) => {
  for (const f of runnable) {
    for (const memory of [128, 1024, 10240]) {
      const inst = expandRuntime(f, { memory, commonEnv: catalogue.commonEnv })
      const before = inst.argv.slice(1, inst.entryIndex < 0 ? undefined : inst.entryIndex)
      const family = f.family as Family
      for (const [i, a] of before.entries()) {
        // A value (the argument after a value option) and an option with "=", ":" or a blank need no lookup.
        if (!a.startsWith('-') || /[=:\s]/.test(a) || (i > 0 && ARGV_RULES[family].valueOptions.includes(before[i - 1]!))) continue
        t.ok(LAMBDA_OPTIONS[family].includes(a), `${rid(f)} at ${memory} MB: ${a} is in LAMBDA_OPTIONS.${family}`)
      }
    }
  }
})

// The part's two walks, told apart from outside: copies of a layer's wrapgen folder whose parts are
// edited at one line each. A traced part marks its full walk (a file in the recorder's folder); a
// full-only part hands every command to the full walk after the interpreter (the first walk's
// interpreter check stays: java8 is still no java). The edits find their lines or fail the test.
const US = '\x1f'
let copies = 0
/** A copy of a layer's wrapgen folder; `edit` changes each family's part (undefined: left out). */
function copyWrapper(wrapperDir: string, edit: (text: string, file: string) => string | undefined): string {
  const copy = join(dir, 'copies', String(++copies))
  mkdirSync(copy, { recursive: true })
  for (const f of readdirSync(wrapperDir)) {
    if (!/^exec-\w+\.sh$/.test(f)) {
      copyFileSync(join(wrapperDir, f), join(copy, f))
      continue
    }
    const text = edit(readFileSync(join(wrapperDir, f), 'utf8'), f)
    if (text !== undefined) writeFileSync(join(copy, f), text)
  }
  chmodSync(join(copy, 'exec'), 0o755)
  return copy
}
/** `line` inserted before (or after) the one line of a part that `at` matches. */
function insertAt(text: string, file: string, at: RegExp, line: string, after = false): string {
  const all = text.split('\n')
  const hits = all.flatMap((l, i) => (at.test(l) ? [i] : []))
  if (hits.length !== 1) throw new Error(`${file}: ${hits.length} lines match ${at}; the test's edit needs exactly one`)
  all.splice(hits[0]! + (after ? 1 : 0), 0, line)
  return all.join('\n')
}
const FULL_WALK_START = /^wrapgen_k=\$\(\(wrapgen_c - \$#\)\) /
const FIRST_WALK_SEPARATOR = new RegExp(`^\\s*\\*${US}\\*\\) wrapgen_n=x; false ;;$`)
const trace = (text: string, file: string): string => insertAt(text, file, FULL_WALK_START, ': > "$WRAPGEN_TEST_RECORD/full-walk"')
const fullOnly = (text: string, file: string): string => insertAt(trace(text, file), file, FIRST_WALK_SEPARATOR, '  [!i]:*) wrapgen_n=x; false ;;', true)

/** The exec of the layer as built, traced, and full-only. */
function walkVariants(wrapperDir: string): { built: string; traced: string; full: string } {
  return { built: join(wrapperDir, 'exec'), traced: join(copyWrapper(wrapperDir, trace), 'exec'), full: join(copyWrapper(wrapperDir, fullOnly), 'exec') }
}

/** How two runs differ (exit, stdout, stderr, argv, environment, byte for byte), or ''. */
function runsDiffer(a: Ran, b: Ran): string {
  const show = (r: Ran): string => JSON.stringify([r.code, r.stdout, lines(r.stderr), r.argv, clean(r.env)])
  return show(a) === show(b) ? '' : `${show(a).slice(0, 600)}\n  vs\n${show(b).slice(0, 600)}`
}

const WALKS: WrapgenConfig = { name: 'walks', node: { flags: ['--enable-source-maps'] }, java: { flags: ['-Xss2m'] }, dotnet: { flags: ['--roll-forward', 'Major'] }, python: { flags: ['-X', 'utf8'] }, ruby: { flags: ['-W0'] } }

t.test("every catalogue command takes the first walk, and gets from it byte for byte what the full walk gives", async (t) => {
  const l = await layer(WALKS)
  const v = walkVariants(l.wrapperDir)
  let fast = 0
  for (const f of runnable) {
    // The smallest and largest memory sizes (the options that hold the size at their shortest and
    // longest), each under half the shells.
    for (const [i, memory] of [128, 10240].entries()) {
      const inst = expandRuntime(f, { memory, commonEnv: catalogue.commonEnv })
      const argv = [join(root, inst.argv[0]!), ...inst.argv.slice(1)]
      const env = { ...inst.env }
      const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir })
      for (const shell of SHELLS.filter((_, j) => j % 2 === i)) {
        const name = `${rid(f)} ${memory} MB ${shell.name}`
        // The traced copy is the built one plus a line in the full walk (the boundary test below checks
        // they run alike).
        const traced = run(shell, v.traced, argv, env)
        const full = run(shell, v.full, argv, env)
        t.ok(JSON.stringify(traced.argv) === JSON.stringify(sim.argv), `${name}: argv as simulated`)
        t.equal(runsDiffer(traced, full), '', `${name}: the first walk's result is the full walk's`)
        // A command with no entry (a .NET single-file executable) has no part: neither walk runs.
        if (f.entry !== null) {
          t.notOk(traced.fullWalk, `${name}: the first walk found the entry (no full walk)`)
          t.ok(full.fullWalk, `${name}: the full-only copy did take the full walk`)
          fast++
        }
      }
    }
  }
  t.ok(fast > 75, `${fast} runs on the first walk alone`)
})

t.test('the first walk hands over to the full walk: an unknown option, the separator byte, a long rest or command, no entry', async (t) => {
  const l = await layer({ ...WALKS, name: 'walks-boundary' })
  const v = walkVariants(l.wrapperDir)
  // A recorder in a folder whose name holds the separator.
  const usInterpreter = join(root, `x${US}y`, 'python3.12')
  mkdirSync(dirname(usInterpreter), { recursive: true })
  copyFileSync(join(FIXTURES, 'record.sh'), usInterpreter)
  chmodSync(usInterpreter, 0o755)
  const cases: Array<[string, RuntimeFixture, (argv: string[]) => string[]]> = [
    ['an option only the full table knows', fixture('nodejs20.x'), (a) => [a[0]!, '--title', 'x y', '-r', `./a${US}b.js`, ...a.slice(1)]],
    ['an unknown option after known ones', fixture('nodejs20.x'), (a) => [...a.slice(0, a.indexOf('/var/runtime/index.mjs')), '--zz-unknown', ...a.slice(a.indexOf('/var/runtime/index.mjs'))]],
    ['an empty value, then an unknown option', fixture('nodejs20.x'), (a) => [a[0]!, '--max-http-header-size', '', '--expose-gc', '--zz', '', ...a.slice(1)]],
    ['the separator in an option', fixture('java17'), (a) => [a[0]!, `-Da=${US}`, ...a.slice(1)]],
    ['the separator in a value', fixture('java17'), (a) => [a[0]!, '-cp', `x${US}y`, ...a.slice(1)]],
    ['the separator alone, before the entry', fixture('ruby3.3'), (a) => [a[0]!, US, ...a.slice(1)]],
    ['the separator in the interpreter', fixture('python3.12'), (a) => [usInterpreter, ...a.slice(1)]],
    ['a command of 4,000 bytes', fixture('nodejs20.x'), (a) => [a[0]!, `--max-old-space-size=${'9'.repeat(4_000)}`, ...a.slice(1)]],
    ['a rest of 4,000 bytes', fixture('java17'), (a) => [...a, ...Array.from({ length: 400 }, (_, i) => `rest-${i}`)]],
    ['a verb, then an unknown option', fixture('dotnet8', 'class-library'), (a) => [a[0]!, 'exec', '--fx-version', '8.0.0', ...a.slice(2)]],
    ['no entry', fixture('java17'), (a) => a.slice(0, a.indexOf('-classpath') + 1)],
    ['no entry: the interpreter alone', fixture('nodejs20.x'), (a) => a.slice(0, 1)],
    ['a thousand options before the entry', fixture('python3.12'), (a) => [a[0]!, ...Array.from({ length: 500 }, (_, i) => ['-W', `ignore::${i}`]).flat(), ...a.slice(1)]],
  ]
  for (const [what, f, make] of cases) {
    const { argv: base, env } = instance(f)
    const argv = make(base)
    const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir })
    for (const shell of SHELLS) {
      const name = `${what} (${rid(f)}) ${shell.name}`
      const r = run(shell, v.built, argv, env)
      t.equal(r.code, 0, `${name}: exit 0`)
      t.strictSame(lines(r.stderr), sim.stderr, `${name}: stderr as simulated`)
      t.ok(JSON.stringify(r.argv) === JSON.stringify(sim.argv), `${name}: argv as simulated`)
      t.strictSame(clean(r.env), clean(sim.env), `${name}: environment as simulated`)
      const traced = run(shell, v.traced, argv, env)
      t.ok(traced.fullWalk, `${name}: handed over to the full walk`)
      t.equal(runsDiffer(r, traced), '', `${name}: the traced copy runs as built`)
      t.equal(runsDiffer(r, run(shell, v.full, argv, env)), '', `${name}: byte for byte what the full walk alone gives`)
    }
  }
})

t.test('property: arguments before the entry, split off and joined again at the separator, arrive byte for byte on either walk (every shell)', async (t) => {
  const l = await layer({ ...WALKS, name: 'walks-property' })
  const v = walkVariants(l.wrapperDir)
  const targets = [fixture('nodejs20.x'), fixture('java17'), fixture('dotnet8', 'class-library'), fixture('python3.12'), fixture('ruby3.3')]
  const words = [...new Set((Object.keys(ARGV_RULES) as Family[]).flatMap((fam) => [...LAMBDA_OPTIONS[fam], ...ARGV_RULES[fam].valueOptions, ...ARGV_RULES[fam].entryOptions, ...ARGV_RULES[fam].verbs]))]
  const withUs = fc.tuple(shellText, shellText).map(([a, b]) => `${a}${US}${b}`)
  const arg = fc.oneof(
    { arbitrary: fc.constantFrom(...words), weight: 4 },
    { arbitrary: shellText.map((s) => `-${s}`), weight: 2 },
    { arbitrary: shellText, weight: 2 },
    { arbitrary: fc.oneof(withUs, fc.constantFrom('', US, `${US}${US}`, `-x${US}`)), weight: 1 },
  )
  // Mostly the known options in Lambda's own order (first walk); sometimes anything (either walk).
  const before = fc.oneof({ arbitrary: fc.array(fc.constantFrom(...words.filter((w) => w.startsWith('-'))), { maxLength: 3 }), weight: 1 }, { arbitrary: fc.array(arg, { maxLength: 6 }), weight: 2 })
  const after = fc.array(fc.oneof(shellText, withUs), { maxLength: 5 })
  let fast = 0
  let full = 0
  fc.assert(
    fc.property(fc.constantFrom(...targets), fc.boolean(), before, after, fc.boolean(), (f, front, extra, rest, long) => {
      const { argv: base, env } = instance(f)
      // The extra arguments right after the interpreter, or just before the entry.
      const at = front || f.entry === null ? 1 : base.indexOf(f.entry)
      const argv = [...base.slice(0, at), ...extra, ...base.slice(at), ...rest, ...(long ? ['y'.repeat(3_990)] : [])]
      const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir })
      for (const shell of SHELLS) {
        const where = `${shell.name} ${rid(f)} ${JSON.stringify(argv.slice(1, 12))}`
        // The traced copy: the built one plus a line in the full walk (the boundary test checks they run alike).
        const r = run(shell, v.traced, argv, env)
        if (r.code !== 0 || r.stdout !== '') throw new Error(`${where}: exit ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`)
        if (JSON.stringify(r.argv) !== JSON.stringify(sim.argv)) throw new Error(`${where}: argv ${JSON.stringify(r.argv)}, simulated ${JSON.stringify(sim.argv)}`)
        if (JSON.stringify(clean(r.env)) !== JSON.stringify(clean(sim.env))) throw new Error(`${where}: environment ${JSON.stringify(clean(r.env))}, simulated ${JSON.stringify(clean(sim.env))}`)
        const d = runsDiffer(r, run(shell, v.full, argv, env))
        if (d) throw new Error(`${where}: the full walk alone gives otherwise:\n${d}`)
        if (r.fullWalk) full++
        else fast++
      }
    }),
    { numRuns: 40 },
  )
  t.ok(fast >= 8 && full >= 8, `both walks taken: ${fast} runs on the first walk, ${full} handed over`)
})

t.test("each family's command sources its own part and no other; the kill switch and a marked command source none", async (t) => {
  const poison = (file: string): string => `echo "wrapgen-test: ${file} was sourced" >&2\nexit 97\n`
  const cases: Array<[Family, RuntimeFixture]> = [['node', fixture('nodejs20.x')], ['python', fixture('python3.12')], ['java', fixture('java17')], ['dotnet', fixture('dotnet8', 'class-library')], ['ruby', fixture('ruby3.3')]]
  const links = join(dir, 'only-links')
  mkdirSync(links, { recursive: true })
  for (const [family, f] of cases) {
    const own = `exec-${family}.sh`
    const onlyOwn = copyWrapper(main.wrapperDir, (text, file) => (file === own ? text : poison(file)))
    const ownPoisoned = copyWrapper(main.wrapperDir, (text, file) => (file === own ? poison(file) : text))
    const link = join(links, family)
    symlinkSync(join(onlyOwn, 'exec'), link)
    const { argv, env } = instance(f)
    for (const shell of SHELLS) {
      const name = `${rid(f)} ${shell.name}`
      const sim = simulate(main.plan, { argv, env, wrapperDir: onlyOwn })
      for (const [how, exec] of [['direct', join(onlyOwn, 'exec')], ['through a symlink', link]] as const) {
        const r = run(shell, exec, argv, env)
        t.equal(r.code, 0, `${name} ${how}: every other part poisoned, exit 0 (${lines(r.stderr).join(' | ')})`)
        t.same(lines(r.stderr), [], `${name} ${how}: nothing on stderr`)
        t.strictSame(r.argv, sim.argv, `${name} ${how}: the command ${own} makes`)
        t.strictSame(clean(r.env), clean(sim.env), `${name} ${how}: the environment ${own} makes`)
      }
      const p = run(shell, join(ownPoisoned, 'exec'), argv, env)
      t.equal(p.code, 97, `${name}: with ${own} poisoned the run stops there (it is the part sourced)`)
      t.strictSame(lines(p.stderr), [`wrapgen-test: ${own} was sourced`], `${name}: and only it`)
    }
  }
  // Every part poisoned: commands no part is for, the kill switch, a command this wrapper already edited.
  const none = copyWrapper(main.wrapperDir, (_, file) => poison(file))
  const java8 = join(root, 'var/lang/bin/java8')
  copyFileSync(join(FIXTURES, 'record.sh'), java8)
  chmodSync(java8, 0o755)
  const plain = instance(fixture('java17'))
  const runs: Array<[string, string[], Record<string, string>, 'untouched' | 'simulated']> = [
    ['WRAPGEN_DISABLE=1 (node)', instance(fixture('nodejs20.x')).argv, { ...instance(fixture('nodejs20.x')).env, WRAPGEN_DISABLE: '1' }, 'untouched'],
    ['WRAPGEN_DISABLE=1 (java)', plain.argv, { ...plain.env, WRAPGEN_DISABLE: '1' }, 'untouched'],
    ['already marked by this wrapper', plain.argv, { ...plain.env, WRAPGEN_APPLIED: main.plan.id }, 'untouched'],
    ['a .NET single-file executable', instance(fixture('dotnet8', 'single-file')).argv, instance(fixture('dotnet8', 'single-file')).env, 'simulated'],
  ]
  for (const [what, argv, env, want] of runs) {
    const sim = simulate(main.plan, { argv, env, wrapperDir: none })
    for (const shell of SHELLS) {
      const r = run(shell, join(none, 'exec'), argv, env)
      const name = `${what} ${shell.name}`
      t.equal(r.code, 0, `${name}: no part sourced, exit 0 (${lines(r.stderr).join(' | ')})`)
      t.same(lines(r.stderr), [], `${name}: nothing on stderr`)
      t.strictSame(r.argv, want === 'untouched' ? argv : sim.argv, `${name}: argv ${want}`)
      t.strictSame(clean(r.env), clean(want === 'untouched' ? env : sim.env), `${name}: environment ${want}`)
    }
  }
  // java8 sources java's part (its name up to the first digit), which returns before doing anything.
  const onlyJava = copyWrapper(main.wrapperDir, (text, file) => (file === 'exec-java.sh' ? text : poison(file)))
  const argv = [java8, '-cp', 'x', 'Main']
  const env = { PATH: '/usr/bin:/bin', AWS_EXECUTION_ENV: 'AWS_Lambda_java8' }
  const sim = simulate(main.plan, { argv, env, wrapperDir: onlyJava })
  for (const shell of SHELLS) {
    const r = run(shell, join(onlyJava, 'exec'), argv, env)
    t.equal(r.code, 0, `java8 ${shell.name}: exit 0`)
    t.same(lines(r.stderr), [], `java8 ${shell.name}: nothing on stderr`)
    t.strictSame(r.argv, sim.argv, `java8 ${shell.name}: no flags (not java's)`)
  }
})

t.test("a part missing from the layer takes the failMode path, for every family; java's part does not take java8", async (t) => {
  const cases: Array<[Family, RuntimeFixture]> = [['node', fixture('nodejs20.x')], ['python', fixture('python3.12')], ['java', fixture('java17')], ['dotnet', fixture('dotnet8', 'class-library')], ['ruby', fixture('ruby3.3')]]
  for (const failMode of ['open', 'closed'] as const) {
    const l = await layer({ ...MAIN, name: `part-${failMode}`, failMode })
    for (const [family, f] of cases) {
      const own = `exec-${family}.sh`
      const without = copyWrapper(l.wrapperDir, (text, file) => (file === own ? undefined : text))
      const link = join(dir, `part-link-${failMode}-${family}`)
      symlinkSync(join(without, 'exec'), link)
      const { argv, env } = instance(f)
      for (const shell of SHELLS) {
        for (const [how, exec] of [['', join(without, 'exec')], [' through a symlink', link]] as const) {
          const r = run(shell, exec, argv, env)
          const name = `${family} ${failMode} ${shell.name}${how}`
          t.equal(r.stdout, '', `${name}: nothing on stdout`)
          if (failMode === 'open') {
            t.strictSame(lines(r.stderr), [`wrapgen: ${without}/${own} is missing; running the function without wrapgen (failMode "open")`], `${name}: one line`)
            t.equal(r.code, 0, `${name}: the function starts`)
            t.strictSame(r.argv, argv, `${name}: the command as it came`)
            t.strictSame(clean(r.env), clean(env), `${name}: the environment as it came`)
          } else {
            t.strictSame(lines(r.stderr), [`wrapgen: ${without}/${own} is missing and failMode is "closed"; not starting the function`], `${name}: one line`)
            t.equal(r.code, 1, `${name}: exit 1`)
            t.equal(r.argv, undefined, `${name}: the interpreter never ran`)
          }
        }
      }
    }
  }
  // java8 and dotnet6 are not java or dotnet (their parts are named by the name up to its first digit).
  const l = await layer({ name: 'not-java', java: { flags: ['-Xss2m'] }, dotnet: { env: { set: { ACME_DOTNET: '1' } } }, env: { set: { ACME: '1' } } })
  for (const name of ['java8', 'dotnet6']) {
    const interpreter = join(root, 'var/lang/bin', name)
    copyFileSync(join(FIXTURES, 'record.sh'), interpreter)
    chmodSync(interpreter, 0o755)
    const argv = [interpreter, '-cp', 'x', 'Main']
    const env = { PATH: '/usr/bin:/bin', AWS_EXECUTION_ENV: 'AWS_Lambda_java17' }
    const sim = simulate(l.plan, { argv, env, wrapperDir: l.wrapperDir })
    t.equal(sim.branch, 'other', `${name}: the simulator does not know it`)
    for (const shell of SHELLS) {
      const r = run(shell, l.exec, argv, env)
      t.strictSame(r.argv, sim.argv, `${name} ${shell.name}: argv as simulated (no flags)`)
      t.strictSame(clean(r.env), clean(sim.env), `${name} ${shell.name}: environment as simulated (the top-level edits, unmarked)`)
    }
  }
})
