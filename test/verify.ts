// `wrapgen verify` end to end, with real processes: broken third-party wrappers fail the precise check
// with a precise detail, peer-style wrappers and the example configs pass across the catalogue, the
// exec-bit and failMode contracts hold byte for byte, and the reporters and the CLI say so.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Parser } from 'tap-parser'
import { buildLayer } from '../src/build.js'
import { main } from '../src/cli/main.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { UserError } from '../src/errors.js'
import { writeLayer } from '../src/layer/write.js'
import { loadCatalogue } from '../src/runtimes/catalogue.js'
import { expandRuntime } from '../src/runtimes/expand.js'
import { makeLayout } from '../src/verify/layout.js'
import { observeWithin } from '../src/verify/observe.js'
import { renderJunit, renderTable, renderTap, verdict } from '../src/verify/report.js'
import { verify } from '../src/api-verify.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { launch } from '../src/verify/launch.js'
import { findShells, linkShell } from '../src/verify/shells.js'
import { passed, type CheckName, type VerifyReport } from '../src/verify/types.js'
import { scaled } from '../src/limits/time-limit.js'

// The whole catalogue twice, sandboxed: minutes, not seconds, when the shared machine is busy.
t.setTimeout(scaled(600_000))

const repo = fileURLToPath(new URL('..', import.meta.url))
const wrapperFile = (name: string): string => join(repo, 'test/fixtures/wrappers', name)
const example = (name: string): string => join(repo, 'examples', name)

const dir = t.testdir({
  'package.json': JSON.stringify({ name: 'verify-fixture', private: true, type: 'commonjs' }),
  hooks: { 'noop.cjs': 'module.exports = () => {}\n' },
})

const catalogue = loadCatalogue()
const runnable = catalogue.runtimes.filter((f) => f.family !== 'none')
const rid = (f: (typeof runnable)[number]): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)
const installedShells = findShells().found.map((s) => s.name)
const sandboxed = sandboxAvailable()

/** One memory size, dash, no real interpreters: the quick shape most tests use. */
const FAST = { memories: [1024], shells: ['dash'], standInOnly: true } as const

const failures = (r: VerifyReport, runtime?: string) => r.results.filter((x) => x.status === 'fail' && (runtime === undefined || x.runtime === runtime))
const failedChecks = (r: VerifyReport, runtime: string): CheckName[] => [...new Set(failures(r, runtime).map((x) => x.check))].sort()
const show = (r: VerifyReport): string => failures(r).slice(0, 5).map((x) => `${x.runtime} ${x.memory} ${x.shell} ${x.check}: ${x.detail}`).join('\n')

// The whole catalogue for both examples is the slow part: started now, awaited by its test below.
const examplesStarted = performance.now()
const examples = Promise.all(
  ['basic', 'service'].map(async (name) => {
    const config = await openConfig({ cwd: example(name) })
    const report = await verify({ config, runtime: '*', memories: [128, 1024, 10240], standInOnly: true })
    return { name, report, ms: Math.round(performance.now() - examplesStarted) }
  }),
)
examples.catch(() => {})

interface Broken {
  readonly file: string
  readonly runtime: string
  /** Per runtime: the checks that must fail (every other check passes or is skipped), with detail substrings. */
  readonly expect: Record<string, Partial<Record<CheckName, readonly string[]>>>
  readonly skip?: string | false
}

