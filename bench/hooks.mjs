// Startup hooks per runtime (issue 7): each mechanism against the bare interpreter and against the
// interpreter's own mechanism, in the same run, and against the way vendors do it today (a bash
// wrapper that exports NODE_OPTIONS / JAVA_TOOL_OPTIONS / PYTHONPATH / RUBYOPT / DOTNET_STARTUP_HOOKS). Every hook is empty,
// so what is measured is the mechanism. Also the empty --require preload measured inside the process
// (hrtime before and after it), which a loaded machine's process-start noise cannot drown.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { zipLayer } from '../dist/src/layer/zip.js'
import { buildCsProjects } from '../dist/src/verify/dotnet-build.js'
import { f, signed, stat } from './stats.mjs'

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

// CPU time (perf's task-clock: every thread and child, in ms) beside wall time, where perf works: a
// busy machine stretches wall time by whatever else runs, CPU time much less.
let perfFile
const perfWorks = () => {
  if (perfFile !== undefined) return perfFile !== null
  perfFile = join(tmpdir(), `wrapgen-bench-perf-${process.pid}.csv`)
  const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', perfFile, '--', 'true'], { stdio: 'ignore' })
  if (r.status !== 0 || !Number.isFinite(readCpu())) perfFile = null
  return perfFile !== null
}
const readCpu = () => Number(readFileSync(perfFile, 'utf8').split('\n').find((l) => l.includes('task-clock'))?.split(',')[0])

function timed(argv, env) {
  const cmd = perfWorks() ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', perfFile, '--', ...argv] : argv
  const t0 = performance.now()
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { wall: ms, cpu: perfFile ? readCpu() : NaN }
}

/** Each variant once per round, rotating; the cost of each is the median of its per-round difference to `bare`. */
function paired(variants, rounds) {
  const names = Object.keys(variants)
  const s = Object.fromEntries(names.map((k) => [k, []]))
  for (let r = 0; r < rounds; r++) for (let i = 0; i < names.length; i++) {
    const n = names[(r + i) % names.length]
    s[n].push(variants[n]())
  }
  const out = {}
  for (const n of names) {
    const wall = s[n].map((x) => x.wall)
    const cpu = s[n].map((x) => x.cpu)
    out[n] = { ...stat(wall), diff: stat(wall.map((v, i) => v - s.bare[i].wall)), cpu: stat(cpu), cpuDiff: stat(cpu.map((v, i) => v - s.bare[i].cpu)) }
  }
  return out
}

