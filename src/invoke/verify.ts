// invoke's column of `wrapgen verify` (verify/column.ts), as compose/verify.ts is compose's: the
// `real` and `hooks` rows of python and java runtimes on AWS's real runtime clients, where they are
// installed (python.ts, java.ts find them): the function starts as Lambda starts it (bootstrap -> the
// layer's wrapper -> the interpreter -> wrapgen's runner -> the client) in invoke's sandbox, and a
// probe function, loaded by the client as a handler, reports what it sees.
// real: the interpreter's argv (python: sys.orig_argv and -X options; java: the JVM's input
// arguments) is what the plan says, judged as the probe-entry run is (verify's checkFamily). hooks:
// probe hooks in place of the configured ones ran in order in the handler's process before it loaded,
// a throwing one is one stderr line, a critical one gives Lambda's init error; sys.path, sys.argv and
// __file__ (python) or java.class.path, sun.java.command and user.dir (java) are those of the same
// start without the layer, and sys.modules or the other system properties those of the layer without
// its hooks (the config's flags may change them on purpose: -X dev loads modules, -D sets properties).
// The runtimes it covers are left out of verify's own real column; where a client is missing, that
// column's emulated-bootstrap checks run instead (verify/real.ts, hooks.ts).
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildLayer } from '../build.js'
import { makeTemp, removeTemp } from '../cleanup.js'
import type { ResolvedConfig } from '../config/types.js'
import { writeLayer } from '../layer/write.js'
import { simulate } from '../plan/simulate.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { overLimit, retryOnTimeout } from '../limits/time-limit.js'
import { checkFamily, missingHookModules, probeFor, realRunsBlocked, TIME_LIMIT, type CheckResult, type Column, type Probe, type Target } from '../verify/index.js'
import { clientFor } from './client-for.js'
import type { RuntimeClient } from './clients.js'
import { runInvoke, type InvokeRun } from './run.js'

export interface ClientCheckOptions {
  readonly target: Target
  /** The config, for the hooks column (probe layers are built from it). */
  readonly config?: ResolvedConfig | undefined
  readonly fixtures: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
  readonly functionEnv?: Readonly<Record<string, string>>
  readonly memories: readonly number[]
  readonly extraLayers: readonly string[]
}

export interface ClientChecks {
  readonly rows: CheckResult[]
  /** Runtimes whose real and hooks columns ran on the client (the other checks still run as before). */
  readonly covered: ReadonlySet<string>
  /** Which client ran each covered runtime: `python3.12: awslambdaric 4.2.2 on python 3.12.1`. */
  readonly ran: ReadonlyArray<{ readonly runtime: string; readonly checks: readonly string[]; readonly ran: string }>
  /** Python and java runtimes left to the emulated bootstrap, and why (the line invoke prints). */
  readonly missing: ReadonlyArray<{ readonly runtime: string; readonly why: string }>
}

const LOG = '/tmp/wrapgen-verify-hooks.log'

const PY_PROBE = `# wrapgen verify's probe function: what the handler sees once AWS's client has loaded it.
import os, sys
def handler(event, context):
    log = []
    if os.path.exists(${JSON.stringify(LOG)}):
        with open(${JSON.stringify(LOG)}) as f:  # closed: an open one would be a ResourceWarning under -X dev
            log = f.read().split('\\n')
    return {'pid': os.getpid(), 'log': [l for l in log if l], 'path': sys.path, 'argv': sys.argv, 'file': __file__,
            'modules': sorted(sys.modules), 'origArgv': getattr(sys, 'orig_argv', None), 'xoptions': {k: str(v) for k, v in sys._xoptions.items()}}
`

const JAVA_PROBE = `// wrapgen verify's probe function: what the handler sees once AWS's client has loaded it.
public class WrapgenVerifyProbe {
  public java.util.Map<String, Object> handleRequest(java.util.Map<String, Object> event) throws Exception {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    java.nio.file.Path log = java.nio.file.Paths.get(${JSON.stringify(LOG)});
    out.put("pid", ProcessHandle.current().pid());
    out.put("log", java.nio.file.Files.exists(log) ? java.nio.file.Files.readAllLines(log) : java.util.List.of());
    out.put("inputArguments", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    java.util.Map<String, String> props = new java.util.TreeMap<>();
    for (String k : System.getProperties().stringPropertyNames()) props.put(k, System.getProperty(k));
    out.put("properties", props);
    return out;
  }
}
`

/** System properties that differ on every run: the client sets each invocation's X-Ray trace header. */
const JAVA_VOLATILE = /^com\.amazonaws\.xray\.traceHeader$/

