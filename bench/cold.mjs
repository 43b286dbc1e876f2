// Cold start of every runner against the interpreter's own floor (issue 20), with valgrind's
// instruction counts as the figure that does not move with the machine's load, and times only as
// differences or ratios to a baseline measured in the same run. `node bench/run.mjs --only=cold`
// rewrites its section of docs/benchmarks.md; `node bench/cold.mjs` prints it (`--only=wrapper`: the
// wrapper rows alone; `--only=runners`: the java agent and node preload rows alone, side by side; WRAPGEN_BENCH_BEFORE=<an older checkout, dist/ built> adds its wrapper's rows).
//
// Rows: the python runner with one empty hook against bare `python -c pass` (each python 3.9+ found);
// the generated wrapper under bash with each runtime's argv against a 3-line bash wrapper (export,
// exec), over the whole exec chain; the java runner agent against -javaagent: of the agent itself
// (classes loaded, instructions under -Xint, and CPU and wall time paired run by run, judged on CPU
// time's median's 95 % interval: JAVA_ROUNDS, default ROUNDS, sets how many pairs); the node preload with one empty hook against
// --require of an empty file (time inside the process); the real OpenTelemetry Node SDK bundled
// against its zero-code way (bench/otel.mjs, when its packages are in the cache folder).
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, homedir, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { zipLayer } from '../dist/src/layer/zip.js'
import { loadCatalogue } from '../dist/src/runtimes/catalogue.js'
import { expandRuntime } from '../dist/src/runtimes/expand.js'
import { otelCost } from './otel.mjs'
import { f, medianCI, signed, stat } from './stats.mjs'

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const M = (n) => `${(n / 1e6).toFixed(2)} M`
const pct = (a, b) => `${a >= b ? '+' : '−'}${(Math.abs(a - b) / b * 100).toFixed(1)} %`

/**
 * Instructions (valgrind callgrind, Ir) of a command and every process it execs or starts. Callgrind
 * writes one file per process image: --dump-before=execve keeps the image that execs (a wrapper)
 * apart from the one it becomes. `mainThread`: only the first thread of each process (node's
 * background compiler and GC threads vary from run to run). `wrap`: argv valgrind runs under.
 * `onOutput`: given the command's stdout (to check what ran).
 */
