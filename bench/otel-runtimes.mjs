// The real OpenTelemetry for Python and Java, started the vendor's own way and wrapgen's way, on AWS's
// real runtime clients (issue 20, item 4). From the process start to the handler ready (`wrapgen
// invoke`'s init: the bootstrap's spawn to the runtime client's first GET /next), in the sandbox,
// interleaved with the bare function in the same rounds: times as ratios to that baseline.
//
// python 3.12, awslambdaric (as `wrapgen invoke` finds it), PyPI's opentelemetry-distro with the
// instrumentations `opentelemetry-bootstrap -a requirements` lists for what is installed (requests,
// urllib3, urllib, logging, threading, ...), all in /opt/python as a layer ships them:
//   bare     no wrapper: the function imports requests; OpenTelemetry is importable, never started
//   vendor   an exec wrapper as OpenTelemetry's python Lambda layer has: PYTHONPATH=/opt/python, then
//            `python3 /opt/python/bin/opentelemetry-instrument <the runtime's argv>`, which puts its
//            sitecustomize.py on PYTHONPATH and re-execs the runtime's python (python starts twice)
//   wrapgen  a layer built by wrapgen with python.preloads = [a hook calling the same initialize()
//            that sitecustomize.py calls], through the generated wrapper and python runner (one python)
// Beside the times, valgrind's instruction counts of the same three chains up to the handler imported
// (bench/fixtures/otel-runtimes/python/init.py; no Runtime API to poll), which do not move with load.
//
// java17 on the JDK 17 here, AWS's aws-lambda-java-runtime-interface-client, Maven Central's
// io.opentelemetry.javaagent:opentelemetry-javaagent:
//   bare     no wrapper
//   vendor   OpenTelemetry's java Lambda layer's way: an exec wrapper that prepends
//            -javaagent:/opt/opentelemetry-javaagent.jar to JAVA_TOOL_OPTIONS
//   wrapgen  a layer with java.agents = [the same jar]: wrapgen's runner agent starts it (argv inject)
// No valgrind for the JVM (the agent's start takes seconds natively; under callgrind, far past this
// bench's time); the load-independent figures are the classes the JVM loaded and its CPU time, both
// read by the handler at its first invoke.
//
// Every run's handler reports whether the instrumentation is active (a tracer provider of the SDK and
// requests patched; the agent's classes on the boot class path and the agent started), and a run
// that is not as its variant should be fails the bench rather than being measured.
//
// The packages are installed on demand into the cache folder (WRAPGEN_BENCH_CACHE, default
// ~/.cache/wrapgen-bench): <cache>/otel-python-3.12/python (pip install --target, then
// `opentelemetry-bootstrap -a requirements`, bytecode compiled unchecked-hash so that copies of the
// tree keep it valid, as a layer's zip keeps its times) and the agent jar in ~/.m2 (mvn dependency:get).
// Without them, or without the sandbox or the runtime clients, a row says why and is skipped.
// `node bench/otel-runtimes.mjs` prints the rows; `node bench/run.mjs --only=otel-runtimes` rewrites
// its section of docs/benchmarks.md.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, homedir, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { chooseJdk, findClientJars, jdks } from '../dist/src/invoke/java.js'
import { pythonClient } from '../dist/src/invoke/python.js'
import { runInvoke } from '../dist/src/invoke/run.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { sandboxAvailable } from '../dist/src/sandbox/index.js'
import { instructions } from './cold.mjs'
import { f, stat } from './stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, 'fixtures/otel-runtimes')
const cacheRoot = () => process.env.WRAPGEN_BENCH_CACHE ?? join(homedir(), '.cache/wrapgen-bench')