const show = (v: unknown): string => JSON.stringify(v)
const ownLines = (run: InvokeRun): string[] => run.logs.stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))
const payloadOf = (run: InvokeRun): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(run.invokes[0]?.payload ?? '') as Record<string, unknown>
  } catch {
    return undefined
  }
}
/**
 * A probe function's cold start on AWS's client takes a second (python) to a few (java) on an idle
 * machine: wrapgen's limit on its init (its invoke gets half as long), scaled to the machine and
 * retried once (limits/). A run that reaches it on the retry too is stopped at wrapgen's limit.
 */
const CLIENT_RUN_LIMIT_MS = 60_000
const timedOut = (run: InvokeRun): boolean => run.init.error?.errorType === 'Sandbox.Timedout' || run.invokes.some((i) => i.status === 'timeout')

/** A run stopped at wrapgen's time limit: its row says so (cause TIME_LIMIT), never how the function would have ended. */
class Stopped extends Error {}

const why = (run: InvokeRun): string => (run.init.error ? `${run.init.error.errorType}: ${run.init.error.errorMessage}` : run.invokes[0]?.error ? `${run.invokes[0].error.errorType}: ${run.invokes[0].error.errorMessage}` : 'no answer')

/** Python and java runtimes' real and hooks rows on AWS's runtime clients, in the sandbox; they cover those runtimes in the report. */
export const clientColumn: Column = {
  real: true,
  async rows(run) {
    // Where the real interpreters cannot run verify's probe, verify's own real column says why.
    if (realRunsBlocked(run)) return { rows: [], warnings: [] }
    const { target, config, fixtures, commonEnv, functionEnv, memories, extraLayers } = run
    const checks = await runClientChecks({ target, config, fixtures, commonEnv, memories, extraLayers, ...(functionEnv ? { functionEnv } : {}) })
    return { rows: checks.rows, warnings: [], covered: checks.covered, clients: { ran: checks.ran, missing: checks.missing } }
  },
}