const BROKEN: readonly Broken[] = [
  {
    file: 'before-last.sh',
    runtime: 'nodejs20.x,python3.12,java17,dotnet8:class-library',
    expect: {
      java17: { argv: ['added "-XX:+Flag" after the entry com.amazonaws.services.lambda.runtime.api.client.AWSLambda', 'it is a program argument there, not an interpreter flag'] },
      'dotnet8:class-library': { argv: ['added "--flag" after the entry /var/runtime/Amazon.Lambda.RuntimeSupport.dll', 'it is a program argument there, not an interpreter flag'] },
      // Right where the entry is last: the runtime passes nothing after it. The adversarial arguments
      // (which it never passes) judge quoting, not where an option lands (issue 18: AWS's sample).
      'nodejs20.x': {},
      'python3.12': {},
    },
  },
  {
    file: 'loses-quoting.sh',
    runtime: 'nodejs20.x,python3.12,java17',
    expect: {
      'nodejs20.x': { adversarial: ['argument "two words" was re-split into "two", "words"', 'unquoted'] },
      'python3.12': { adversarial: ['argument "two words" was re-split'] },
      java17: { adversarial: ['argument "two words" was re-split'] },
    },
  },
  {
    file: 'forks.sh',
    runtime: 'nodejs20.x,java17',
    expect: {
      'nodejs20.x': { exec: ['differs from the wrapper', 'the wrapper forked instead of exec'], signals: ["SIGTERM sent to the wrapper's pid", 'did not reach the interpreter', 'the wrapper forked'] },
      java17: { exec: ['the wrapper forked instead of exec'], signals: ['did not reach the interpreter'] },
    },
  },
  {
    file: 'prints-stdout.sh',
    runtime: 'nodejs20.x,dotnet8:single-file',
    expect: {
      'nodejs20.x': { stdio: ['stdout carried "acme-extension 1.4.2: instrumentation enabled\\n" besides the interpreter\'s own output'] },
      'dotnet8:single-file': { stdio: ['stdout carried "acme-extension 1.4.2: instrumentation enabled\\n"'] },
    },
  },
  {
    file: 'writes-opt.sh',
    runtime: 'nodejs20.x,python3.12',
    skip: sandboxed ? false : 'bubblewrap is not usable here: only the sandbox makes /opt read-only',
    expect: {
      'nodejs20.x': { stdio: ['the wrapper wrote outside /tmp (read-only on Lambda): /opt/state'] },
      'python3.12': { stdio: ['the wrapper wrote outside /tmp', '/opt/state'] },
    },
  },
  {
    file: 'ignores-argv.sh',
    runtime: 'nodejs20.x,python3.12',
    expect: {
      // It runs the function's own program: a deliberate change (--allow replace-runtime), not accepted here.
      'nodejs20.x': { argv: ['replaces the runtime\'s program: node would start "/var/task/run.sh" instead of /var/runtime/index.mjs', '--allow replace-runtime'], adversarial: ['replaces the runtime'] },
      'python3.12': { argv: ['python would start "/var/task/run.sh" instead of /var/runtime/bootstrap.py'], adversarial: ['replaces the runtime'] },
    },
  },
  {
    file: 'swaps-entry.sh',
    runtime: 'nodejs20.x,python3.12',
    expect: {
      'nodejs20.x': { argv: ['the interpreter would now start "/var/task/other.js" instead of /var/runtime/index.mjs'], adversarial: ['instead of /var/runtime/index.mjs'] },
      'python3.12': { argv: ['the interpreter would now start "/var/task/other.js" instead of /var/runtime/bootstrap.py'], adversarial: ['instead of'] },
    },
  },
  {
    file: 'steals-option.sh',
    runtime: 'nodejs20.x',
    expect: {
      'nodejs20.x': { argv: ['the runtime\'s option "--expose-gc" is no longer read as such: it is now the value of --max-http-header-size'], adversarial: ['is no longer read as such'] },
    },
  },
  {
    file: 'drops-runtime-api.sh',
    runtime: 'nodejs20.x',
    expect: {
      'nodejs20.x': { env: ['changed or removed what Lambda sets for the runtime: AWS_LAMBDA_RUNTIME_API=null'], exec: ['the interpreter started in /tmp, not /var/task'] },
    },
  },
  {
    file: 'leaves-background.sh',
    runtime: 'nodejs20.x',
    expect: {
      'nodejs20.x': { exec: ['the wrapper left a process running in the background'] },
    },
  },
]

const reports = new Map<string, VerifyReport>()