export function instructions(argv, { env = process.env, cwd, mainThread = false, wrap = [], onOutput } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'wrapgen-cg-'))
  try {
    const r = spawnSync(wrap[0] ?? 'valgrind', [...wrap.slice(1), ...(wrap.length ? ['valgrind'] : []), '--tool=callgrind', '--trace-children=yes', '--dump-before=execve', ...(mainThread ? ['--separate-threads=yes'] : []), `--callgrind-out-file=${out}/cg.%p`, ...argv], { env, cwd, encoding: 'utf8', maxBuffer: 1 << 26 })
    if (r.status !== 0) throw new Error(`${argv.join(' ')} under valgrind exited ${r.status}: ${r.stderr.slice(-400)}`)
    onOutput?.(r.stdout)
    let total = 0
    for (const file of readdirSync(out)) {
      if (mainThread && !/-01$/.test(file)) continue
      const m = /^summary:\s*(\d+)/m.exec(readFileSync(join(out, file), 'utf8')) ?? /^totals:\s*(\d+)/m.exec(readFileSync(join(out, file), 'utf8'))
      total += Number(m?.[1] ?? 0)
    }
    return total
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** Python 3.9+ interpreters: pyenv's, else python3 on PATH. */
function pythons() {
  const root = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv')
  const found = existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')).filter((v) => /^3\.(9|\d\d)\./.test(v)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((v) => [v, join(root, 'versions', v, 'bin/python3')]).filter(([, p]) => existsSync(p)) : []
  return found.length ? found : has('python3') ? [[spawnSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' }).stdout.trim(), 'python3']] : []
}

const layer = async (cwd, name, config, out = cwd) => writeLayer(await buildLayer(await openConfig({ cwd, config: { name, ...config } })), join(out, name)).layerDir

/** The flags a wrapper row configures for a family. */
const FLAGS = { node: ['--enable-source-maps'], python: ['-X', 'utf8'], java: ['-XX:+UseSerialGC'], ruby: ['-W0'], dotnet: ['--roll-forward', 'Major'] }

/**
 * The generated wrapper under bash with each runtime's argv (a stand-in interpreter: a copy of true(1)),
 * the whole exec chain, against a 3-line bash wrapper (export, exec): instructions, and the time of the
 * whole chain as the median of per-round ratios to that floor (interleaved rounds). `before`: an older
 * checkout of wrapgen (its dist/ built) whose wrappers are measured beside, in the same rounds
 * (`WRAPGEN_BENCH_BEFORE=<folder> node bench/cold.mjs --only=wrapper`).
 */
export async function wrapperCost({ repo, dir, row, rounds, log, before }) {
  if (!has('bash')) return
  log('cold: wrapper under bash')
  mkdirSync(join(dir, 'bin'), { recursive: true })
  const floor = join(dir, 'floor.sh')
  writeFileSync(floor, '#!/bin/bash\nexport WRAPGEN_BENCH=1\nexec "$@"\n')
  chmodSync(floor, 0o755)
  const builders = [['', { buildLayer, openConfig, writeLayer }]]
  if (before) {
    const load = async (m) => import(pathToFileURL(join(before, 'dist/src', m)).href)
    builders.push([' (before)', { buildLayer: (await load('build.js')).buildLayer, openConfig: (await load('config/open.js')).openConfig, writeLayer: (await load('layer/write.js')).writeLayer }])
  }
  const build = async (b, name, config) => b.writeLayer(await b.buildLayer(await b.openConfig({ cwd: dir, config: { name, ...config } })), join(dir, name)).layerDir
  const catalogue = loadCatalogue(join(repo, 'runtimes'))
  for (const id of ['nodejs20.x', 'python3.12', 'java17', 'java8.al2', 'ruby3.3', 'dotnet8.class-library']) {
    const fixture = catalogue.runtimes.find((r) => `${r.id}${r.mode === 'default' ? '' : `.${r.mode}`}` === id || r.id === id)
    if (!fixture) continue
    const inst = expandRuntime(fixture, { memory: 1024, commonEnv: catalogue.commonEnv })
    // A stand-in interpreter (a copy of true(1) named as the runtime's): the shell's work alone.
    const name = inst.argv[0].split('/').pop()
    const standIn = join(dir, 'bin', name)
    if (!existsSync(standIn)) copyFileSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', standIn)
    chmodSync(standIn, 0o755)
    const argv = [standIn, ...inst.argv.slice(1)]
    // The environment Lambda gives the wrapper (bash reads every variable at start-up, so it counts).
    const env = { ...inst.env, PATH: process.env.PATH ?? '/usr/bin:/bin' }
    const scripts = { floor }
    for (const [label, b] of builders) {
      const tag = label ? 'before-' : ''
      scripts[`all${label}`] = join(await build(b, `${tag}wrap-all`, Object.fromEntries(Object.entries(FLAGS).map(([fam, flags]) => [fam, { flags }]))), 'wrapgen/exec')
      scripts[`one${label}`] = join(await build(b, `${tag}wrap-${fixture.family}`, { [fixture.family]: { flags: FLAGS[fixture.family] } }), 'wrapgen/exec')
    }
    const ir = Object.fromEntries(Object.entries(scripts).map(([k, script]) => [k, instructions(['bash', script, ...argv], { env })]))
    // Time: every variant once per round, in turn; each round's time over the floor's of that round.
    const times = Object.fromEntries(Object.keys(scripts).map((k) => [k, []]))
    for (let r = 0; r < rounds * 2; r++) {
      for (const [k, script] of Object.entries(scripts)) {
        const t0 = performance.now()
        spawnSync('bash', [script, ...argv], { env, stdio: 'ignore' })
        times[k].push(performance.now() - t0)
      }
    }
    const ratio = (k) => stat(times[k].map((v, i) => v / times.floor[i]))
    const time = (k) => `time ×${f(ratio(k).median)} (IQR ${f(ratio(k).q1)}–${f(ratio(k).q3)})`
    const fl = ir.floor
    for (const [label] of builders) {
      const all = ir[`all${label}`]
      const one = ir[`one${label}`]
      row(`wrapper under bash, ${id} argv (${inst.entryIndex - 1} arguments before the entry), whole exec chain${label}`,
        `3-line bash wrapper ${M(fl)}; ${f(stat(times.floor).median)} ms (median of ${rounds * 2})`,
        `flags for every family ${M(all)}, ${time(`all${label}`)}; for ${fixture.family} only ${M(one)}, ${time(`one${label}`)}`,
        `×${f(all / fl, 2)}; ×${f(one / fl, 2)} instructions — ${Math.max(all, one) / fl <= 2 ? 'met' : 'missed'} (≤ ×2)`)
    }
  }
}

export async function coldCost({ repo, rows, log, rounds, runnersOnly = false }) {
  if (!has('valgrind')) {
    rows.push({ benchmark: 'cold start (all rows)', floor: '', wrapgen: '', result: 'skipped: valgrind is not installed' })
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-cold-'))
  const row = (benchmark, floor, wrapgen, result) => {
    rows.push({ benchmark, floor, wrapgen, result })
    log(`  ${benchmark}: ${floor} | ${wrapgen} | ${result}`)
  }
  try {
    writeFileSync(join(dir, 'package.json'), '{"name":"bench-cold","private":true}')

    // ---- python: run.py + one empty hook vs bare python -c pass ----
    if (!runnersOnly) log('cold: python')
    writeFileSync(join(dir, 'hook.py'), '')
    writeFileSync(join(dir, 'entry.py'), '')
    const pyLayer = await layer(dir, 'py', { python: { preloads: ['./hook.py'] } })
    const runner = join(pyLayer, 'wrapgen/python/run.py')
    for (const [version, py] of runnersOnly ? [] : pythons()) {
      const bare = instructions([py, '-c', 'pass'])
      const bareFile = instructions([py, join(dir, 'entry.py')])
      const viaC = instructions([py, runner, '-c', 'pass'])
      const viaFile = instructions([py, runner, join(dir, 'entry.py')])
      const worst = Math.max(viaC / bare, viaFile / bareFile)
      row(`python ${version}: runner + one empty hook (\`python run.py -c pass\`; and with an empty entry file)`, `bare \`-c pass\` ${M(bare)}; entry file ${M(bareFile)}`, `${M(viaC)}; ${M(viaFile)}`,
        `${pct(viaC, bare)}; ${pct(viaFile, bareFile)} — ${worst <= 1.05 ? 'met' : 'missed'} (≤ +5 %)`)
    }

    // ---- the wrapper under bash: each runtime's argv, the whole exec chain ----
    if (!runnersOnly) await wrapperCost({ repo, dir, row, rounds, log, before: process.env.WRAPGEN_BENCH_BEFORE })

    // ---- java: runner agent vs -javaagent: of the agent itself ----
    if (has('javac') && has('java')) {
      log('cold: java')
      await javaCost({ dir, row, rounds: Number(process.env.JAVA_ROUNDS ?? rounds) })
    }

    // ---- node: the --require preload with one empty hook vs --require of an empty file ----
    log('cold: node preload')
    const preload = join(await layer(repo, 'node', { node: { preloads: ['./bench/fixtures/empty-preload/hook.js'] } }, dir), 'wrapgen/preload.cjs')
    // The empty file at a path of the same length (node's loader walks the path character by character).
    const empty = join(dir, 'none/wrapgen/preload.cjs')
    mkdirSync(dirname(empty), { recursive: true })
    writeFileSync(empty, '')
    writeFileSync(join(dir, 'mark.cjs'), 'globalThis.__wrapgenT0 = process.hrtime.bigint()\n')
    writeFileSync(join(dir, 'report.cjs'), 'const d = Number(process.hrtime.bigint() - globalThis.__wrapgenT0) / 1e6\nrequire("node:fs").writeSync(2, `${d}\\n`)\n')
    const inside = (file) => Number(spawnSync(process.execPath, ['--require', join(dir, 'mark.cjs'), '--require', file, '--require', join(dir, 'report.cjs'), '-e', '0'], { encoding: 'utf8' }).stderr.trim())
    // Instructions of node's main thread, made repeatable: fixed hash and random seeds, and V8 on that
    // one thread (without them the count moves by millions between identical runs, as the main thread
    // compiles and collects garbage when its helper threads let it), from a folder with no package.json.
    const fixed = (file) => instructions([process.execPath, '--hash-seed=1', '--random-seed=1', '--single-threaded', '--require', file, '-e', '0'], { cwd: dirname(empty), mainThread: true })
    const ir = { floor: fixed(empty), wrapgen: fixed(preload) }
    const s = { floor: [], wrapgen: [] }
    for (let i = 0; i < rounds * 3; i++) {
      s.floor.push(inside(empty))
      s.wrapgen.push(inside(preload))
    }
    const own = stat(s.wrapgen).q1 - stat(s.floor).q1
    row('node: --require preload.cjs, one empty hook (time inside node from before the --require to after it; main-thread instructions with fixed seeds)', `--require of an empty file: ${f(stat(s.floor).q1, 3)} ms (Q1 of ${rounds * 3}); ${M(ir.floor)}`, `${f(stat(s.wrapgen).q1, 3)} ms; ${M(ir.wrapgen)}`,
      `+${f(own, 3)} ms (Q1 against Q1), +${f((ir.wrapgen - ir.floor) / 1e6, 3)} M instructions — ${own <= 0.3 ? 'met' : 'missed'} (≤ +0.3 ms)`)

    // ---- the real OpenTelemetry Node SDK: wrapgen's bundle against the zero-code way ----
    if (runnersOnly) return
    log('cold: OpenTelemetry node')
    await otelCost({ rows, rounds, log })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The java runner agent with one empty agent against -javaagent: of that agent itself, for an agent
 * whose premain takes (String) (the JVM's own lookup then fails once on the two-argument form) and one
 * whose premain takes (String, Instrumentation). Classes loaded; instructions under -Xint (valgrind:
 * the interpreter runs this code on a real start too, and without the JIT's threads the count repeats
 * to 0.05 %); and CPU time (user + sys, what a Lambda function's fraction of a vCPU pays) and wall time
 * paired run by run, every other round reversed, judged on the median's 95 % interval over `rounds`
 * pairs (JAVA_ROUNDS): at load a single JVM start swings by more than the target.
 */
async function javaCost({ dir, row, rounds }) {
  mkdirSync(join(dir, 'jsrc'))
  // The runtime client reads its environment first thing (AWS_LAMBDA_RUNTIME_API): the stand-in main does too.
  writeFileSync(join(dir, 'jsrc/App.java'), 'public class App { public static void main(String[] a) { System.getenv("AWS_LAMBDA_RUNTIME_API"); } }\n')
  if (spawnSync('javac', ['-d', join(dir, 'app'), join(dir, 'jsrc/App.java')]).status !== 0) return
  const forms = { '(String)': 'String a', '(String, Instrumentation)': 'String a, java.lang.instrument.Instrumentation i' }
  for (const [form, params] of Object.entries(forms)) {
    const name = form.length > 8 ? 'empty2' : 'empty'
    writeFileSync(join(dir, 'jsrc/EmptyAgent.java'), `public class EmptyAgent { public static void premain(${params}) {} }\n`)
    if (spawnSync('javac', ['-d', join(dir, name), join(dir, 'jsrc/EmptyAgent.java')]).status !== 0) return
    const mf = new TextEncoder().encode('Manifest-Version: 1.0\r\nPremain-Class: EmptyAgent\r\n\r\n')
    writeFileSync(join(dir, `${name}.jar`), await zipLayer([{ path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: mf }, { path: 'EmptyAgent.class', mode: 0o644, contents: readFileSync(join(dir, name, 'EmptyAgent.class')) }], ''))
    const jl = await layer(dir, `java-${name}`, { java: { agents: [`./${name}.jar`] } })
    const base = ['java', '-XX:+UseSerialGC', '-Xshare:auto', '-XX:TieredStopAtLevel=1']
    const main = ['-cp', join(dir, 'app'), 'App']
    const java = join(jl, 'wrapgen/java')
    // The direct form attaches the agent's jar as built above, at the depth of the runner's jar (the
    // JVM's class path and zip code walk the path; a shorter one alone was 0.1-0.2 M instructions less):
    // the layer holds no plain copy of it when the runner is written into it (java-hosted.ts).
    const copy = join(java, 'wrapgen-direct.jar')
    copyFileSync(join(dir, `${name}.jar`), copy)
    const variants = { bare: [...base, ...main], own: [...base, `-javaagent:${copy}`, ...main], wrapgen: [...base, `-javaagent:${java}/wrapgen-agents.jar=${java}`, ...main] }
    const classes = (argv) => spawnSync(argv[0], ['-Xlog:class+load', ...argv.slice(1)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes('class,load')).length
    const c = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, classes(v)]))
    const ir = has('valgrind') ? Object.fromEntries(['own', 'wrapgen'].map((k) => [k, instructions([variants[k][0], '-Xint', '-XX:-UsePerfData', ...variants[k].slice(1)])])) : undefined
    const paired = has('python3') ? spawnSync('python3', [join(dirname(fileURLToPath(import.meta.url)), 'paired-rusage.py')], { input: JSON.stringify({ rounds, variants: { own: variants.own, wrapgen: variants.wrapgen } }), encoding: 'utf8', maxBuffer: 1 << 24 }) : undefined
    const runs = paired?.status === 0 ? JSON.parse(paired.stdout) : undefined
    const diff = (i) => runs.wrapgen.map((w, r) => w[i] - runs.own[r][i])
    const judged = (d) => {
      const ci = medianCI(d)
      return { s: stat(d), ci, verdict: ci.hi <= 1 ? 'met' : ci.lo > 1 ? 'missed' : `not decidable with ${rounds} pairs (the interval holds +1 ms; more JAVA_ROUNDS narrow it)` }
    }
    const cpu = runs && judged(diff(0))
    const wall = runs && judged(diff(1))
    const ms = (j) => `${signed(j.s.median)} ms (median of ${rounds} pairs, 95 % interval ${signed(j.ci.lo)} to ${signed(j.ci.hi)})`
    row(`java: runner agent + one empty agent, premain${form} (\`-javaagent:wrapgen-agents.jar\`)`,
      `-javaagent: of the agent itself: ${c.own} classes (bare JVM ${c.bare})${ir ? `; ${M(ir.own)} instructions (-Xint)` : ''}`,
      `${c.wrapgen} classes${ir ? `; ${M(ir.wrapgen)}` : ''}`,
      `${c.wrapgen >= c.own ? '+' : '−'}${Math.abs(c.wrapgen - c.own)} classes${ir ? `, ${pct(ir.wrapgen, ir.own)} instructions (${signed((ir.wrapgen - ir.own) / 1e6)} M)` : ''}; ` +
      (runs ? `CPU time ${ms(cpu)} — ${cpu.verdict} (≤ +1 ms); wall time ${ms(wall)}` : 'no python3 to read the JVM\'s CPU time'))
  }
}

/** The section of docs/benchmarks.md these rows make. */
export function coldSection(rows, load) {
  return [
    '## Cold start against each interpreter\'s floor (issue 20)',
    '',
    'Generated by `node bench/run.mjs --only=cold` (bench/cold.mjs). Instruction counts are valgrind callgrind\'s (`Ir`, every',
    'process of the exec chain, each process image apart): they do not move with the machine\'s load. Times are only',
    'differences to a baseline run in the same round. Stand-in interpreters (a copy of true(1)) for the wrapper rows, so',
    'that only the shell\'s work is counted; the python rows run the real interpreter.',
    '',
    `Load average: ${load}.`,
    '',
    '| benchmark | floor (the mechanism used directly) | wrapgen | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.benchmark} | ${r.floor} | ${r.wrapgen} | ${r.result} |`),
    '',
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
  const rows = []
  const before = loadavg()[0]
  const log = (s) => process.stderr.write(`${s}\n`)
  const rounds = Number(process.env.ROUNDS ?? 21)
  if (process.argv.includes('--only=wrapper')) {
    const dir = mkdtempSync(join(tmpdir(), 'wrapgen-cold-'))
    try {
      writeFileSync(join(dir, 'package.json'), '{"name":"bench-cold","private":true}')
      await wrapperCost({ repo, dir, rounds, log, before: process.env.WRAPGEN_BENCH_BEFORE, row: (benchmark, floor, wrapgen, result) => rows.push({ benchmark, floor, wrapgen, result }) })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  } else await coldCost({ repo, rows, log, rounds, runnersOnly: process.argv.includes('--only=runners') })
  process.stdout.write(coldSection(rows, `${before.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`))
}