export async function runClientChecks(opts: ClientCheckOptions): Promise<ClientChecks> {
  const rows: CheckResult[] = []
  const covered = new Set<string>()
  const ran: Array<{ runtime: string; checks: string[]; ran: string }> = []
  const missing: Array<{ runtime: string; why: string }> = []
  if (opts.target.kind !== 'layer') return { rows, covered, ran, missing }
  const target = opts.target
  // A chained wrapper accepted to rewrite the handler (a vendor's handler wrapper), to point the client
  // at another Runtime API (a proxy extension) or to replace the runtime decides what the client loads
  // or talks to: the probe function cannot be the handler there, so the probe entry runs instead.
  const WHY = { handler: 'rewrite the handler', 'runtime-api': 'change the Runtime API', 'replace-runtime': 'replace the runtime' } as const
  const chained = target.chain.flatMap((w) => (Object.keys(WHY) as Array<keyof typeof WHY>).filter((a) => w.allow.includes(a)).map((a) => `${w.path} is accepted to ${WHY[a]}`))
  if (chained.length > 0) {
    for (const f of opts.fixtures.filter((x) => x.family === 'python' || x.family === 'java')) missing.push({ runtime: f.id, why: `${chained[0]}, so verify's probe function cannot be the handler` })
    return { rows, covered, ran, missing }
  }
  const root = makeTemp('real-client')
  try {
    const tasks: Partial<Record<'python' | 'java', { dir: string; handler: string } | string>> = {}
    const task = (family: 'python' | 'java'): { dir: string; handler: string } | string => {
      const known = tasks[family]
      if (known) return known
      const dir = join(root, `${family}-task`)
      mkdirSync(dir, { recursive: true })
      if (family === 'python') {
        writeFileSync(join(dir, 'wrapgen_verify_probe.py'), PY_PROBE)
        return (tasks.python = { dir, handler: 'wrapgen_verify_probe.handler' })
      }
      writeFileSync(join(root, 'WrapgenVerifyProbe.java'), JAVA_PROBE)
      const javac = spawnSync('javac', ['--release', '17', '-d', dir, join(root, 'WrapgenVerifyProbe.java')], { encoding: 'utf8' })
      return (tasks.java = javac.status === 0 ? { dir, handler: 'WrapgenVerifyProbe::handleRequest' } : `cannot compile the java probe function: ${javac.error ? 'javac not installed' : javac.stderr.split('\n')[0]}`)
    }
    const memory = opts.memories[0] ?? 1024
    const env = { ...opts.functionEnv, WRAPGEN_HOOK_LOG: LOG }
    const invoke = async (layerDir: string | undefined, f: RuntimeFixture, t: { dir: string; handler: string }): Promise<InvokeRun> => {
      const limited = await retryOnTimeout(CLIENT_RUN_LIMIT_MS, (ms) => runInvoke({ ...(layerDir ? { layerDir } : { noLayer: true }), withLayers: opts.extraLayers, taskDir: t.dir, runtime: f.id, handler: t.handler, events: [{}], memory, env, timeoutMs: Math.round(ms / 2), initTimeoutMs: ms, mode: 'sandboxed', functionName: 'wrapgen-verify' }), timedOut)
      if (limited.timedOut) throw new Stopped(overLimit(`the probe function on ${f.id}'s runtime client${layerDir ? '' : ' (without the layer)'}`, limited.tries))
      return limited.result
    }
    // Hooks named by module are looked up where the runtime looks: the probe layers stand in for them, so would not miss one.
    const missingModules = opts.config?.python.preloads.length ? missingHookModules('python', opts.config, [target.layerDir, ...opts.extraLayers]) : undefined
    // The probe layers, built once per family from the config; the hooks check runs once per interpreter.
    const probeLayers = new Map<string, Layers | string>()
    const hooksOf = new Map<string, { status: CheckResult['status']; detail: string; stopped?: boolean }>()
    for (const f of opts.fixtures) {
      if (f.family !== 'python' && f.family !== 'java') continue
      let client: RuntimeClient
      try {
        client = await clientFor(f, { taskDir: root })
      } catch (e) {
        if (f.family === 'java' && f.entry !== 'com.amazonaws.services.lambda.runtime.api.client.AWSLambda') missing.push({ runtime: f.id, why: 'its runtime client (lambdainternal) is not published' })
        else missing.push({ runtime: f.id, why: (e as Error).message })
        continue
      }
      const t = task(f.family)
      if (typeof t === 'string') {
        missing.push({ runtime: f.id, why: t })
        continue
      }
      const row = (check: 'real' | 'hooks', status: CheckResult['status'], detail: string, stopped = false): void =>
        void rows.push({ runtime: f.id, memory, shell: check === 'real' ? 'exec' : 'sh', check, status, detail, ...(stopped ? { cause: TIME_LIMIT } : {}) })
      covered.add(f.id)
      const checks = ['real']
      // real: the interpreter's argv as the plan puts it.
      const got = await invoke(target.layerDir, f, t).catch((e: unknown) => {
        if (e instanceof Stopped) return e
        throw e
      })
      const report = got instanceof Stopped ? undefined : payloadOf(got)
      if (got instanceof Stopped) row('real', 'fail', got.message, true)
      else if (!report) row('real', 'fail', `the probe function did not answer on ${client.ran}: ${why(got)}${ownLines(got).length ? ` (${ownLines(got)[0]})` : ''}`)
      else {
        const inst = expandRuntime(f, { memory, commonEnv: opts.commonEnv, ...(opts.functionEnv ? { functionEnv: opts.functionEnv } : {}) })
        const argv = client.argv(inst.argv, t.handler, (p) => p)
        const expected = simulate(target.plan, { argv, env: { ...inst.env, ...env, AWS_LAMBDA_EXEC_WRAPPER: target.wrapper }, wrapperDir: target.wrapper.slice(0, target.wrapper.lastIndexOf('/')) })
        let exp = expected.argv ?? []
        while (exp.length && target.chain.some((w) => w.path === exp[0])) exp = exp.slice(1)
        const problem = checkFamily(f.family, report, exp, f.entry!, expected.env, target, new Map())
        row('real', problem ? 'fail' : 'pass', problem ?? '')
      }
      // hooks: once per interpreter and client (runtimes that share them behave alike).
      if (opts.config && (f.family === 'python' ? opts.config.python.preloads.length : opts.config.java.agents.length) > 0) {
        checks.push('hooks')
        let outcome = hooksOf.get(client.ran)
        if (!outcome) {
          let layers = probeLayers.get(f.family)
          if (!layers) {
            const dir = join(root, `${f.family}-probes`)
            mkdirSync(dir, { recursive: true })
            const probe = await probeFor(f.family, opts.config, dir)
            if (typeof probe === 'string') layers = probe
            else {
              const build = async (c: ResolvedConfig, name: string): Promise<string> => writeLayer(await buildLayer(c), join(dir, name)).layerDir
              // The same layer without hooks: its flags and variables change what a function sees on purpose.
              const noHooks = f.family === 'python' ? { ...opts.config, python: { ...opts.config.python, preloads: [] } } : { ...opts.config, java: { ...opts.config.java, agents: [] } }
              layers = { isolated: await build(probe.isolated, 'isolated'), critical: await build(probe.critical, 'critical'), noHooks: await build(noHooks, 'no-hooks'), probe }
            }
            probeLayers.set(f.family, layers)
          }
          outcome = typeof layers === 'string' ? { status: 'skip', detail: layers }
            : f.family === 'python' && missingModules ? { status: 'fail', detail: missingModules }
              : await hooksCheck(f, t, layers, invoke).catch((e: unknown) => {
                if (e instanceof Stopped) return { status: 'fail' as const, detail: e.message, stopped: true }
                throw e
              })
          hooksOf.set(client.ran, outcome)
        }
        row('hooks', outcome.status, outcome.detail, outcome.stopped === true)
      }
      ran.push({ runtime: f.id, checks, ran: `${client.ran}${client.notes.length ? ` (${client.notes.filter((n) => !n.startsWith('left out')).join('; ')})` : ''}`.replace(/ \(\)$/, '') })
    }
    return { rows, covered, ran, missing }
  } finally {
    removeTemp(root)
  }
}