t.test('broken third-party wrappers fail the precise check', async (t) => {
  const runs = await Promise.all(BROKEN.filter((b) => !b.skip).map(async (b) => ({ b, r: await verify({ wrapperFile: wrapperFile(b.file), runtime: b.runtime, mode: 'auto', ...FAST }) })))
  for (const b of BROKEN.filter((b) => b.skip)) t.test(b.file, { skip: String(b.skip) }, async () => {})
  for (const { b, r } of runs) {
    reports.set(b.file, r)
    t.test(b.file, async (t) => {
      t.match(r.target, `wrapper ${wrapperFile(b.file)}`)
      t.equal(passed(r), false, 'the verdict is FAIL')
      for (const [runtime, checks] of Object.entries(b.expect)) {
        t.strictSame(failedChecks(r, runtime), Object.keys(checks).sort(), `${runtime}: exactly ${Object.keys(checks).join(', ') || 'no check'} failed`)
        for (const [check, parts] of Object.entries(checks)) {
          const row = failures(r, runtime).find((x) => x.check === check)
          for (const part of parts ?? []) t.ok(row?.detail.includes(part), `${runtime} ${check}: detail has ${JSON.stringify(part)}`, { detail: row?.detail })
        }
      }
    })
  }
})

t.test('peer-style wrappers pass the generic contract (inserting after argv[0] fails on dotnet exec)', async (t) => {
  const [otel, after] = await Promise.all(['otel-style.sh', 'inserts-after-argv0.sh'].map((file) => verify({ wrapperFile: wrapperFile(file), runtime: '*', ...FAST })))
  for (const [file, r] of [['otel-style.sh', otel!], ['inserts-after-argv0.sh', after!]] as const) {
    // Right after argv[0] is before `exec` in `dotnet exec ...`, where a host option does not belong
    // (lambda-runtimes.md: host options follow exec): that style is right for every runtime but .NET.
    const expected = file === 'otel-style.sh' ? [] : ['dotnet10:class-library', 'dotnet10:executable-assembly', 'dotnet6:class-library', 'dotnet6:executable-assembly', 'dotnet8:class-library', 'dotnet8:executable-assembly'].flatMap((rt) => [`${rt} adversarial`, `${rt} argv`])
    t.strictSame([...new Set(failures(r).map((x) => `${x.runtime} ${x.check}`))].sort(), expected, `${file}: failures`, { detail: show(r) })
    t.strictSame(r.shells, ['exec', 'dash'], `${file}: exec'd (its #! line), and the /bin/sh portability run under dash`)
    for (const f of failures(r)) t.match(f.detail, 'the interpreter would now start "exec"', `${file}: ${f.runtime} says why`)
    t.strictSame([...new Set(r.results.map((x) => x.runtime))].sort(), runnable.map(rid).sort(), `${file}: every runtime that runs wrappers was checked`)
    for (const check of ['argv', 'exec', 'exit-codes', 'signals', 'stdio', 'adversarial', 'exec-bit'] as const)
      t.ok(r.results.some((x) => x.check === check && x.status === 'pass'), `${file}: ${check} ran and passed`)
    t.ok(r.results.filter((x) => x.check === 'env').every((x) => x.status === 'pass'), `${file}: env keeps what Lambda sets (its own edits are its business)`)
  }
})

t.test('every installed shell, one runtime', async (t) => {
  const [forks, otel] = await Promise.all(['forks.sh', 'otel-style.sh'].map((f) => verify({ wrapperFile: wrapperFile(f), runtime: 'nodejs20.x', memories: [1024], standInOnly: true })))
  t.strictSame(forks!.shells, ['exec', ...installedShells], `exec'd, then every shell as /bin/sh: ${installedShells.join(', ')}`)
  for (const shell of installedShells) {
    t.ok(forks!.results.some((x) => x.shell === shell && x.check === 'exec' && x.status === 'fail'), `forks.sh fails exec under ${shell}`)
    t.ok(otel!.results.filter((x) => x.shell === shell).every((x) => x.status !== 'fail'), `otel-style.sh passes under ${shell}`)
  }
})

