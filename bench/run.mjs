// `npm run bench`: wrapgen's cost, always as a ratio against a baseline measured in the same run,
// interleaved (baseline, candidate, baseline, ...), reported as medians with the interquartile range.
// Writes docs/benchmarks.md (pass --no-write to only print; --quick for fewer rounds; --only=hooks for
// the startup-hook section alone, --only=cold or --only=otel-runtimes likewise for theirs).
// Runs against dist/ (npm run bench compiles it first).
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { buildTempLayer } from '../dist/src/invoke/layer.js'
import { runInvoke } from '../dist/src/invoke/run.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { sandboxAvailable } from '../dist/src/sandbox/index.js'
import { coldCost, coldSection } from './cold.mjs'
import { hooksCost, hooksSection } from './hooks.mjs'
import { otelRuntimesCost, otelRuntimesSection } from './otel-runtimes.mjs'
import { f, signed, spread, stat } from './stats.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const write = !args.includes('--no-write')
const ROUNDS = quick ? 7 : 41
const devNull = openSync('/dev/null', 'w')
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const log = (s) => process.stderr.write(`${s}\n`)


/** Runs each variant once per round, in rotating order, and returns the samples per variant. */
function interleave(variants, rounds) {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  const names = Object.keys(variants)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length]
      samples[name].push(variants[name]())
    }
  }
  return samples
}
async function interleaveAsync(variants, rounds) {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  const names = Object.keys(variants)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length]
      samples[name].push(await variants[name]())
    }
  }
  return samples
}

