// Real interpreters where installed: the wrapper runs node, python, java, ruby or dotnet itself with a probe
// in place of the runtime's entry, and the probe reports what the interpreter really saw (and its pid:
// a wrapper that forks is seen here too). This is how precedence is verified by effect (a user's
// --max-old-space-size must win on the real heap limit). Every run is in the sandbox, like the rest.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { makeTemp, removeTemp, trackChild } from '../cleanup.js'
import type { Family } from '../config/types.js'
import { packageRoot } from '../package-root.js'
import { simulate } from '../plan/simulate.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { ALIASES, isFileName, readableByAll } from './layout.js'
import { explainFailure, needsLayer, replacerProgram, unusableFiles } from './explain.js'
import { handlersOf, replacerAccepted } from './harness.js'
import { bootstrapScript, bwrapArgs, hiddenInterpreters } from '../sandbox/index.js'
import { TIME_LIMIT, type CheckResult, type Target } from './types.js'
import { overLimit, retryOnTimeout } from '../limits/time-limit.js'
import { buildCsProjects } from './dotnet-build.js'
import { PRELOAD_FILE } from '../plan/types.js'

export interface RealOptions {
  readonly target: Target
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  readonly functionEnv?: Readonly<Record<string, string>>
  readonly memories: readonly number[]
  readonly extraLayers: readonly string[]
}

const probes = join(packageRoot(), 'src/verify/probes')

/** The real interpreter binary for a family (one the sandbox can see: under /usr), or undefined. */
function findInterpreter(family: Family): string | undefined {
  const candidates: Record<Family, readonly string[]> = {
    node: [process.execPath, '/usr/bin/node', '/usr/local/bin/node'],
    python: ['/usr/bin/python3', '/usr/local/bin/python3'],
    java: ['/usr/bin/java', '/usr/local/bin/java'],
    ruby: ['/usr/bin/ruby', '/usr/local/bin/ruby'],
    dotnet: ['/usr/bin/dotnet', '/usr/local/bin/dotnet'],
  }
  for (const c of candidates[family]) {
    if (!existsSync(c)) continue
    const real = realpathSync(c)
    if (real.startsWith('/usr/')) return real
  }
  return undefined
}

interface ProbeRun {
  readonly timedOut: boolean
  readonly code: number | null
  readonly stderr: string
  readonly report: Record<string, unknown> | undefined
  readonly bootstrapPid: number | undefined
}

/** A real interpreter's probe run on an idle machine takes about a second (java); wrapgen's limit, scaled and retried. */
const PROBE_LIMIT_MS = 60_000

function runProbe(args: string[], env: Record<string, string>, limitMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const child = spawn('bwrap', args, { cwd: '/', env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'pipe'] })
    trackChild(child, false)
    let stderr = ''
    let fd3 = ''
    let boot = ''
    child.stdio[2]?.on('data', (c: Buffer) => (stderr += c.toString()))
    child.stdio[3]?.on('data', (c: Buffer) => (fd3 += c.toString()))
    ;(child.stdio as unknown as Array<NodeJS.ReadableStream | null>)[7]?.on('data', (c: Buffer) => (boot += c.toString()))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, limitMs)
    child.on('error', () => {})
    child.on('close', (code) => {
      clearTimeout(timer)
      let report: Record<string, unknown> | undefined
      try {
        const marked = /^@wrapgen-probe (.*)$/m.exec(stderr)?.[1]
        const text = fd3 || marked
        report = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
      } catch {
        report = undefined
      }
      resolve({ timedOut, code, stderr: stderr.replace(/^@wrapgen-probe .*\n?/m, ''), report, bootstrapPid: boot.trim() ? Number(boot.trim()) : undefined })
    })
  })
}

/** A replacer's program in the real check: reports its pid (the same process as the bootstrap's) and ends. */
const PROGRAM = '#!/bin/sh\n# stand-in for the function\'s own program (a runtime replacer runs it)\nprintf \'{"pid":%s,"program":true}\' "$$" >&3\n'

/** Options in AWS's java argv that name files only AWS's image has; the real JVM here would refuse them. */
const AWS_ONLY_JAVA = [/^-javaagent:/, /^-XX:SharedArchiveFile=/, /^-Xshare:on$/]