t.test('examples/basic and examples/service pass across the whole catalogue', async (t) => {
  const done = await examples
  for (const { name, report: r, ms } of done) {
    t.comment(`examples/${name}: ${r.results.length} checks, verify took ${(r.ms / 1000).toFixed(1)} s (wall ${(ms / 1000).toFixed(1)} s since the start of this file)`)
    t.equal(failures(r).length, 0, `examples/${name}: zero failures`, { detail: show(r) })
    t.equal(r.mode, sandboxed ? 'sandboxed' : 'path-mapped', `examples/${name}: mode`)
    t.strictSame(r.memories, [128, 1024, 10240], `examples/${name}: three memory sizes`)
    t.strictSame(r.shells, installedShells, `examples/${name}: every installed shell`)
    t.strictSame([...new Set(r.results.map((x) => x.runtime))].sort(), runnable.map(rid).sort(), `examples/${name}: every runtime that runs wrappers`)
    t.ok(r.results.some((x) => x.check === 'idempotence' && x.status === 'pass'), `examples/${name}: idempotence checked`)
    t.ok(r.results.some((x) => x.check === 'disable' && x.status === 'pass'), `examples/${name}: WRAPGEN_DISABLE checked`)
    t.ok(r.results.some((x) => x.check === 'fail-mode' && x.status === 'pass'), `examples/${name}: failMode checked (node needs the preload)`)
    // OS-only runtimes are explained, never checked.
    for (const id of ['provided.al2', 'provided.al2023']) {
      t.ok(r.notes.some((n) => n.runtime === id && n.note.includes('never reads AWS_LAMBDA_EXEC_WRAPPER')), `examples/${name}: ${id} is in the notes`)
      t.notOk(r.results.some((x) => x.runtime === id), `examples/${name}: ${id} has no results`)
    }
  }
})

t.test('path-mapped mode passes for examples/service', async (t) => {
  const config = await openConfig({ cwd: example('service') })
  const r = await verify({ config, runtime: '*', mode: 'path-mapped', ...FAST })
  t.equal(r.mode, 'path-mapped')
  t.equal(failures(r).length, 0, 'zero failures', { detail: show(r) })
  t.ok(r.results.filter((x) => x.check === 'idempotence').every((x) => x.status === 'pass'), 'idempotence passes path-mapped too')
})

t.test('without bubblewrap: the warning on stderr, and what was not checked in the summary line', async (t) => {
  // A PATH with every program of this one but bwrap: what a machine without bubblewrap offers.
  const bin = join(dir, 'no-bwrap-bin')
  mkdirSync(bin)
  for (const d of (process.env.PATH ?? '').split(':').filter(Boolean).reverse()) {
    let names: string[] = []
    try {
      names = readdirSync(d)
    } catch {
      continue
    }
    for (const name of names) if (name !== 'bwrap') rmSync(join(bin, name), { force: true }), symlinkSync(join(d, name), join(bin, name))
  }
  const r = spawnSync(process.execPath, [join(repo, 'dist/src/bin.js'), 'verify', '--runtime', 'nodejs20.x', '--memory', '1024', '--shell', 'dash'], { cwd: example('service'), encoding: 'utf8', env: { ...process.env, PATH: bin }, timeout: scaled(120_000) })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stderr, /^wrapgen: warning: real interpreters not checked: they run only in the sandbox \(bubblewrap\), which is not installed or cannot make namespaces here: install bubblewrap \(bwrap\) to run them$/m, 'the warning on stderr (before: one line among the table on stdout)')
  t.ok(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('wrapgen: warning: ')), 'stderr holds warnings only')
  t.notMatch(r.stdout, /^warning:/m, 'stdout holds the report only')
  t.match(r.stdout, /\nPASS: layer orders-startup .*, path-mapped; \d+ checks passed, 0 failed, 0 skipped in [\d.]+ s; not checked: real interpreters \(no bubblewrap\); \d+ warnings? on stderr\n$/, 'the summary line says what was not checked')
})

t.test('a config with .NET flags passes idempotence (the env-only fallback does not mark the command)', async (t) => {
  const config = await openConfig({ cwd: dir, config: { name: 'dotnet-flags', dotnet: { flags: ['--roll-forward', 'Major'] } } })
  const r = await verify({ config, runtime: 'dotnet8:*', ...FAST })
  t.equal(failures(r).length, 0, 'zero failures', { detail: show(r) })
  t.equal(r.results.filter((x) => x.check === 'idempotence' && x.status === 'pass').length, 3, 'idempotence passes on all three dotnet8 modes')
})