/** Wall time of one process run, in ms. */
function timed(command, argv, opts = {}) {
  const t0 = performance.now()
  const r = spawnSync(command, argv, { stdio: ['ignore', 'ignore', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', devNull], ...opts })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

const rows = []
const row = (benchmark, baseline, candidate, target, verdict) => rows.push({ benchmark, baseline, candidate, target, verdict })

// ---- 1. wrapper overhead ----
async function wrapperOverhead() {
  log('1. wrapper overhead')
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-bench-'))
  try {
    // A layer with no preloads and no flags: only the wrapper's own work (family, env, exec).
    const config = await openConfig({ cwd: repo, config: { name: 'bench-wrapper', node: {} } })
    const { layerDir } = writeLayer(await buildLayer(config), join(dir, 'out'))
    const bootstrap = join(dir, 'bootstrap.sh')
    copyFileSync(join(repo, 'src/sandbox/bootstrap.sh'), bootstrap)
    chmodSync(bootstrap, 0o755)
    const floor = join(dir, 'floor.sh')
    writeFileSync(floor, '#!/bin/sh\nexec "$@"\n')
    chmodSync(floor, 0o755)
    const entry = join(dir, 'index.mjs')
    writeFileSync(entry, '')
    // The hop alone: a stand-in "node" (a copy of true(1), so the wrapper sees the node family) makes the
    // interpreter's own start-up, and its noise, vanish from both sides. Then one row with the real node.
    mkdirSync(join(dir, 'bin'))
    const standIn = join(dir, 'bin/node')
    copyFileSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', standIn)
    chmodSync(standIn, 0o755)
    const lambdaArgs = ['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=6', '--max-old-space-size=116', entry]
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' }
    const shells = ['dash', 'bash', 'busybox', 'mksh'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0)
    const hop = (label, shell, shellCmd, interpreter, rounds) => {
      const argv = [interpreter, ...lambdaArgs]
      const s = interleave({
        bare: () => timed(bootstrap, [shellCmd, ...argv], { env }),
        floor: () => timed(bootstrap, [shellCmd, ...argv], { env: { ...env, AWS_LAMBDA_EXEC_WRAPPER: floor } }),
        wrapgen: () => timed(bootstrap, [shellCmd, ...argv], { env: { ...env, AWS_LAMBDA_EXEC_WRAPPER: join(layerDir, 'wrapgen/exec') } }),
      }, rounds)
      const bare = stat(s.bare)
      const fl = stat(s.floor)
      const wg = stat(s.wrapgen)
      const cost = wg.median - bare.median
      row(`wrapper hop, ${shell}, ${label}: bootstrap → wrapper → node vs bootstrap → node`, `${spread(bare)} ms`, `${spread(wg)} ms`,
        '≤ 2 ms over bare node', `${signed(cost)} ms; floor, one \`exec "$@"\` script: ${signed(fl.median - bare.median)} ms — ${cost <= 2 ? 'met' : 'missed'}`)
      log(`  ${shell} ${label}: bare ${f(bare.median)} floor ${f(fl.median)} wrapgen ${f(wg.median)}`)
    }
    for (const shell of shells) {
      const sh = spawnSync('sh', ['-c', `command -v ${shell}`], { encoding: 'utf8' }).stdout.trim()
      // busybox runs a script as `busybox sh FILE`; the bootstrap's SHELL argument is one word, so use a tiny launcher.
      let shellCmd = sh
      if (shell === 'busybox') {
        shellCmd = join(dir, 'busybox-sh')
        writeFileSync(shellCmd, `#!/bin/sh\nexec ${sh} sh "$@"\n`)
        chmodSync(shellCmd, 0o755)
      }
      hop('stand-in node', shell, shellCmd, standIn, quick ? 21 : 201)
    }
    if (shells.includes('dash')) hop('real node', 'dash', spawnSync('sh', ['-c', 'command -v dash'], { encoding: 'utf8' }).stdout.trim(), process.execPath, ROUNDS)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- 2. preload: bundled vs unbundled, and an empty preload ----
async function preloadCost() {
  log('2. preload')
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-bench-'))
  try {
    const build = async (name, module, extra = {}) => {
      const config = await openConfig({ cwd: repo, config: { name, node: { preloads: [{ module }], ...extra } } })
      return join(writeLayer(await buildLayer(config), join(dir, name)).layerDir, 'wrapgen/preload.cjs')
    }
    const bundled = await build('bench-otel', './bench/fixtures/otel-preload/hook.js')
    const esmFirst = await build('bench-otel-esm', './bench/fixtures/otel-preload/hook.js', { mainFields: ['module', 'main'] })
    const empty = await build('bench-empty', './bench/fixtures/empty-preload/hook.js')
    const unbundled = join(repo, 'bench/fixtures/otel-preload/unbundled.js')
    const node = (pre) => () => timed(process.execPath, [...(pre ? ['--require', pre] : []), '-e', '0'])
    const s = interleave({ bare: node(undefined), bundled: node(bundled), esmFirst: node(esmFirst), unbundled: node(unbundled) }, ROUNDS)
    const bare = stat(s.bare)
    const m = stat(s.esmFirst)
    const b = stat(s.bundled)
    const u = stat(s.unbundled)
    // A cost of about a millisecond drowns in the spread of node's start: measure it apart, with more
    // rounds, as the median of per-round differences (each pair ran back to back).
    // The floor is node's own cost of --require: an empty file.
    const emptyFile = join(dir, 'empty.cjs')
    writeFileSync(emptyFile, '')
    const pair = interleave({ bare: node(undefined), empty: node(empty), floor: node(emptyFile) }, ROUNDS * 3)
    const d = stat(pair.empty.map((v, i) => v - pair.bare[i]))
    const floor = stat(pair.floor.map((v, i) => v - pair.bare[i]))
    const emptyCost = d.median
    row('empty preload (one no-op hook, bundled) vs bare `node -e 0`; median of paired differences', `${spread(stat(pair.bare))} ms`, `${spread(stat(pair.empty))} ms`, '≤ 1 ms',
      `${signed(emptyCost)} ms (IQR of differences ${signed(d.q1)} to ${signed(d.q3)}); floor, --require of an empty file: ${signed(floor.median)} ms — ${emptyCost <= 1 ? 'met' : 'missed'}`)
    const bc = b.median - bare.median
    const uc = u.median - bare.median
    row('OpenTelemetry SDK + pino preload: bundled vs unbundled (require from node_modules); cost = time over bare node', `unbundled ${spread(u)} ms (+${f(uc)})`, `bundled ${spread(b)} ms (+${f(bc)})`,
      'bundled ≥ 3× faster to load', `${f(uc / bc, 1)}× faster — ${uc / bc >= 3 ? 'met' : 'missed'}`)
    const mc = m.median - bare.median
    row("the same, bundled with node.mainFields ['module', 'main'] (packages' ES module builds, tree-shaken)", `unbundled ${spread(u)} ms (+${f(uc)})`, `bundled ${spread(m)} ms (+${f(mc)})`,
      'bundled ≥ 3× faster to load', `${f(uc / mc, 1)}× faster — ${uc / mc >= 3 ? 'met' : 'missed'}`)
    log(`  bare ${f(bare.median)} bundled ${f(b.median)} esm-first ${f(m.median)} unbundled ${f(u.median)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- 3. cold start: wrapgen invoke with the example layer vs --no-layer ----
let serviceReport
async function coldStart() {
  log('3. cold start')
  const cwd = join(repo, 'examples/service')
  const config = await openConfig({ cwd })
  const layer = await buildTempLayer(config)
  try {
    const taskDir = join(cwd, 'function')
    const once = (noLayer) => async () => {
      // The bench's own function: path-mapped where there is no sandbox, as the bench reports.
      const run = await runInvoke({ noLayer, layerDir: layer.layerDir, taskDir, events: [{}], functionName: config.name, unsafeHost: !sandboxAvailable() })
      if (run.invokes[0]?.status !== 'success') throw new Error(`invoke failed: ${JSON.stringify(run.invokes[0])}`)
      if (!noLayer) serviceReport = run
      return run.initReport.handlerReadyMs
    }
    const s = await interleaveAsync({ bare: once(true), layer: once(false) }, quick ? 5 : 21)
    const bare = stat(s.bare)
    const l = stat(s.layer)
    const share = (l.median - bare.median) / bare.median
    row(`cold start, examples/service (init: spawn → first /next, ${serviceReport?.mode}): layer vs --no-layer`, `${spread(bare)} ms`, `${spread(l)} ms`,
      'layer cost < 10% of bare init', `${signed(l.median - bare.median)} ms = ${f(share * 100, 1)}% — ${share < 0.1 ? 'met' : 'missed'}`)
    log(`  bare ${f(bare.median)} layer ${f(l.median)}`)
  } finally {
    layer.remove()
  }
}

// ---- 4. wrapgen build and wrapgen verify wall time ----
function cliTimes() {
  log('4. build and verify')
  const bin = join(repo, 'dist/src/bin.js')
  const cwd = join(repo, 'examples/service')
  const out = mkdtempSync(join(tmpdir(), 'wrapgen-bench-out-'))
  try {
    const n = quick ? 2 : 5
    const s = interleave({
      version: () => timed(process.execPath, [bin, '--version'], { cwd }),
      build: () => timed(process.execPath, [bin, 'build', '--out', out], { cwd }),
    }, n)
    const v = stat(s.version)
    const b = stat(s.build)
    row('`wrapgen build` (examples/service) vs `wrapgen --version` (CLI start)', `${spread(v)} ms`, `${spread(b)} ms`, 'report', `×${f(b.median / v.median, 1)}`)
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [bin, 'verify', '--runtime', '*', '--reporter', 'json'], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 })
    const ms = performance.now() - t0
    let checks = '?'
    try {
      const report = JSON.parse(r.stdout)
      checks = String(report.results?.length ?? report.checks?.length ?? '?')
    } catch {}
    row('`wrapgen verify --runtime \'*\'` (full catalogue, examples/service; one run)', `${f(v.median)} ms (CLI start)`, `${f(ms / 1000, 1)} s, exit ${r.status}`, 'report', `×${f(ms / v.median, 0)}${checks !== '?' ? `, ${checks} checks` : ''}`)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model ?? '?'
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()
  return `${nproc} CPUs (nproc), ${cpu}, node ${process.version}, ${process.platform} ${process.arch}; bubblewrap sandbox: ${sandboxAvailable() ? 'yes' : 'no (path-mapped)'}`
}

/**
 * The sections of docs/benchmarks.md that no benchmark writes (figures taken by hand, or before a change,
 * such as "Cold start before issue 20"): a full run keeps them, in their order, after what it generated.
 */
function keptSections(generated) {
  const docFile = join(repo, 'docs/benchmarks.md')
  if (!existsSync(docFile)) return ''
  const heading = (part) => part.slice(0, part.indexOf('\n') >>> 0)
  const made = new Set(generated.split(/\n(?=## )/).slice(1).map(heading))
  const kept = readFileSync(docFile, 'utf8').split(/\n(?=## )/).slice(1).filter((part) => !made.has(heading(part)))
  return kept.map((part) => `\n${part.trimEnd()}\n`).join('')
}

/** Replaces the section of docs/benchmarks.md that starts with `heading` (up to the next "## "), or appends it. */
function writeSection(heading, section) {
  const docFile = join(repo, 'docs/benchmarks.md')
  const current = readFileSync(docFile, 'utf8')
  const at = current.indexOf(heading)
  const next = at < 0 ? -1 : current.indexOf('\n## ', at + heading.length)
  const updated = at < 0 ? `${current.trimEnd()}\n\n${section}` : current.slice(0, at) + section + (next < 0 ? '' : current.slice(next + 1))
  if (write) writeFileSync(docFile, updated)
}

// --only=cold: the runners against each interpreter's floor (bench/cold.mjs), rewriting only its section.
if (only === 'cold') {
  const loadBefore = loadavg()[0]
  const coldRows = []
  await coldCost({ repo, rows: coldRows, rounds: ROUNDS, log })
  const section = coldSection(coldRows, `${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (1-minute), on ${cpus().length} CPUs`)
  process.stdout.write(section)
  writeSection('## Cold start against each interpreter', section)
  process.exit(0)
}

// --only=otel-runtimes: OpenTelemetry for python and java, the vendor's way against wrapgen's (bench/otel-runtimes.mjs).
// Each round starts three functions on AWS's runtime clients (java's take seconds): fewer rounds.
const OTEL_ROUNDS = { python: quick ? 5 : 11, java: quick ? 3 : 7 }
const otelRoundsText = `${OTEL_ROUNDS.python} rounds for python, ${OTEL_ROUNDS.java} for java`
const otelRuntimes = async () => {
  const loadBefore = loadavg()[0]
  const otelRows = []
  await otelRuntimesCost({ rows: otelRows, rounds: OTEL_ROUNDS.python, javaRounds: OTEL_ROUNDS.java, log })
  return otelRuntimesSection(otelRows, `${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (1-minute), on ${cpus().length} CPUs`, otelRoundsText)
}
if (only === 'otel-runtimes') {
  const section = await otelRuntimes()
  process.stdout.write(section)
  writeSection('## OpenTelemetry for Python and Java', section)
  process.exit(0)
}

// --only=hooks: only the startup-hook benchmarks (bench/hooks.mjs), rewriting only their section of the doc.
const hookRows = []
if (only === 'hooks') {
  const loadBefore = loadavg()[0]
  await hooksCost({ repo, rows: hookRows, rounds: ROUNDS, log })
  const section = hooksSection(hookRows, ROUNDS, `${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`)
  process.stdout.write(section)
  // Its section alone: the sections after it (the cold start, the hand-kept ones) stay as they are.
  writeSection('## Startup hooks per runtime', section)
  process.exit(0)
}

await wrapperOverhead()
await preloadCost()
await coldStart()
cliTimes()
await hooksCost({ repo, rows: hookRows, rounds: ROUNDS, log })
const coldLoad = loadavg()[0]
const coldRows = []
await coldCost({ repo, rows: coldRows, rounds: ROUNDS, log })
const coldLoadText = `${coldLoad.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (1-minute), on ${cpus().length} CPUs`
const otelRuntimesText = await otelRuntimes()

const table = [
  '| benchmark | baseline (median, IQR) | candidate (median, IQR) | target | result |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.benchmark} | ${r.baseline} | ${r.candidate} | ${r.target} | ${r.verdict} |`),
].join('\n')
const rounds = `${ROUNDS} interleaved rounds per process benchmark, ${quick ? 5 : 21} per cold start`
const initText = serviceReport ? (await import('../dist/src/invoke/report.js')).renderInitReport(serviceReport.initReport, serviceReport.layer) : '(not measured)\n'
const doc = `# Benchmarks

Generated by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}. Every number is a ratio or
difference against a baseline measured in the same run, interleaved; medians with the interquartile range
(${rounds}). Wall times of whole processes, so each includes process start.

Machine: ${machine()}. The machine may be shared with other work while
the benchmark runs; the interleaving keeps the ratios fair, but the spread shows the noise.

${table}

How each is measured:
1. **Wrapper hop**: the emulated bootstrap (src/sandbox/bootstrap.sh) runs Lambda's nodejs20.x argv with
   \`AWS_LAMBDA_EXEC_WRAPPER\` empty (bare), set to a one-line \`exec "$@"\` script (the floor: one exec of
   the shell), or set to the wrapgen wrapper of a layer with no preloads; each shell runs the wrapper.
   Per shell with a stand-in \`node\` (a copy of true(1), so node's own start-up and its noise drop out of
   both sides), then once with the real node. Path-mapped (no sandbox).
2. **Preload**: \`node --require X -e 0\` against bare \`node -e 0\`. The fixture (bench/fixtures/otel-preload)
   sets up an OpenTelemetry tracer provider and a pino logger: devDependencies \`@opentelemetry/api\`,
   \`@opentelemetry/sdk-trace-base\` (with its \`core\`, \`resources\`, \`semantic-conventions\`) and \`pino\`
   (with \`sonic-boom\`, \`thread-stream\`, …), several hundred files. Bundled = wrapgen's esbuild preload;
   unbundled = the same hook require()d from node_modules. With the default \`mainFields\` esbuild bundles
   each package's CommonJS \`main\`, which it cannot tree-shake; \`mainFields: ['module', 'main']\` takes
   the ES module builds (semantic-conventions' thousands of constants shrink to the one used). The
   empty-preload row is measured apart, with three times the rounds, as the median of per-round
   differences, beside node's own floor for \`--require\` (an empty file).
3. **Cold start**: \`wrapgen invoke\` (the real aws-lambda-ric on the local Runtime API) of
   examples/service/function with the example layer (timing hook, the org's log-context and required-env
   hooks, --enable-source-maps) against \`--no-layer\`; init = bootstrap spawn → first \`GET /next\`.
4. **CLI**: \`wrapgen build\` of examples/service (into a temp folder) and one \`wrapgen verify --runtime '*'\`,
   against \`wrapgen --version\`.

Init report of examples/service (last layer run above):

\`\`\`
${initText.trimEnd()}
\`\`\`

${hooksSection(hookRows, ROUNDS, `${loadavg()[0].toFixed(1)} (1-minute, at the end), on ${cpus().length} CPUs`)}
${coldSection(coldRows, coldLoadText)}
${otelRuntimesText}`
process.stdout.write(`${table}\n\n${initText}`)
if (write) writeFileSync(join(repo, 'docs/benchmarks.md'), `${doc.trimEnd()}\n${keptSections(doc)}`)