export async function runRealChecks(opts: RealOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const root = makeTemp('real')
  chmodSync(root, 0o755)
  try {
    const runtimeDir = join(root, 'runtime')
    mkdirSync(join(runtimeDir, 'probes'), { recursive: true })
    copyFileSync(bootstrapScript(), join(runtimeDir, 'bootstrap.sh'))
    chmodSync(join(runtimeDir, 'bootstrap.sh'), 0o755)
    for (const f of ['probe.cjs', 'probe.py', 'probe.rb']) copyFileSync(join(probes, f), join(runtimeDir, 'probes', f))
    const opt = join(root, 'opt')
    cpSync(opts.target.layerDir, opt, { recursive: true })
    for (const extra of opts.extraLayers) cpSync(extra, opt, { recursive: true, force: true })
    chmodSync(opt, 0o755)
    const task = join(root, 'task')
    mkdirSync(task)
    // An accepted runtime replacer runs the function's own program: a stand-in that reports its pid.
    const handlers = handlersOf({ fixtures: opts.fixtures, commonEnv: opts.commonEnv, ...(opts.functionEnv ? { functionEnv: opts.functionEnv } : {}) })
    if (replacerAccepted(opts.target)) for (const name of ['run.sh', ...handlers].filter(isFileName)) writeFileSync(join(task, name), PROGRAM, { mode: 0o755 })
    const javaClasses = join(runtimeDir, 'classes')
    readableByAll(root)
    const families = new Map<Family, string | undefined>()
    const heapRefs = new Map<string, number>()
    let javaCompiled: boolean | undefined
    let dotnetProbe: string | { reason: string } | undefined
    const chain = opts.target.kind === 'layer' ? opts.target.chain.map((w) => w.path) : []
    const rid = (f: RuntimeFixture): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)
    const row = (f: RuntimeFixture, memory: number, status: CheckResult['status'], detail: string): void =>
      void results.push({ runtime: rid(f), memory, shell: 'exec', check: 'real', status, detail })

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
          const inst = expandRuntime(fixture, { memory, commonEnv: opts.commonEnv, ...(opts.functionEnv ? { functionEnv: opts.functionEnv } : {}) })
          // This runtime's /var/lang: its interpreter only, the real one.
          const lang = join(root, 'lang', `${fixture.id}.${fixture.mode}.${memory}`)
          mkdirSync(join(lang, 'bin'), { recursive: true })
          // The names the runtime's /var/lang/bin has for it (python3.12, python3 and python), so a
          // wrapper run by `#!/usr/bin/env python` finds its interpreter here as on Lambda.
          for (const name of new Set([basename(argv0), ...(ALIASES[family] ?? [])])) symlinkSync(bin, join(lang, 'bin', name))
          readableByAll(lang)
          let argv = [...inst.argv]
          const entryAt = argv.indexOf(fixture.entry!)
          const probe = family === 'node' ? '/var/runtime/probes/probe.cjs' : family === 'python' ? '/var/runtime/probes/probe.py' : family === 'ruby' ? '/var/runtime/probes/probe.rb' : family === 'dotnet' ? '/var/runtime/dotnet/WrapgenProbe/bin/WrapgenProbe.dll' : 'WrapgenProbe'
          argv[entryAt] = probe
          if (family === 'dotnet') {
            // Built once with the SDK here; its deps and runtimeconfig files stand in for the function's.
            if (dotnetProbe === undefined) {
              const built = buildCsProjects(join(runtimeDir, 'dotnet'), [{ name: 'WrapgenProbe', kind: 'exe', source: readFileSync(join(probes, 'WrapgenProbe.cs'), 'utf8') }])
              dotnetProbe = 'reason' in built ? built : built.dll.WrapgenProbe!
              if (typeof dotnetProbe === 'string') {
                cpSync(dirname(dotnetProbe), join(runtimeDir, 'dotnet/WrapgenProbe/bin'), { recursive: true })
                readableByAll(join(runtimeDir, 'dotnet'))
              }
            }
            if (typeof dotnetProbe !== 'string') return row(fixture, memory, 'skip', `cannot build the .NET probe: ${dotnetProbe.reason}`)
            const swap = (option: string, file: string): void => {
              const i = argv.indexOf(option)
              if (i >= 0) argv[i + 1] = `/var/runtime/dotnet/WrapgenProbe/bin/${file}`
            }
            swap('--depsfile', 'WrapgenProbe.deps.json')
            swap('--runtimeconfig', 'WrapgenProbe.runtimeconfig.json')
          }
          if (family === 'java') {
            if (javaCompiled === undefined) {
              javaCompiled = spawnSync('javac', ['-d', javaClasses, join(probes, 'WrapgenProbe.java')]).status === 0
              if (javaCompiled) readableByAll(javaClasses)
            }
            if (!javaCompiled) return row(fixture, memory, 'skip', 'javac not installed: cannot compile the java probe')
            argv = argv.filter((a) => !AWS_ONLY_JAVA.some((re) => re.test(a)))
            const cp = argv.findIndex((a) => a === '-classpath' || a === '-cp')
            if (cp >= 0) argv[cp + 1] = '/var/runtime/classes'
          }
          const env: Record<string, string> = { ...inst.env, ...opts.functionEnv, AWS_LAMBDA_EXEC_WRAPPER: opts.target.wrapper }
          const binds: Array<[string, string]> = [[opt, '/opt'], [task, '/var/task'], [runtimeDir, '/var/runtime'], [lang, '/var/lang']]
          const limited = await retryOnTimeout(PROBE_LIMIT_MS, (ms) => runProbe(bwrapArgs(binds, ['/var/runtime/bootstrap.sh', '-', ...argv], env, { hide: hiddenInterpreters([bin]) }), env, ms), (r) => r.timedOut)
          const run = limited.result
          if (limited.timedOut) return void results.push({ runtime: rid(fixture), memory, shell: 'exec', check: 'real', status: 'fail', detail: overLimit(`the real ${family} with the probe`, limited.tries), cause: TIME_LIMIT })
          if (!run.report) {
            // Said as what it is: the vendor's layer not given, a file of it unusable, or a replacer.
            const e = explainFailure(run.stderr.split('\n'), opt, handlers)
            if (e.program) return row(fixture, memory, 'skip', `${replacerProgram(e.program, false)} (see argv)`)
            const bad = unusableFiles(e)
            if (bad) return row(fixture, memory, 'fail', `the real ${family} could not start: ${bad}`)
            const needs = needsLayer(e)
            if (needs) return row(fixture, memory, 'skip', `${needs}; the real ${family} could not start without it`)
          }
          if (!run.report) return row(fixture, memory, 'fail', `the real ${family} did not run the probe (exit ${run.code}): ${run.stderr.trim().split('\n').filter((l) => /error|not found|denied|cannot|unrecognized|invalid|bad/i.test(l)).slice(0, 2).join(' | ') || run.stderr.trim().split('\n').slice(-1)[0] || ''}`)
          if (run.report.pid !== run.bootstrapPid) return row(fixture, memory, 'fail', `the real ${family} ran as pid ${run.report.pid}, not the bootstrap's ${run.bootstrapPid}: the wrapper forked instead of exec`)
          if (run.code !== 0) return row(fixture, memory, 'fail', `the real ${family} ran the probe but the run ended with exit ${run.code}`)
          if (opts.target.kind !== 'layer') return row(fixture, memory, 'pass', '')
          const expected = simulate(opts.target.plan, { argv, env, wrapperDir: opts.target.wrapper.slice(0, opts.target.wrapper.lastIndexOf('/')) })
          // Chained wrappers come first in what wrapgen execs; the interpreter's argv starts after them.
          let exp = expected.argv ?? []
          while (exp.length && chain.includes(exp[0]!)) exp = exp.slice(1)
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
    removeTemp(root)
  }
}