t.test('--layer: a built layer is checked against the config it came from', async (t) => {
  const a = await openConfig({ cwd: dir, config: { name: 'layer-a', node: { flags: ['--enable-source-maps'] } } })
  const b = await openConfig({ cwd: dir, config: { name: 'layer-a', node: { flags: ['--enable-source-maps', '--no-deprecation'] } } })
  const out = join(dir, 'built-a')
  writeLayer(await buildLayer(a), out)
  const ok = await verify({ config: a, layerDir: out, runtime: 'nodejs20.x', ...FAST })
  t.equal(failures(ok).length, 0, 'the matching config passes', { detail: show(ok) })
  t.match(ok.target, /^layer .*built-a \(layer-a@[0-9a-f]{12}\)$/)
  await t.rejects(verify({ config: b, layerDir: out, runtime: 'nodejs20.x', ...FAST }), UserError, 'a mismatching config is a UserError')
  await t.rejects(verify({ config: b, layerDir: out, runtime: 'nodejs20.x', ...FAST }), { message: /built-a: built from a different config \(layer-a@[0-9a-f]{12}, the config is layer-a@[0-9a-f]{12}\); rebuild it or pass the config it came from/ })
  await t.rejects(verify({ config: a, layerDir: join(dir, 'hooks'), ...FAST }), { name: 'UserError', message: /no wrapgen\/manifest\.json here/ })
  await t.rejects(verify({ wrapperFile: join(dir, 'no-such-wrapper.sh'), ...FAST }), { name: 'UserError', message: /no such wrapper file/ })
  await t.rejects(verify({ config: a, extraLayers: [join(dir, 'no-such-layer')], ...FAST }), { name: 'UserError', message: /--with-layer .*no-such-layer: no such folder/ })
})

t.test('exec bit: exit 126 and the exact stdout line, as on Lambda', async (t) => {
  const bootstrap = join(repo, 'src/sandbox/bootstrap.sh')
  mkdirSync(join(dir, 'noexec'), { recursive: true })
  const noExec = join(dir, 'noexec/otel-style.sh')
  copyFileSync(wrapperFile('otel-style.sh'), noExec)
  chmodSync(noExec, 0o644)
  const stdio = ['pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'] as const
  const run = (wrapper: string) => spawnSync(bootstrap, ['-', '/bin/true'], { env: { PATH: '/usr/bin:/bin', AWS_LAMBDA_EXEC_WRAPPER: wrapper }, stdio: [...stdio], encoding: 'utf8' })
  const r = run(noExec)
  t.equal(r.status, 126, 'exit 126')
  t.equal(r.stdout, `${noExec}: is not an executable\n`, 'the exact stdout line')
  t.equal(r.stderr, '', 'nothing on stderr')
  const gone = run(join(dir, 'noexec/missing.sh'))
  t.equal(gone.status, 127, 'a missing wrapper: exit 127')
  t.equal(gone.stdout, `${join(dir, 'noexec/missing.sh')}: does not exist\n`, 'a missing wrapper: the exact stdout line')

  // The harness's own check, and a wrapper handed to verify without its exec bit.
  const r2 = await verify({ wrapperFile: noExec, runtime: 'nodejs20.x', ...FAST })
  t.ok(r2.results.some((x) => x.check === 'exec-bit' && x.status === 'pass'), 'exec-bit row passes (126 and the line, as the bootstrap prints it)')
  t.match(failures(r2, 'nodejs20.x').find((x) => x.check === 'argv' && x.shell === 'exec')?.detail, /^the interpreter never ran \(exit 126\)/, 'a wrapper shipped without its exec bit: the interpreter never runs (exit 126)')
})