export async function hooksCost({ repo, rows, rounds, log }) {
  log('5. startup hooks per runtime')
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-bench-hooks-'))
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' }
  const vendor = (name, text) => {
    const p = join(dir, `vendor-${name}.sh`)
    writeFileSync(p, `#!/bin/bash\n${text}\nexec "$@"\n`)
    chmodSync(p, 0o755)
    return p
  }
  const layer = async (name, config) => join(writeLayer(await buildLayer(await openConfig({ cwd: dir, config: { name, ...config } })), join(dir, name)).layerDir, 'wrapgen/exec')
  const report = (label, r, extra = '', ownLabel = "the interpreter's own way, no wrapper") => {
    const cell = (k) => `${signed(r[k].diff.median)} ms${Number.isNaN(r[k].cpuDiff.median) ? '' : ` (CPU ${signed(r[k].cpuDiff.median)})`}`
    row(rows, label, `${f(r.bare.median)} ms (IQR ${f(r.bare.q1)}–${f(r.bare.q3)})`, `${f(r.wrapgen.median)} ms (IQR ${f(r.wrapgen.q1)}–${f(r.wrapgen.q3)})`,
      `wrapgen ${cell('wrapgen')}; ${ownLabel} ${cell('own')}; vendor bash wrapper ${cell('vendor')}${extra}`)
    log(`  ${label}: ${Object.entries(r).map(([k, v]) => `${k} ${f(v.median)} (${signed(v.diff.median)}, cpu ${signed(v.cpuDiff.median)})`).join(', ')}`)
  }
  try {
    writeFileSync(join(dir, 'package.json'), '{"name":"bench-hooks","private":true}')
    // ---- python: runner + one empty hook vs bare, vs PYTHONPATH + sitecustomize ----
    if (has('python3')) {
      writeFileSync(join(dir, 'entry.py'), '')
      writeFileSync(join(dir, 'hook.py'), '')
      mkdirSync(join(dir, 'pyvendor'))
      writeFileSync(join(dir, 'pyvendor/sitecustomize.py'), 'import hook\n')
      writeFileSync(join(dir, 'pyvendor/hook.py'), '')
      const wrapper = await layer('bench-python', { python: { preloads: ['./hook.py'] } })
      const runner = join(dir, 'bench-python/layer/wrapgen/python/run.py')
      const v = vendor('python', `export PYTHONPATH=${join(dir, 'pyvendor')}\${PYTHONPATH:+:$PYTHONPATH}`)
      const py = ['python3', join(dir, 'entry.py')]
      const r = paired({
        bare: () => timed(py, env),
        own: () => timed(['python3', runner, join(dir, 'entry.py')], env),
        wrapgen: () => timed(['dash', wrapper, ...py], env),
        vendor: () => timed([v, ...py], env),
      }, rounds)
      report('python: one empty hook (wrapper → python run.py entry) vs bare `python3 entry.py`', r, ' (the vendor way also drops /opt/python from sys.path on Lambda)', 'the runner alone, no wrapper')
    }
    // ---- java: runner agent + one empty agent vs bare, vs -javaagent, vs JAVA_TOOL_OPTIONS ----
    if (has('javac') && has('java')) {
      mkdirSync(join(dir, 'jsrc'))
      writeFileSync(join(dir, 'jsrc/Empty.java'), 'public class Empty { public static void premain(String a) {} public static void main(String[] a) {} }\n')
      if (spawnSync('javac', ['-d', join(dir, 'jcls'), join(dir, 'jsrc/Empty.java')]).status === 0) {
        const mf = new TextEncoder().encode('Manifest-Version: 1.0\r\nPremain-Class: Empty\r\n\r\n')
        writeFileSync(join(dir, 'empty.jar'), await zipLayer([{ path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: mf }, { path: 'Empty.class', mode: 0o644, contents: readFileSync(join(dir, 'jcls/Empty.class')) }], ''))
        const wrapper = await layer('bench-java', { java: { agents: ['./empty.jar'] } })
        const v = vendor('java', `export JAVA_TOOL_OPTIONS="-javaagent:${join(dir, 'empty.jar')}\${JAVA_TOOL_OPTIONS:+ $JAVA_TOOL_OPTIONS}"`)
        const java = ['java', '-XX:+UseSerialGC', '-Xshare:auto', '-cp', join(dir, 'jcls'), 'Empty', 'example.App::handle']
        const r = paired({
          bare: () => timed(java, env),
          own: () => timed(['java', '-XX:+UseSerialGC', '-Xshare:auto', `-javaagent:${join(dir, 'empty.jar')}`, '-cp', join(dir, 'jcls'), 'Empty', 'example.App::handle'], env),
          wrapgen: () => timed(['dash', wrapper, ...java], env),
          vendor: () => timed([v, ...java], env),
        }, rounds)
        report('java: one empty agent (wrapper → -javaagent:wrapgen-agents.jar → the agent) vs bare JVM', r, '; the vendor way also prints "Picked up JAVA_TOOL_OPTIONS" on stderr and reaches every child JVM')
      }
    }
    // ---- ruby: -r runner + one empty hook vs bare, vs -r hook, vs RUBYOPT ----
    if (has('ruby')) {
      writeFileSync(join(dir, 'entry.rb'), '')
      writeFileSync(join(dir, 'hook.rb'), '')
      const wrapper = await layer('bench-ruby', { ruby: { preloads: ['./hook.rb'] } })
      const v = vendor('ruby', `export RUBYOPT="-r${join(dir, 'hook.rb')}\${RUBYOPT:+ $RUBYOPT}"`)
      const rb = ['ruby', join(dir, 'entry.rb')]
      const r = paired({
        bare: () => timed(rb, env),
        own: () => timed(['ruby', `-r${join(dir, 'hook.rb')}`, join(dir, 'entry.rb')], env),
        wrapgen: () => timed(['dash', wrapper, ...rb], env),
        vendor: () => timed([v, ...rb], env),
      }, rounds)
      report('ruby: one empty hook (wrapper → ruby -r run.rb) vs bare `ruby entry.rb`', r)
    }
    // ---- dotnet: runner + one empty startup hook vs bare, vs DOTNET_STARTUP_HOOKS=the hook ----
    if (has('dotnet')) {
      const built = buildCsProjects(join(dir, 'dn'), [
        { name: 'Empty.Hook', kind: 'library', source: 'internal static class StartupHook { public static void Initialize() { } }\n' },
        { name: 'App', kind: 'exe', source: 'public static class Program { public static int Main() => 0; }\n' },
      ])
      if ('dll' in built) {
        const hook = built.dll['Empty.Hook']
        writeFileSync(join(dir, 'Empty.Hook.dll'), readFileSync(hook))
        const wrapper = await layer('bench-dotnet', { runtimes: ['dotnet8'], dotnet: { startupHooks: ['./Empty.Hook.dll'] } })
        const v = vendor('dotnet', `export DOTNET_STARTUP_HOOKS="${hook}\${DOTNET_STARTUP_HOOKS:+:$DOTNET_STARTUP_HOOKS}"`)
        const dn = ['dotnet', 'exec', built.dll.App]
        const denv = { ...env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' }
        const r = paired({
          bare: () => timed(dn, denv),
          own: () => timed(dn, { ...denv, DOTNET_STARTUP_HOOKS: hook }),
          wrapgen: () => timed(['dash', wrapper, ...dn], denv),
          vendor: () => timed([v, ...dn], denv),
        }, rounds)
        report('dotnet: one empty startup hook (wrapper → DOTNET_STARTUP_HOOKS=runner → the hook) vs bare `dotnet exec app.dll`', r, '; listed directly (own way and vendor way), a hook that throws or is missing ends the process', 'DOTNET_STARTUP_HOOKS=the hook, no wrapper')
      } else log(`  dotnet skipped: ${built.reason}`)
    }
    // ---- node: --import runner + one empty import hook vs bare, vs --require, vs NODE_OPTIONS --import ----
    {
      writeFileSync(join(dir, 'entry.mjs'), '')
      writeFileSync(join(dir, 'empty.mjs'), '')
      writeFileSync(join(dir, 'empty.cjs'), '')
      const wrapper = await layer('bench-node-import', { node: { imports: ['./empty.mjs'] } })
      const v = vendor('node', `export NODE_OPTIONS="\${NODE_OPTIONS:+$NODE_OPTIONS }--import ${join(dir, 'empty.mjs')}"`)
      const node = [process.execPath, join(dir, 'entry.mjs')]
      const r = paired({
        bare: () => timed(node, env),
        require: () => timed([process.execPath, '--require', join(dir, 'empty.cjs'), join(dir, 'entry.mjs')], env),
        own: () => timed([process.execPath, '--import', join(dir, 'empty.mjs'), join(dir, 'entry.mjs')], env),
        wrapgen: () => timed(['dash', wrapper, ...node], env),
        vendor: () => timed([v, ...node], env),
      }, rounds)
      report('node: one empty ES module hook (wrapper → --import import.mjs) vs bare `node entry.mjs`', r, `; node's own --require of an empty file ${signed(r.require.diff.median)} ms`)
    }
    // ---- the empty --require preload, inside the process ----
    {
      const preload = join(writeLayer(await buildLayer(await openConfig({ cwd: repo, config: { name: 'bench-empty-inproc', node: { preloads: ['./bench/fixtures/empty-preload/hook.js'] } } })), join(dir, 'inproc')).layerDir, 'wrapgen/preload.cjs')
      writeFileSync(join(dir, 'mark.cjs'), 'globalThis.__wrapgenT0 = process.hrtime.bigint()\n')
      writeFileSync(join(dir, 'report.cjs'), 'const d = Number(process.hrtime.bigint() - globalThis.__wrapgenT0) / 1e6\nrequire("node:fs").writeSync(2, `${d}\\n`)\n')
      const inside = (file) => {
        const r = spawnSync(process.execPath, ['--require', join(dir, 'mark.cjs'), '--require', file, '--require', join(dir, 'report.cjs'), '-e', '0'], { encoding: 'utf8', env })
        return Number(r.stderr.trim())
      }
      const s = { floor: [], wrapgen: [] }
      for (let i = 0; i < rounds * 2; i++) {
        s.floor.push(inside(join(dir, 'empty.cjs')))
        s.wrapgen.push(inside(preload))
      }
      const fl = stat(s.floor)
      const wg = stat(s.wrapgen)
      // The lower quartile: scheduling delays only ever add time, so it is the closest to the work itself.
      const own = wg.q1 - fl.q1
      row(rows, 'empty preload measured inside node: the time --require of the bundle takes (hrtime before and after it) vs --require of an empty file',
        `empty file ${f(fl.median, 3)} ms (Q1 ${f(fl.q1, 3)})`, `wrapgen ${f(wg.median, 3)} ms (Q1 ${f(wg.q1, 3)})`,
        `${signed(own)} ms of wrapgen's own work (Q1 against Q1) — ${own <= 0.5 ? 'within' : 'over'} 0.5 ms of node's --require floor`)
      log(`  in-process: empty file ${f(fl.q1, 3)} wrapgen ${f(wg.q1, 3)}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    if (perfFile) rmSync(perfFile, { force: true })
  }
}

function row(rows, benchmark, baseline, candidate, verdict) {
  rows.push({ benchmark, baseline, candidate, target: 'report', verdict })
}

/** The section of docs/benchmarks.md these rows make. */
export function hooksSection(rows, rounds, load) {
  return [
    '## Startup hooks per runtime',
    '',
    `Generated by \`npm run bench\` (or \`node bench/run.mjs --only=hooks\`, which rewrites only this section), bench/hooks.mjs. ${rounds} interleaved rounds; every cost is the median of per-round`,
    'differences to the bare interpreter run in the same round (wall time of whole processes). Each hook is empty, so the',
    "mechanism is what is measured: wrapgen = the generated wrapper (run by dash) and the runtime's runner; the vendor way = a",
    'bash script that exports NODE_OPTIONS / JAVA_TOOL_OPTIONS / PYTHONPATH / RUBYOPT / DOTNET_STARTUP_HOOKS and execs the command.',
    ...(load ? ['', `Load average while it ran: ${load}. On a machine busier than its CPU count, process start times vary by tens of milliseconds and`, 'these differences are noise; the in-process row (last) is the one that stays meaningful.'] : []),
    '',
    'Costs are wall-time differences, with the CPU-time difference (perf task-clock: all threads and children) in brackets',
    'where perf works: on a busy machine the CPU figure is the steadier one.',
    '',
    '| benchmark | bare (median, IQR) | wrapgen (median, IQR) | costs against bare |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.benchmark} | ${r.baseline} | ${r.candidate} | ${r.verdict} |`),
    '',
  ].join('\n')
}