/** PyPI packages: the distro, an exporter that needs no gRPC, and a library the function uses. */
const PY_PACKAGES = ['opentelemetry-distro==0.66b1', 'opentelemetry-exporter-otlp-proto-http', 'requests']
/** Maven Central: OpenTelemetry's Java agent (the version beside the instrumentation BOM served here). */
export const JAVAAGENT = { group: 'io.opentelemetry.javaagent', artifact: 'opentelemetry-javaagent', version: '2.31.1' }
/** What every instrumented variant exports to (nothing is sent at init); metrics and logs off. */
const OTEL_ENV = { OTEL_SERVICE_NAME: 'bench', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
/** The last line of a tool's output: where pip and mvn say what failed. */
const lastLine = (s) => (s ?? '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? ''
const M = (n) => `${(n / 1e6).toFixed(1)} M`
const signedCount = (n) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)}`

function script(file, body) {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, body)
  chmodSync(file, 0o755)
}

/** Installs the python packages into <tree>/python once; a reason when that fails. */
function ensurePython(py, tree, log) {
  const site = join(tree, 'python')
  const done = join(tree, '.installed')
  // Installed for this list of packages (the marker names them first): kept; else installed afresh.
  if (existsSync(done) && readFileSync(done, 'utf8').startsWith(`${PY_PACKAGES.join('\n')}\n`)) return undefined
  log(`  installing OpenTelemetry for python into ${site} (once)`)
  rmSync(tree, { recursive: true, force: true })
  const pip = (pkgs) => spawnSync(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', site, ...pkgs], { encoding: 'utf8', maxBuffer: 1 << 26 })
  let r = pip(PY_PACKAGES)
  if (r.status !== 0) return `pip install ${PY_PACKAGES.join(' ')} failed: ${lastLine(r.stderr)}`
  // The distro's own way to pick instrumentations: one for each library it finds installed.
  r = spawnSync(py, [join(site, 'bin/opentelemetry-bootstrap'), '-a', 'requirements'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: site } })
  const reqs = r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^opentelemetry-instrumentation-/.test(l))
  if (r.status !== 0 || reqs.length === 0) return `opentelemetry-bootstrap -a requirements failed: ${lastLine(r.stderr)}`
  // One install of everything: a second pip --target skips the `opentelemetry` folder that is already there.
  rmSync(site, { recursive: true, force: true })
  r = pip([...PY_PACKAGES, ...reqs])
  if (r.status !== 0) return `pip install ${[...PY_PACKAGES, ...reqs].join(' ')} failed: ${lastLine(r.stderr)}`
  r = spawnSync(py, ['-m', 'compileall', '-q', '-f', '-j', '0', '--invalidation-mode', 'unchecked-hash', site], { encoding: 'utf8' })
  if (r.status !== 0) return `compileall failed: ${lastLine(r.stderr)}`
  writeFileSync(done, `${[...PY_PACKAGES, ...reqs].join('\n')}\n`)
  return undefined
}

/** OpenTelemetry's Java agent from Maven Central (into ~/.m2 once); its path, or a reason. */
function ensureJavaAgent(log) {
  const { group, artifact, version } = JAVAAGENT
  const jar = join(homedir(), '.m2/repository', ...group.split('.'), artifact, version, `${artifact}-${version}.jar`)
  if (existsSync(jar)) return { jar }
  if (!has('mvn')) return { reason: `${artifact} ${version} is not in ~/.m2 and mvn is not installed` }
  log(`  fetching ${group}:${artifact}:${version} (once)`)
  const r = spawnSync('mvn', ['-q', 'dependency:get', `-Dartifact=${group}:${artifact}:${version}`, '-Dtransitive=false'], { encoding: 'utf8' })
  return existsSync(jar) ? { jar } : { reason: `mvn dependency:get ${group}:${artifact}:${version} failed: ${lastLine(r.stdout || r.stderr)}` }
}

const layerOf = async (cwd, name, config) => writeLayer(await buildLayer(await openConfig({ cwd, config: { name, ...config } })), join(cwd, name)).layerDir

/**
 * Runs each variant once per round (rotating the order), `wrapgen invoke`-style, and returns the init
 * times (spawn → first /next) and the handlers' payloads. `check(name, payload)` throws when a run's
 * instrumentation is not what its variant must have.
 */
async function invokeRounds(variants, rounds, check) {
  const names = Object.keys(variants)
  const ms = Object.fromEntries(names.map((k) => [k, []]))
  const payloads = Object.fromEntries(names.map((k) => [k, []]))
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length]
      const run = await runInvoke({ ...variants[name], events: [{}], memory: 1024, timeoutMs: 120_000, initTimeoutMs: 300_000, mode: 'sandboxed' })
      const inv = run.invokes[0]
      if (run.init.status !== 'ok' || inv?.status !== 'success') throw new Error(`${name}: ${JSON.stringify(run.init.error ?? inv?.error)}\n${run.logs.stderr.slice(-1500)}`)
      const payload = JSON.parse(inv.payload)
      check(name, payload)
      ms[name].push(run.initReport.handlerReadyMs)
      payloads[name].push(payload)
    }
  }
  return { ms, payloads }
}

/** The process's CPU time at the first invoke, as the handlers report it. */
function cpuText(payloads) {
  const s = stat(payloads.map((p) => p.cpuMs))
  return `CPU ${f(s.median, 0)} ms (IQR ${f(s.q1, 0)}–${f(s.q3, 0)})`
}

/** Ratio and cost of `k` against `bare`, paired round by round. */
function against(ms, k) {
  const ratio = stat(ms[k].map((v, i) => v / ms.bare[i]))
  const cost = stat(ms[k].map((v, i) => v - ms.bare[i]))
  return { ratio, cost, text: `×${f(ratio.median)} (IQR ${f(ratio.q1)}–${f(ratio.q3)}), +${f(cost.median, 0)} ms` }
}

async function pythonRows({ dir, rows, rounds, log }) {
  const label = 'python3.12 + OpenTelemetry (opentelemetry-distro, bootstrap\'s instrumentations), awslambdaric: spawn → handler ready'
  const skip = (why) => rows.push({ benchmark: label, floor: '', wrapgen: '', result: `skipped: ${why}` })
  let client
  try {
    client = pythonClient('python3.12')
  } catch (e) {
    return skip(e.message)
  }
  if (client.notes.length > 0) return skip(client.notes.join('; '))
  const home = client.binds[0][0]
  const py = join(home, 'bin/python3.12')
  const tree = join(cacheRoot(), 'otel-python-3.12')
  const failed = ensurePython(py, tree, log)
  if (failed) return skip(failed)
  const site = join(tree, 'python')

  const task = join(dir, 'py-task')
  cpSync(join(fixtures, 'python'), task, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{"name":"bench-otel-runtimes","private":true}')
  copyFileSync(join(fixtures, 'python/otel_hook.py'), join(dir, 'otel_hook.py'))
  const layer = await layerOf(dir, 'otel-py', { python: { preloads: ['./otel_hook.py'] } })
  // The vendor's exec wrapper, at the path invoke sets AWS_LAMBDA_EXEC_WRAPPER to (nothing of wrapgen's is in this tree).
  const vendor = join(dir, 'vendor-py')
  const vendorBody = '#!/bin/bash\nexport PYTHONPATH="/opt/python${PYTHONPATH:+:$PYTHONPATH}"\nexec python3 /opt/python/bin/opentelemetry-instrument "$@"\n'
  script(join(vendor, 'wrapgen/exec'), vendorBody)

  const base = { taskDir: task, runtime: 'python3.12', handler: 'app.handler', withLayers: [tree], env: OTEL_ENV }
  const sdk = 'opentelemetry.sdk.trace.TracerProvider'
  const check = (name, p) => {
    const on = p.provider === sdk && p.requests === true
    if (name === 'bare' ? p.provider === sdk || p.requests : !on) throw new Error(`python ${name}: instrumentation ${name === 'bare' ? 'active without a wrapper' : 'not active'}: ${JSON.stringify(p)}`)
  }
  log('otel python: invoke rounds')
  const { ms, payloads } = await invokeRounds({ bare: { ...base, noLayer: true }, vendor: { ...base, layerDir: vendor }, wrapgen: { ...base, layerDir: layer } }, rounds, check)
  const cpu = (k) => cpuText(payloads[k])

  // Instructions: the same three chains up to the handler imported, /opt laid out by bwrap.
  let ir
  if (has('valgrind') && has('bwrap')) {
    log('otel python: valgrind')
    const vendorScript = join(dir, 'otel-instrument')
    script(vendorScript, vendorBody)
    const opt = (extra) => ['bwrap', '--dev-bind', '/', '/', '--tmpfs', '/opt', '--ro-bind', site, '/opt/python', ...extra, '--']
    const env = { PATH: `${home}/bin:/usr/bin:/bin`, HOME: '/tmp', LANG: 'C.UTF-8', ...OTEL_ENV }
    const init = join(task, 'init.py')
    const count = (name, argv, extra) => instructions(argv, { env, wrap: opt(extra), onOutput: (out) => check(name, JSON.parse(lastLine(out))) })
    ir = {
      bare: count('bare', [py, init], []),
      vendor: count('vendor', ['bash', '/opt/otel-instrument', py, init], ['--ro-bind', vendorScript, '/opt/otel-instrument']),
      wrapgen: count('wrapgen', ['bash', '/opt/wrapgen/exec', py, init], ['--ro-bind', join(layer, 'wrapgen'), '/opt/wrapgen']),
    }
  }
  const v = against(ms, 'vendor')
  const w = against(ms, 'wrapgen')
  const irText = (k) => (ir ? `; ${M(ir[k])} instructions (×${f(ir[k] / ir.bare)} of bare)` : '')
  rows.push({
    benchmark: label,
    bare: `${f(stat(ms.bare).median, 0)} ms (IQR ${f(stat(ms.bare).q1, 0)}–${f(stat(ms.bare).q3, 0)}); ${cpu('bare')}${ir ? `; ${M(ir.bare)} instructions` : ''}`,
    vendor: `${v.text}; ${cpu('vendor')}${irText('vendor')}`,
    wrapgen: `${w.text}; ${cpu('wrapgen')}${irText('wrapgen')}`,
    result: `wrapgen's cost ×${f(w.cost.median / v.cost.median)} of the vendor's (time)${ir ? `, ×${f((ir.wrapgen - ir.bare) / (ir.vendor - ir.bare))} (instructions)` : ''}`,
  })
  log(`  ${JSON.stringify(rows[rows.length - 1])}`)
}

async function javaRows({ dir, rows, rounds, log }) {
  const label = `java17 + OpenTelemetry Java agent ${JAVAAGENT.version}, aws-lambda-java-runtime-interface-client: spawn → handler ready`
  const skip = (why) => rows.push({ benchmark: label, floor: '', wrapgen: '', result: `skipped: ${why}` })
  const jdk = chooseJdk(17, jdks())
  if (!jdk || jdk.feature !== 17 || !existsSync(join(jdk.home, 'bin/javac'))) return skip('no JDK 17 with javac here')
  try {
    await findClientJars('java17')
  } catch (e) {
    return skip(e.message)
  }
  const agent = ensureJavaAgent(log)
  if (!agent.jar) return skip(agent.reason)

  const task = join(dir, 'java-task')
  const r = spawnSync(join(jdk.home, 'bin/javac'), ['--release', '17', '-d', task, join(fixtures, 'java/Handler.java')], { encoding: 'utf8' })
  if (r.status !== 0) return skip(`javac failed: ${lastLine(r.stderr)}`)
  copyFileSync(agent.jar, join(dir, 'opentelemetry-javaagent.jar'))
  writeFileSync(join(dir, 'package.json'), '{"name":"bench-otel-runtimes","private":true}')
  const layer = await layerOf(dir, 'otel-java', { java: { agents: ['./opentelemetry-javaagent.jar'] } })
  const vendor = join(dir, 'vendor-java')
  script(join(vendor, 'wrapgen/exec'), '#!/bin/bash\nexport JAVA_TOOL_OPTIONS="-javaagent:/opt/opentelemetry-javaagent.jar ${JAVA_TOOL_OPTIONS}"\nexec "$@"\n')
  copyFileSync(agent.jar, join(vendor, 'opentelemetry-javaagent.jar'))

  const base = { taskDir: task, runtime: 'java17', handler: 'bench.Handler::handleRequest', env: OTEL_ENV }
  const check = (name, p) => {
    const on = p.agentClasses === true && p.agentStarted === true
    if (name === 'bare' ? p.agentClasses : !on) throw new Error(`java ${name}: the agent ${name === 'bare' ? 'runs without a wrapper' : 'did not start'}: ${JSON.stringify(p)}`)
  }
  log('otel java: invoke rounds')
  const { ms, payloads } = await invokeRounds({ bare: { ...base, noLayer: true }, vendor: { ...base, layerDir: vendor }, wrapgen: { ...base, layerDir: layer } }, rounds, check)
  const med = (k, key) => stat(payloads[k].map((p) => p[key])).median
  const steady = (k) => `${f(med(k, 'classesLoaded'), 0)} classes; ${cpuText(payloads[k])}`
  const v = against(ms, 'vendor')
  const w = against(ms, 'wrapgen')
  rows.push({
    benchmark: label,
    bare: `${f(stat(ms.bare).median, 0)} ms (IQR ${f(stat(ms.bare).q1, 0)}–${f(stat(ms.bare).q3, 0)}); ${steady('bare')}`,
    vendor: `${v.text}; ${steady('vendor')}`,
    wrapgen: `${w.text}; ${steady('wrapgen')}`,
    result: `wrapgen's cost ×${f(w.cost.median / v.cost.median)} of the vendor's (time); ${signedCount(med('wrapgen', 'classesLoaded') - med('vendor', 'classesLoaded'))} classes against the vendor's, CPU ${signedCount(med('wrapgen', 'cpuMs') - med('vendor', 'cpuMs'))} ms (median against median); valgrind: not run (see bench/otel-runtimes.mjs)`,
  })
  log(`  ${JSON.stringify(rows[rows.length - 1])}`)
}