t.test('failMode closed: the function does not start, with the message', async (t) => {
  const closed: WrapgenConfig = { name: 'closed-mode', failMode: 'closed', node: { flags: ['--enable-source-maps'], preloads: ['./hooks/noop.cjs'] } }
  const config = await openConfig({ cwd: dir, config: closed })
  const r = await verify({ config, runtime: 'nodejs20.x,python3.12', ...FAST })
  t.equal(failures(r).length, 0, 'the layer passes, fail-mode included', { detail: show(r) })
  t.equal(r.results.find((x) => x.runtime === 'nodejs20.x' && x.check === 'fail-mode')?.status, 'pass', 'node: fail-mode checked and passed')
  t.match(r.results.find((x) => x.runtime === 'python3.12' && x.check === 'fail-mode'), { status: 'skip', detail: 'python needs no files beside the wrapper' })

  // By hand: the layer without its preload, run the way the node runtime runs it.
  const { layerDir } = writeLayer(await buildLayer(config), join(dir, 'built-closed'))
  const node = runnable.find((f) => f.id === 'nodejs20.x')!
  const layout = makeLayout({ layerDir, fixtures: [node], missing: ['wrapgen/preload.cjs'], wrapper: 'wrapgen/exec' })
  try {
    const dash = findShells().found.find((s) => s.name === 'dash')!
    const inst = expandRuntime(node, { memory: 1024, commonEnv: catalogue.commonEnv })
    const l = launch(sandboxed ? 'sandboxed' : 'path-mapped', layout, layout.opts.get('missing')!, layout.lang(node), linkShell(layout.root, dash), inst.argv)
    const wrapper = l.path('/opt/wrapgen/exec')
    const o = await observeWithin({ launch: l, boundary: layout.boundary, env: { ...inst.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper }, action: { exit: 0 } })
    t.equal(o.ran, false, 'the interpreter never ran')
    t.equal(o.code, 1, 'exit 1')
    t.equal(o.stdout, '', 'nothing on stdout')
    t.equal(o.stderr, `wrapgen: ${wrapper.slice(0, -'/exec'.length)}/preload.cjs is missing and failMode is "closed"; not starting the function\n`, 'the exact stderr line')
  } finally {
    layout.remove()
  }
})