interface Layers { readonly isolated: string; readonly critical: string; readonly noHooks: string; readonly probe: Probe }

async function hooksCheck(f: RuntimeFixture, t: { dir: string; handler: string }, layers: Layers, invoke: (layerDir: string | undefined, f: RuntimeFixture, t: { dir: string; handler: string }) => Promise<InvokeRun>): Promise<{ status: CheckResult['status']; detail: string }> {
  const fail = (detail: string): { status: CheckResult['status']; detail: string } => ({ status: 'fail', detail })
  const bareRun = await invoke(undefined, f, t)
  const bare = payloadOf(bareRun)
  if (!bare) return { status: 'skip', detail: `the probe function did not run without the layer: ${why(bareRun)}` }
  const gotRun = await invoke(layers.isolated, f, t)
  const got = payloadOf(gotRun)
  if (!got) return fail(`the function did not start with a throwing hook: ${why(gotRun)}`)
  const want = [...Array(layers.probe.count).keys()].map((i) => `${i} ${String(got.pid)}`)
  if (show(got.log) !== show(want)) return fail(`hooks ran as ${show(got.log)}; expected each once, in order, in the handler's process: ${show(want)}`)
  const own = ownLines(gotRun)
  if (own.length !== 1 || !layers.probe.failLine.test(own[0]!)) return fail(`a throwing hook must give one stderr line matching ${layers.probe.failLine}; got ${show(own)}`)
  // What the runner and the hooks leave behind, against the layer's flags and variables alone.
  const flagsRun = await invoke(layers.noHooks, f, t)
  const flags = payloadOf(flagsRun)
  if (!flags) return fail(`the function did not start with the layer without hooks: ${why(flagsRun)}`)
  if (f.family === 'python') {
    for (const [key, what] of [['path', 'sys.path'], ['argv', 'sys.argv'], ['file', "the handler's __file__"]] as const) {
      if (show(got[key]) !== show(bare[key])) return fail(`${what} is ${show(got[key])}, without the layer ${show(bare[key])}`)
    }
    const before = new Set(flags.modules as string[])
    const added = (got.modules as string[]).filter((m) => !before.has(m) && !/^wrapgen_hook(s|_\d+_.*)$/.test(m))
    if (added.length) return fail(`the hooks' runner left modules in sys.modules that the function does not have without it: ${added.join(', ')}`)
  } else {
    const a = got.properties as Record<string, string>
    const none = bare.properties as Record<string, string>
    for (const k of ['java.class.path', 'sun.java.command', 'user.dir']) {
      if (a[k] !== none[k]) return fail(`${k} is ${show(a[k])}, without the layer ${show(none[k])}`)
    }
    const b = flags.properties as Record<string, string>
    const diff = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !JAVA_VOLATILE.test(k) && a[k] !== b[k])
    if (diff.length) return fail(`the runner agent changed system properties: ${diff.map((k) => `${k}=${show(a[k])} (without hooks: ${show(b[k])})`).join(', ')}`)
  }
  const critRun = await invoke(layers.critical, f, t)
  if (critRun.init.status !== 'error' || critRun.init.error?.errorType !== 'Runtime.ExitError') return fail(`a critical hook that throws did not stop init with Lambda's Runtime.ExitError (init ${critRun.init.status}${critRun.init.error ? `: ${critRun.init.error.errorType}` : ''})`)
  const critOwn = ownLines(critRun)
  if (critOwn.length !== 1 || !layers.probe.criticalLine.test(critOwn[0]!)) return fail(`a failed critical hook must give one stderr line matching ${layers.probe.criticalLine}; got ${show(critOwn)}`)
  return { status: 'pass', detail: '' }
}