/** Both rows; `rounds` per family (java's runs take seconds each: fewer). */
export async function otelRuntimesCost({ rows, rounds, javaRounds = Math.max(3, Math.ceil(rounds / 2)), log, only }) {
  if (!sandboxAvailable()) {
    rows.push({ benchmark: 'OpenTelemetry for python and java on AWS\'s runtime clients', floor: '', wrapgen: '', result: 'skipped: no sandbox (bubblewrap) here: the layers must be at /opt' })
    return
  }
  for (const [family, fn, n] of [['python', pythonRows, rounds], ['java', javaRows, javaRounds]]) {
    if (only && only !== family) continue
    const dir = mkdtempSync(join(tmpdir(), `wrapgen-otel-${family}-`))
    try {
      await fn({ dir, rows, rounds: n, log })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** The section of docs/benchmarks.md these rows make. */
export function otelRuntimesSection(rows, load, rounds) {
  return [
    '## OpenTelemetry for Python and Java: the vendor\'s way and wrapgen\'s (issue 20, item 4)',
    '',
    'Generated by `node bench/run.mjs --only=otel-runtimes` (bench/otel-runtimes.mjs, which says what each variant is).',
    '`wrapgen invoke`\'s init on AWS\'s real runtime clients, in the sandbox: the bootstrap\'s spawn to the client\'s first',
    '`GET /next` (handler loaded). Times are medians of per-round ratios (and differences) to the bare function run in the',
    `same round, interleaved (${rounds}). CPU time is the process's at the handler's first invoke (it moves with the load`,
    'too, less than wall time); for python, valgrind\'s instruction counts of the same chains up to the handler imported do',
    'not move with it. Every run, timed or counted, checked that its instrumentation was active (and absent when bare).',
    '',
    `Load average: ${load}.`,
    '',
    '| benchmark | bare | vendor\'s way | wrapgen | result |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => (r.bare === undefined ? `| ${r.benchmark} | | | | ${r.result} |` : `| ${r.benchmark} | ${r.bare} | ${r.vendor} | ${r.wrapgen} | ${r.result} |`)),
    '',
    'Where the two ways differ:',
    '',
    '- **Python.** `opentelemetry-instrument` is a python program: the vendor\'s wrapper starts python once to run it,',
    '  and before it looks at its command it reads the entry points of every installed distribution and imports each',
    '  package\'s `environment_variables` module, to offer one command-line option per `OTEL_*` variable. Then it puts',
    '  its `sitecustomize.py` folder first on `PYTHONPATH` and `execl`s the',
    '  runtime\'s python, which starts again and runs `initialize()` from `site`. So the interpreter starts twice, and',
    '  `PYTHONPATH` stays set for the function and for every python it starts (each one instrumented again; Lambda\'s',
    '  `bootstrap.py` then leaves the layers\' folders to `PYTHONPATH`; a `sitecustomize` of the function\'s is shadowed).',
    '  wrapgen runs the same `initialize()` as a hook of its python runner in the one python, before the runtime\'s',
    '  `bootstrap.py`, with `sys.path` and the environment left as the runtime has them. The instrumentation itself',
    '  (the SDK, the exporter, one instrumentor per library) costs the same either way; what wrapgen saves is the',
    '  launcher and the second start of the interpreter.',
    '- **Java.** Both ways start the same agent jar in the same JVM before the main class: the vendor\'s through',
    '  `JAVA_TOOL_OPTIONS` (the JVM prints `Picked up JAVA_TOOL_OPTIONS` on stderr, and every JVM the function starts',
    '  inherits the agent), wrapgen\'s through its runner agent on the command line, which reads `agents.txt` and calls',
    '  the agent\'s `premain` as the JVM would (a failing agent is one stderr line, not an aborted JVM). The agent\'s own',
    '  start (thousands of classes, seconds of CPU) is almost all of the cost either way; the runner adds a few classes.',
    '- Stand-ins: the vendor\'s wrappers here are the few lines of OpenTelemetry\'s Lambda layers\' scripts that start',
    '  the instrumentation (their python layer also swaps `_HANDLER` for its own Lambda handler wrapper, which is left',
    '  out: no `aws-lambda` instrumentation in either way). Lambda\'s class-data archive for java (`-Xshare:on',
    '  -XX:SharedArchiveFile`) exists only in AWS\'s image and is left out of every java run here.',
    '',
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = []
  const before = loadavg()[0]
  const rounds = Number(process.env.ROUNDS ?? 11)
  const javaRounds = Number(process.env.JAVA_ROUNDS ?? 7)
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
  await otelRuntimesCost({ rows, rounds, javaRounds, log: (s) => process.stderr.write(`${s}\n`), only })
  process.stdout.write(otelRuntimesSection(rows, `${before.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`, `${rounds} rounds for python, ${javaRounds} for java`))
}