/** A small XML well-formedness check: one root, tags nested and closed, attributes quoted, entities valid. */
function xmlProblem(xml: string): string | undefined {
  const token = /<\?xml[^?]*\?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|[^<]+/y
  const badEntity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/
  const stack: string[] = []
  let roots = 0
  let pos = 0
  while (pos < xml.length) {
    token.lastIndex = pos
    const m = token.exec(xml)
    if (!m) return `cannot read at ${pos}: ${JSON.stringify(xml.slice(pos, pos + 40))}`
    pos = token.lastIndex
    const [text, close, name, attrs, selfClose] = m
    if (name === undefined) {
      if (text.startsWith('<?')) continue
      if (!stack.length && text.trim()) return `text outside the root: ${JSON.stringify(text.slice(0, 40))}`
      if (badEntity.test(text)) return `bare & in text: ${JSON.stringify(text.slice(0, 40))}`
      continue
    }
    if (badEntity.test(attrs ?? '')) return `bare & in the attributes of <${name}>`
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`
      continue
    }
    if (!stack.length) roots++
    if (!selfClose) stack.push(name)
  }
  if (stack.length) return `<${stack[stack.length - 1]}> is never closed`
  return roots === 1 ? undefined : `${roots} root elements`
}

t.test('reporters: table verdict, valid TAP, well-formed JUnit', async (t) => {
  const failing = reports.get('forks.sh') ?? (await verify({ wrapperFile: wrapperFile('forks.sh'), runtime: 'nodejs20.x,java17', ...FAST }))
  const passing = (await examples)[1]!.report
  for (const [name, r] of [['failing', failing], ['passing', passing]] as const) {
    const table = renderTable(r)
    t.ok(table.endsWith(`\n${verdict(r)}\n`), `${name}: the table ends with the verdict line`)
    t.match(verdict(r), passed(r) ? /^PASS: / : /^FAIL: /, `${name}: verdict`)
    if (!passed(r)) t.match(table, /failures \(\d+ checks, \d+ causes\):\n {2}[a-z-, ]+: .+\n {4}on \S+.*; memory 1024 MB; /, `${name}: the table lists the failures by cause`)
    if (r.notes.length) t.match(table, /not checked: provided\.al2, provided\.al2023: OS-only runtime/, `${name}: provided.al2 shown as a note`)

    const tap = renderTap(r)
    const parsed = await new Promise<Parser['results']>((resolve) => {
      const p = new Parser((results) => resolve(results))
      p.end(tap)
    })
    const count = (s: string): number => r.results.filter((x) => x.status === s).length
    t.equal(parsed?.count, r.results.length, `${name}: TAP has one test per result`)
    t.equal(parsed?.plan.end, r.results.length, `${name}: TAP plan matches`)
    t.equal(parsed?.fail, count('fail'), `${name}: TAP failures`)
    t.equal(parsed?.skip, count('skip'), `${name}: TAP skips`)
    t.equal(parsed?.ok, passed(r), `${name}: TAP ok is the verdict`)
    t.strictSame(parsed?.failures.filter((f) => f.tapError), [], `${name}: no TAP parse errors`)

    const junit = renderJunit(r)
    t.equal(xmlProblem(junit), undefined, `${name}: JUnit is well-formed`)
    t.equal(junit.match(/<testcase /g)?.length, r.results.length, `${name}: one <testcase per result`)
    t.equal(junit.match(/<failure /g)?.length ?? 0, count('fail'), `${name}: one <failure per failing result`)
    t.match(junit, new RegExp(`<testsuites name="wrapgen verify" tests="${r.results.length}" failures="${count('fail')}">`), `${name}: totals`)
  }
  t.equal(xmlProblem('<a><b></a></b>'), '</a> closes the wrong element', 'the XML check catches bad nesting')
  t.equal(xmlProblem('<a x="1 & 2"/>'), 'bare & in the attributes of <a>', 'the XML check catches bare ampersands')
})

t.test('CLI: wrapgen verify exits 0 on a good layer, 3 on a failing wrapper', async (t) => {
  const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = ''
    let err = ''
    const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), cwd: repo })
    return { code, out, err }
  }
  const good = await cli('verify', '--cwd', example('service'), '--runtime', 'nodejs20.x', '--memory', '1024', '--reporter', 'tap')
  t.equal(good.code, 0, 'exit 0', { detail: good.out + good.err })
  t.match(good.out, /^TAP version 14\n1\.\.\d+\n/, 'TAP on stdout')
  t.match(good.out, /\n# PASS: layer orders-startup built from .*wrapgen\.config\.ts: 1 runtime x 1 memory size/, 'the verdict as a TAP comment')
  t.notMatch(good.out, /^not ok/m, 'no failing test')

  const bad = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', '--runtime', 'nodejs20.x', '--memory', '1024', '--shell', 'dash', '--stand-in-only', '--reporter', 'tap')
  t.equal(bad.code, 3, 'exit 3: a check failed')
  t.match(bad.out, /^not ok \d+ - nodejs20\.x 1024MB exec exec\n {2}---\n {2}message: "the interpreter's pid \d+ differs from the wrapper's \d+: the wrapper forked instead of exec[^"]*"\n {2}\.\.\.$/m, 'the failing exec check (the wrapper exec\'d by its #! line) with its message')
  t.match(bad.out, /^not ok \d+ - nodejs20\.x 1024MB dash exec\n {2}---\n {2}message: "portability \(a #!\/bin\/sh wrapper where \/bin\/sh is dash\): .*forked instead of exec/m, 'the same under dash, reported as a portability run')
  t.match(bad.out, /\n# FAIL: wrapper .*forks\.sh at \/opt\/forks\.sh \(#!\/bin\/sh\): 1 runtime x /, 'FAIL verdict')

  const usage = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', '--reporter', 'xml')
  t.equal(usage.code, 2, 'an unknown reporter is a usage error')
  t.match(usage.err, /--reporter xml: use table, tap, junit or json/)
})