const show = (v: unknown): string => JSON.stringify(v)

export function checkFamily(family: Family, report: Record<string, unknown>, exp: readonly string[], probe: string, env: Readonly<Record<string, string>>, target: Extract<Target, { kind: 'layer' }>, heapRefs: Map<string, number>): string | undefined {
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
  if (family === 'dotnet') {
    const args = report.argv as string[]
    if (show(args) !== show(exp.slice(at + 1))) return `the program's arguments in .NET are ${show(args)}, expected ${show(exp.slice(at + 1))}`
    if ((report.startupHooks ?? undefined) !== env.DOTNET_STARTUP_HOOKS) return `DOTNET_STARTUP_HOOKS is ${show(report.startupHooks)}, expected ${show(env.DOTNET_STARTUP_HOOKS)}`
    // The configured host options sat before the entry: the host took them as its own (an unknown one
    // stops the run), since the program's arguments above hold none of them.
    return undefined
  }
  const args = report.argv as string[]
  if (show(args) !== show(exp.slice(at + 1))) return `ruby's ARGV is ${show(args)}, expected ${show(exp.slice(at + 1))}`
  if ((report.rubyopt ?? undefined) !== env.RUBYOPT) return `RUBYOPT is ${show(report.rubyopt)}, expected ${show(env.RUBYOPT)}`
  return undefined
}
