// Real interpreters where installed: the wrapper runs node, python, java or ruby itself with a probe
// in place of the runtime's entry, and the probe reports what the interpreter really saw. This is how
// precedence is verified by effect (a user's --max-old-space-size must win on the real heap limit).
// Runs path-mapped: the real binaries and their libraries live on the host.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, cpSync, copyFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Family } from '../config/types.js'
import { packageRoot } from '../package-root.js'
import { simulate } from '../plan/simulate.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Target } from './verify.js'
import type { CheckResult } from './types.js'
import { PRELOAD_FILE } from '../plan/types.js'

export interface RealOptions {
  readonly target: Target
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  readonly memories: readonly number[]
}

const probes = join(packageRoot(), 'src/verify/probes')

/** The real interpreter binary for a family, or undefined when it is not installed. */
function findInterpreter(family: Family): string | undefined {
  const which = (cmd: string): string | undefined => {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() || undefined : undefined
  }
  if (family === 'node') return process.execPath
  if (family === 'python') {
    const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  const found = which(family)
  return found ? realpathSync(found) : undefined
}

interface ProbeRun {
  readonly code: number | null
  readonly stderr: string
  readonly report: Record<string, unknown> | undefined
}

function runProbe(bootstrap: string, argv: readonly string[], env: Record<string, string>, cwd: string): Promise<ProbeRun> {
  const outFile = join(cwd, `probe-${Math.random().toString(36).slice(2)}.json`)
  env = { ...env, WRAPGEN_PROBE_OUT: outFile }
  return new Promise((resolve) => {
    const child = spawn(bootstrap, ['-', ...argv], { cwd, env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore'] })
    let stderr = ''
    let fd3 = ''
    child.stdio[2]?.on('data', (c: Buffer) => (stderr += c.toString()))
    child.stdio[3]?.on('data', (c: Buffer) => (fd3 += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      let report: Record<string, unknown> | undefined
      try {
        if (!fd3 && existsSync(outFile)) fd3 = readFileSync(outFile, 'utf8')
        report = fd3 ? (JSON.parse(fd3) as Record<string, unknown>) : undefined
      } catch {
        report = undefined
      }
      resolve({ code, stderr, report })
    })
  })
}

/** Options in AWS's java argv that name files only AWS's image has; the real JVM here would refuse them. */
const AWS_ONLY_JAVA = [/^-javaagent:/, /^-XX:SharedArchiveFile=/, /^-Xshare:on$/]

export async function runRealChecks(opts: RealOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const root = mkdtempSync(join(tmpdir(), 'wrapgen-real-'))
  try {
    const bootstrap = join(root, 'bootstrap.sh')
    copyFileSync(join(packageRoot(), 'src/verify/assets/bootstrap.sh'), bootstrap)
    chmodSync(bootstrap, 0o755)
    const layer = join(root, 'opt')
    cpSync(opts.target.layerDir, layer, { recursive: true })
    const wrapper = join(layer, opts.target.wrapper.slice(5))
    const task = join(root, 'task')
    mkdirSync(task)
    const javaClasses = join(root, 'classes')
    const families = new Map<Family, string | undefined>()
    const heapRefs = new Map<string, number>()
    let javaCompiled: boolean | undefined
    const row = (f: RuntimeFixture, memory: number, status: CheckResult['status'], detail: string): void =>
      void results.push({ runtime: f.mode === 'default' ? f.id : `${f.id}:${f.mode}`, memory, shell: 'sh', check: 'real', status, detail })

    const jobs: Array<() => Promise<void>> = []
    for (const fixture of opts.fixtures) {
      const family = fixture.family as Family
      if (!families.has(family)) families.set(family, findInterpreter(family))
      const bin = families.get(family)
      const argv0 = String(fixture.argv[0])
      for (const memory of family === 'node' ? opts.memories : opts.memories.slice(0, 1)) {
        if (!bin || fixture.entry === null) {
          row(fixture, memory, 'skip', fixture.entry === null ? 'no interpreter to run (single-file executable): environment checked with the stand-in' : `${family} not installed: argv checked with the stand-in`)
          continue
        }
        jobs.push(async () => {
          const inst = expandRuntime(fixture, { memory, commonEnv: opts.commonEnv })
          const dir = join(root, `${fixture.id}.${fixture.mode}.${memory}`)
          mkdirSync(join(dir, 'bin'), { recursive: true })
          const interp = join(dir, 'bin', basename(argv0))
          symlinkSync(bin, interp)
          let argv = inst.argv.map((a, i) => (i === 0 ? interp : a))
          const entryAt = argv.indexOf(fixture.entry!)
          const probe = family === 'node' ? join(probes, 'probe.cjs') : family === 'python' ? join(probes, 'probe.py') : family === 'ruby' ? join(probes, 'probe.rb') : 'WrapgenProbe'
          argv[entryAt] = probe
          if (family === 'java') {
            javaCompiled ??= spawnSync('javac', ['-d', javaClasses, join(probes, 'WrapgenProbe.java')]).status === 0
            if (!javaCompiled) return row(fixture, memory, 'skip', 'javac not installed: cannot compile the java probe')
            argv = argv.filter((a) => !AWS_ONLY_JAVA.some((re) => re.test(a)))
            const cp = argv.findIndex((a) => a === '-classpath' || a === '-cp')
            if (cp >= 0) argv[cp + 1] = javaClasses
          }
          if (family === 'dotnet') return row(fixture, memory, 'skip', 'dotnet probe not available here: argv checked with the stand-in')
          const env: Record<string, string> = { ...inst.env, PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_LAMBDA_EXEC_WRAPPER: wrapper }
          const run = await runProbe(bootstrap, argv, env, task)
          if (run.code !== 0 || !run.report) return row(fixture, memory, 'fail', `the real ${family} did not run the probe (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
          if (opts.target.kind !== 'layer') return row(fixture, memory, 'pass', '')
          const expected = simulate(opts.target.plan, { argv, env, wrapperDir: join(layer, opts.target.wrapper.slice(5, opts.target.wrapper.lastIndexOf('/'))) })
          const exp = expected.argv ?? []
          const problem = checkFamily(family, run.report, exp, probe, expected.env, opts.target, heapRefs)
          row(fixture, memory, problem ? 'fail' : 'pass', problem ?? '')
        })
      }
    }
    // Two at a time: real interpreters are heavier than the stand-in.
    const queue = [...jobs]
    await Promise.all([0, 1].map(async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job()
    }))
    return results
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

const show = (v: unknown): string => JSON.stringify(v)

function checkFamily(family: Family, report: Record<string, unknown>, exp: readonly string[], probe: string, env: Readonly<Record<string, string>>, target: Extract<Target, { kind: 'layer' }>, heapRefs: Map<string, number>): string | undefined {
  const at = exp.indexOf(probe)
  if (family === 'node') {
    const execArgv = report.execArgv as string[]
    const want = exp.slice(1, at)
    if (show(execArgv) !== show(want)) return `node's execArgv is ${show(execArgv)}, expected ${show(want)}`
    if (target.plan.families.node.requires.includes(PRELOAD_FILE) && report.preloadRan !== true) return 'the preload did not run before the entry'
    // Precedence by effect: the heap limit equals that of node started with only the winning flags.
    const fromOptions = (env.NODE_OPTIONS ?? '').split(' ').filter(Boolean)
    const winners = ['--max-old-space-size', '--max-semi-space-size']
      .map((name) => [...fromOptions, ...execArgv].filter((a) => a.replace(/_/g, '-').startsWith(`${name}=`)).pop())
      .filter((a): a is string => !!a)
    const k = winners.join(' ')
    if (!heapRefs.has(k)) heapRefs.set(k, Number(spawnSync(process.execPath, [...winners, '-p', 'v8.getHeapStatistics().heap_size_limit'], { encoding: 'utf8', env: {} }).stdout.trim()))
    if (report.heapSizeLimit !== heapRefs.get(k)) return `heap limit ${report.heapSizeLimit} differs from node run with only ${k || 'no memory flags'} (${heapRefs.get(k)}): the winning flag is not the expected one`
    return undefined
  }
  if (family === 'python') {
    const orig = report.origArgv as string[] | null
    if (orig && show(orig.slice(1)) !== show(exp.slice(1))) return `python's sys.orig_argv[1:] is ${show(orig.slice(1))}, expected ${show(exp.slice(1))}`
    const x = exp.flatMap((a, i) => (a === '-X' ? [exp[i + 1]!] : a.startsWith('-X') && a.length > 2 ? [a.slice(2)] : [])).slice(0, at)
    const xo = report.xoptions as Record<string, unknown>
    const lost = x.map((o) => o.split('=')[0]!).find((o) => !(o in xo))
    return lost ? `python did not apply -X ${lost} (sys._xoptions: ${show(xo)})` : undefined
  }
  if (family === 'java') {
    const input = report.inputArguments as string[]
    // The configured flags as the simulator placed them (just before the entry), layer paths resolved.
    const flags = exp.slice(at - target.plan.families.java.flags.length, at)
    const missing = flags.find((f) => !input.includes(f))
    if (missing) return `the JVM did not receive ${show(missing)} (input arguments: ${show(input)})`
    // Later options win in the JVM: the configured flags must be the last it received.
    if (flags.length && show(input.slice(-flags.length)) !== show(flags)) return `configured JVM flags are not the last input arguments, so the runtime's own could win: ${show(input)}`
    return undefined
  }
  const args = report.argv as string[]
  if (show(args) !== show(exp.slice(at + 1))) return `ruby's ARGV is ${show(args)}, expected ${show(exp.slice(at + 1))}`
  if ((report.rubyopt ?? undefined) !== env.RUBYOPT) return `RUBYOPT is ${show(report.rubyopt)}, expected ${show(env.RUBYOPT)}`
  return undefined
}
