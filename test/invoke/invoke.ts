// wrapgen invoke end to end: real processes (bootstrap -> wrapper -> node -> aws-lambda-ric -> handler)
// on the local Runtime API, through the built layer, sandboxed when bubblewrap works.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import command from '../../src/cli/invoke.js'
import type { Context } from '../../src/cli/context.js'
import { openConfig } from '../../src/config/open.js'
import { buildTempLayer } from '../../src/invoke/layer.js'
import { runInvoke, type InvokeRun, type InvokeRunOptions } from '../../src/invoke/run.js'
import { sandboxAvailable } from '../../src/sandbox/index.js'
import { scaled } from '../../src/limits/time-limit.js'
import { needsRic, ricInstalled } from '../fixtures/ric.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
// AWS's runtime client is optional (its native build needs autotools): without it these tests skip.
const ric = ricInstalled
const fixtures = join(repo, 'test/fixtures/invoke')
const task = (name: string): string => join(fixtures, name)
const sandboxed = sandboxAvailable()

// One small layer (the timing preload only) shared by the handler-shape tests.
const timingConfig = await openConfig({ cwd: repo, config: { name: 'invoke-test', node: { preloads: [{ module: 'wrapgen/preloads/timing' }] } } })
const layer = await buildTempLayer(timingConfig)
t.teardown(layer.remove)

const invoke = (o: Partial<InvokeRunOptions> & { taskDir: string }): Promise<InvokeRun> =>
  runInvoke({ unsafeHost: !sandboxed, layerDir: layer.layerDir, events: [{ hello: 'world' }], timeoutMs: scaled(5000), ...o })
const payload = (run: InvokeRun, i = 0): Record<string, unknown> => JSON.parse(run.invokes[i]?.payload ?? 'null') as Record<string, unknown>

/** Runs the command in-process with captured output. */
async function cli(values: Record<string, string | boolean | string[]>, cwd = repo): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const ctx: Context = { cwd, out: (s) => void (out += s), err: (s) => void (err += s), debug: false }
  // Without a sandboxed host (not root, or no bubblewrap) the function runs path-mapped, as the user allows.
  const code = await command.run({ ...values, ...(sandboxed ? {} : { 'unsafe-host': true }) }, [], ctx)
  return { code, out, err }
}

t.test('CommonJS async handler: several invokes on one warm process', { ...needsRic }, async (t) => {
  const run = await invoke({ taskDir: task('cjs'), events: [{ n: 1 }, { n: 2 }, { n: 3 }], memory: 512 })
  t.equal(run.mode, sandboxed ? 'sandboxed' : 'path-mapped')
  t.equal(run.init.status, 'ok')
  t.same(run.invokes.map((i) => i.status), ['success', 'success', 'success'])
  t.same(run.invokes.map((_, i) => payload(run, i).n), [1, 2, 3], 'module state persists: one process')
  const p = payload(run, 0)
  t.same(p.event, { n: 1 })
  t.equal(p.requestId, run.invokes[0]?.requestId, 'context.awsRequestId is the request id')
  t.equal(p.functionName, 'wrapgen-invoke')
  t.equal(p.memory, '512')
  if (sandboxed) t.equal(p.taskRoot, '/var/task')
  t.match(run.logs.stdout, /\tINFO\tcjs invoke 1\n/, 'console.log goes through the runtime client')
  const r = run.initReport
  t.ok(r.nodeStartMs !== undefined && r.nodeStartMs > 0, 'node start reported')
  t.equal(r.hooks.length, 1)
  t.ok(typeof r.handlerModule?.loadMs === 'number', 'a required handler\'s load time is observed')
  const order = [r.nodeStartMs, r.preloadStartMs, r.runtimeEntryMs, r.handlerReadyMs, r.firstInvokeMs]
  t.ok(order.every((v) => typeof v === 'number'), `every phase measured: ${JSON.stringify(order)}`)
  t.same([...(order as number[])].sort((a, b) => a - b), order, 'phases in order')
})

t.test('ESM handlers: .mjs and "type": "module"', { ...needsRic }, async (t) => {
  const mjs = await invoke({ taskDir: task('mjs') })
  t.same(payload(mjs), { kind: 'mjs', event: { hello: 'world' }, meta: 'string' })
  const typed = await invoke({ taskDir: task('esm-type') })
  t.same(payload(typed), { kind: 'esm-type', esm: true })
})

t.test('callback handler', { ...needsRic }, async (t) => {
  const run = await invoke({ taskDir: task('callback') })
  t.same(payload(run), { kind: 'callback', got: { hello: 'world' } })
})

t.test('a handler that throws: the error as Lambda reports it, and the process keeps serving', { ...needsRic }, async (t) => {
  const run = await invoke({ taskDir: task('throws'), events: [{ x: 1 }, { x: 2 }] })
  t.equal(run.init.status, 'ok')
  t.same(run.invokes.map((i) => i.status), ['error', 'error'])
  const e = run.invokes[1]?.error
  t.equal(e?.errorType, 'ValidationError')
  t.equal(e?.errorMessage, 'bad input: {"x":2}')
  t.ok(Array.isArray(e?.stackTrace) && e.stackTrace.length > 0, 'stack trace sent')
  t.match(e?.stackTrace?.join('\n'), /index\.js/)
  t.same(Object.keys(JSON.parse(e?.body ?? '{}') as object).sort(), ['errorMessage', 'errorType', 'trace'])
})

t.test('init failure: /init/error, exit 129, every invoke gets the init error', { ...needsRic }, async (t) => {
  const run = await invoke({ taskDir: task('init-fail'), events: [{}, {}] })
  t.equal(run.init.status, 'error')
  t.equal(run.init.error?.errorType, 'Error')
  t.equal(run.init.error?.errorMessage, 'init exploded')
  t.same(run.invokes.map((i) => [i.status, i.error?.errorMessage]), [['error', 'init exploded'], ['error', 'init exploded']])
  t.equal(run.exit?.code, 129)
  t.equal(run.initReport.handlerReadyMs, undefined, 'init never finished')
})

t.test('timeout: Sandbox.Timedout, the process is killed, later invokes are not run', { ...needsRic }, async (t) => {
  const started = Date.now()
  const run = await invoke({ taskDir: task('slow'), events: [{}, {}], timeoutMs: 1000 })
  t.equal(run.invokes[0]?.status, 'timeout')
  t.equal(run.invokes[0]?.error?.errorType, 'Sandbox.Timedout')
  t.match(run.invokes[0]?.error?.errorMessage, /Task timed out after 1\.00 seconds/)
  t.equal(run.invokes[1]?.status, 'not-run')
  // The handler answers after 60 s: the run ended long before (the process was killed at the deadline).
  t.ok(Date.now() - started < 50_000, `did not wait for the handler (${Date.now() - started} ms)`)
})

t.test('a preload hook that throws fails open: the invoke succeeds, one stderr line', { ...needsRic }, async (t) => {
  const config = await openConfig({ cwd: task('hook-throws') })
  const run = await runInvoke({ unsafeHost: !sandboxed, config, taskDir: task('env'), events: [{}] })
  t.equal(run.invokes[0]?.status, 'success')
  t.equal(payload(run).marker, 'marker-set', 'the hooks after it still ran')
  // Every other stderr line is a structured JSON line (the timing report).
  const lines = run.logs.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'))
  t.equal(lines.length, 1, 'exactly one plain stderr line')
  t.match(lines[0], /^wrapgen: preload \.\/preloads\/broken\.js failed: broken hook exploded; skipped$/)
  t.same(run.initReport.hooks.map((h) => h.ok), [true, false, true])
})

t.test('WRAPGEN_DISABLE=1: the wrapper steps aside', { ...needsRic }, async (t) => {
  const config = await openConfig({ cwd: task('hook-throws') })
  const run = await runInvoke({ unsafeHost: !sandboxed, config, taskDir: task('env'), events: [{}], env: { WRAPGEN_DISABLE: '1' } })
  t.equal(run.invokes[0]?.status, 'success')
  const p = payload(run)
  t.equal(p.marker, null, 'no preload ran')
  t.equal(p.wrapgenApplied, null)
  t.notMatch(JSON.stringify(p.execArgv), /preload/)
  t.notMatch(run.logs.stderr, /broken/)
  t.same(run.initReport.hooks, [])
})

t.test('the org preload package from examples/ is in effect inside the handler', { ...needsRic }, async (t) => {
  const cwd = join(repo, 'examples/service')
  const res = await cli({ json: true, task: 'function', count: '2', event: join(fixtures, 'event.json') }, cwd)
  t.equal(res.code, 0, res.err)
  const run = JSON.parse(res.out) as InvokeRun
  t.equal(run.layer, 'wrapgen')
  const p = payload(run, 1)
  t.same(p.logContext, { org: 'example-org', service: 'orders', team: 'checkout' })
  t.equal(p.orgService, 'orders')
  t.same(p.echo, { source: 'test' })
  // The node.imports hook too (before: left out of the report), after the --require ones, before the runtime entry.
  t.same(run.initReport.hooks.map((h) => [h.kind ?? 'preload', h.name]), [['preload', 'wrapgen/preloads/timing'], ['preload', '@example-org/lambda-preloads/log-context'], ['preload', '@example-org/lambda-preloads/required-env'], ['import', '@example-org/lambda-preloads/trace-esm']])
  const imp = run.initReport.hooks.at(-1)!
  t.ok(imp.startMs! + imp.ms <= (run.initReport.runtimeEntryMs as number) + 0.01, 'the import hook ends by the runtime entry')
  // The example's config names no runtimes: every supported one, java first in the catalogue's order, and java needs a Class::method handler.
  t.match(res.err, /^wrapgen: invoke: --runtime nodejs\d+\.x \(the first of the config's runtimes that invoke runs; java runs with a Class::method --handler; give --runtime to choose\)\n/, 'says which runtime it chose')
})

t.test('--no-layer runs the same function without wrapgen, with the Lambda variables', { ...needsRic }, async (t) => {
  const res = await cli({ json: true, 'no-layer': true, task: join(fixtures, 'env'), handler: 'index.handler' })
  t.equal(res.code, 0, res.err)
  const run = JSON.parse(res.out) as InvokeRun
  t.equal(run.layer, 'none')
  const p = payload(run)
  t.equal(p.wrapgenApplied, null)
  t.same(p.execArgv, ['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=6', '--max-old-space-size=116', '--no-experimental-require-module'])
  const env = p.env as Record<string, string | null>
  t.equal(env._HANDLER, 'index.handler')
  t.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'wrapgen-invoke')
  t.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST')
  t.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '128')
  t.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/wrapgen-invoke')
  t.ok(env.AWS_LAMBDA_LOG_STREAM_NAME)
  t.equal(env.AWS_REGION, 'us-east-1')
  t.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs20.x')
  t.equal(env.WRAPGEN_INVOKE_REPORT_FD, null, 'our report channel is not the function\'s')
  if (sandboxed) {
    t.equal(env.LAMBDA_TASK_ROOT, '/var/task')
    t.equal(p.argv1, '/var/runtime/index.mjs')
  }
})

t.test('path-mapped fallback runs the same function without bubblewrap', { ...needsRic }, async (t) => {
  const run = await invoke({ taskDir: task('cjs'), mode: 'path-mapped', unsafeHost: true })
  t.equal(run.mode, 'path-mapped')
  t.equal(payload(run).kind, 'cjs')
  t.ok(run.initReport.handlerReadyMs !== undefined)
})

t.test('the text output: results, logs, init report; exit codes', { ...needsRic }, async (t) => {
  const ok = await cli({ layer: layer.layerDir, task: join(fixtures, 'cjs') })
  t.equal(ok.code, 0, ok.err)
  t.match(ok.out, /invoke 1 \([0-9a-f-]+\): success in [\d.]+ ms\n\{"kind":"cjs"/)
  t.match(ok.out, /function logs/)
  const [first] = timingConfig.runtimes.filter((r) => r.startsWith('nodejs'))
  t.match(ok.out, new RegExp(`^wrapgen invoke: index\\.handler on ${first!.replace(/\./g, '\\.')} at 128 MB, `), 'says which memory size it used; the layer\'s first node runtime')
  t.match(ok.err, `wrapgen: invoke: --runtime ${first} (the first of the layer's manifest (compatibleRuntimes) that invoke runs; java runs with a Class::method --handler; give --runtime to choose)`)
  t.notMatch(ok.out, /\? ms +handler module/, 'the handler module\'s load has its moment')
  t.notMatch(ok.out, /^ {2}\| *$/m, 'no empty log line after the function logs')
  t.match(ok.out, /init report, ms since the bootstrap started:/)
  for (const phase of ['wrapper start', 'node start', 'hook wrapgen/preloads/timing', 'runtime entry', 'handler loaded (first /next)', 'first invoke answered']) t.match(ok.out, phase)
  const bad = await cli({ layer: layer.layerDir, task: join(fixtures, 'throws'), quiet: true })
  t.equal(bad.code, 1)
  t.match(bad.out, /invoke 1 \([0-9a-f-]+\): error after [\d.]+ ms\n\{"errorType":"ValidationError","errorMessage":"bad input: \{\}","stackTrace":\[/)
  t.notMatch(bad.out, /function logs/)
})

t.test('--event takes inline JSON as well as a file', { ...needsRic }, async (t) => {
  const res = await cli({ json: true, layer: layer.layerDir, task: join(fixtures, 'cjs'), event: '{"inline": [1, 2]}' })
  t.equal(res.code, 0, res.err)
  t.same(payload(JSON.parse(res.out) as InvokeRun).event, { inline: [1, 2] })
  await t.rejects(cli({ layer: layer.layerDir, task: join(fixtures, 'cjs'), event: '{inline}' }), { exitCode: 1, message: /^--event: the inline event is not JSON: / })
})

t.test('without --runtime: the config\'s first runtime invoke runs, said on stderr; java for a Class::method handler; none is refused', async (t) => {
  const dir = t.testdir({
    node: { 'wrapgen.config.mjs': "export default { name: 'n', runtimes: ['ruby3.3', 'java21', 'nodejs24.x', 'python3.12'] }\n", 'index.mjs': 'export const handler = async () => 1\n' },
    py: { 'wrapgen.config.mjs': "export default { name: 'p', runtimes: ['dotnet8', 'python3.12', 'nodejs22.x'] }\n" },
    java: { 'wrapgen.config.mjs': "export default { name: 'j', runtimes: ['java21'] }\n" },
    ruby: { 'wrapgen.config.mjs': "export default { name: 'r', runtimes: ['ruby3.3', 'dotnet8'] }\n" },
  })
  // The choice is said before the run (which needs the runtime's client: without it, the run fails after the line).
  const chosen = async (cwd: string, values: Record<string, string | boolean> = {}): Promise<string> => {
    let err = ''
    const ctx: Context = { cwd: join(dir, cwd), out: () => {}, err: (s) => void (err += s), debug: false }
    await command.run({ json: true, task: '.', ...values }, [], ctx).catch(() => undefined)
    return err.split('\n')[0]!
  }
  const res = await cli({ json: true, task: '.' }, join(dir, 'node')).catch((e: Error) => ({ code: 1, out: '', err: e.message }))
  if (ric) t.equal((JSON.parse(res.out) as InvokeRun).runtime, 'nodejs24.x', 'ran on nodejs24.x (before: nodejs20.x, which the config leaves out)')
  t.equal(await chosen('node'), "wrapgen: invoke: --runtime nodejs24.x (the first of the config's runtimes that invoke runs; java runs with a Class::method --handler; give --runtime to choose)", 'ruby has no client here; java is skipped without a Class::method handler')
  t.equal(await chosen('node', { handler: 'example.Handler::handleRequest' }), "wrapgen: invoke: --runtime java21 (the first java runtime of the config's runtimes, for a Class::method handler; give --runtime to choose)")
  t.equal(await chosen('py'), "wrapgen: invoke: --runtime python3.12 (the first of the config's runtimes that invoke runs; give --runtime to choose)", 'python first when the config lists it first')
  t.equal(await chosen('java'), "wrapgen: invoke: --runtime java21 (the first of the config's runtimes that invoke runs; give --runtime to choose)", 'a layer for java alone: java, which then asks for --handler')
  await t.rejects(cli({ task: '.' }, join(dir, 'java')), { exitCode: 2, message: /^--runtime java21: give --handler, e\.g\. example\.Handler::handleRequest/ })
  await t.rejects(cli({ task: '.' }, join(dir, 'ruby')), { exitCode: 1, message: /^the config's runtimes \(ruby3\.3, dotnet8\) name no runtime invoke runs \(AWS's runtime clients for node, python and java17\+\): give --runtime \(.*nodejs22\.x.*python3\.12/ })
  await t.rejects(cli({ task: '.', handler: 'example.Handler::handleRequest' }, join(dir, 'py')), { exitCode: 1, message: /^--handler example\.Handler::handleRequest: a Class::method handler runs on java, and the config's runtimes \(dotnet8, python3\.12, nodejs22\.x\) name no java runtime invoke runs: give --runtime \(java17, java21, java25\)/ })
  t.match(await cli({ runtime: 'nodejs22.x', 'no-layer': true, task: '.', json: true }, join(dir, 'node')).catch((e: Error) => ({ err: e.message })), ric ? { code: 0, err: '' } : { err: /aws-lambda-ric/ }, '--runtime given: nothing said')
  t.equal(await chosen('node', { 'no-layer': true }), "wrapgen: invoke: --runtime nodejs20.x (the default without a layer's runtimes to go by; give --runtime to choose)", '--no-layer: h19\'s default')
})

t.test('the init report: node.imports hooks and the handler module\'s load in the timeline, never "? ms"', async (t) => {
  const { initReport } = await import('../../src/invoke/timing.js')
  const { renderInitReport } = await import('../../src/invoke/report.js')
  const spawnedAt = { hr: 1000, epochMs: 1_700_000_000_000 }
  const timing = { message: 'wrapgen init timing', nodeStartEpochMs: 1_700_000_000_010, preloadStartMs: 5, hooks: [{ name: 'wrapgen/preloads/timing', ms: 1, ok: true }], handler: { module: '/var/task/index', loadMs: 4, startMs: 30 } }
  const entry = { wrapgenInvokeEntry: true, nodeStartEpochMs: 1_700_000_000_010, entryMs: 20, imports: [{ name: './trace.mjs', ms: 3, ok: true }, { name: './broken.mjs', ms: 1, ok: false }] }
  const r = initReport({ spawnedAt, stderr: `${JSON.stringify(timing)}\n`, reportLines: [JSON.stringify(entry)], initDoneAt: { hr: 1050, epochMs: 0 }, firstResponseAt: undefined })
  t.same(r.hooks.map((h) => [h.kind ?? 'preload', h.name, h.startMs, h.ms, h.ok]), [['preload', 'wrapgen/preloads/timing', 15, 1, true], ['import', './trace.mjs', 26, 3, true], ['import', './broken.mjs', 29, 1, false]], 'imports placed back from the runtime entry (30 ms), in order')
  t.same(r.handlerModule, { module: '/var/task/index', loadMs: 4, startMs: 40 })
  const text = renderInitReport(r, 'wrapgen')
  t.match(text, /\n {6}26\.0 ms {4}import \.\/trace\.mjs {2}\[3\.00 ms\]\n {6}29\.0 ms {4}import \.\/broken\.mjs {2}\[1\.00 ms \(failed\)\]\n/)
  t.match(text, /\n {6}40\.0 ms {4}handler module \/var\/task\/index {2}\[4\.00 ms to load\]\n/)
  t.notMatch(text, /\? ms +handler module/)
  // A timing line from an older layer (no startMs): no time, rather than "?".
  const old = initReport({ spawnedAt, stderr: `${JSON.stringify({ ...timing, handler: { module: '/var/task/index', loadMs: 4 } })}\n`, reportLines: [], initDoneAt: undefined, firstResponseAt: undefined })
  t.match(renderInitReport(old, 'wrapgen'), /\n {17}handler module \/var\/task\/index {2}\[4\.00 ms to load\]\n/)
})

t.test('usage errors say what to do', async (t) => {
  await t.rejects(cli({ 'no-layer': true, runtime: 'ruby3.3' }), { exitCode: 2, message: /--runtime ruby3\.3: wrapgen invoke runs java17, .*python3\.12.*its runtime client is not reachable here/ })
  await t.rejects(cli({ 'no-layer': true, runtime: 'java11', handler: 'example.App::handleRequest' }), { exitCode: 2, message: /lambdainternal, is not published/ })
  await t.rejects(cli({ 'no-layer': true, runtime: 'java21', handler: 'example/App' }), { exitCode: 2, message: /--handler example\/App: give Class::method/ })
  await t.rejects(cli({ 'no-layer': true, count: '0' }), { exitCode: 2, message: /--count 0: give a whole number from 1 to 1000/ })
  await t.rejects(cli({ 'no-layer': true, handler: 'index' }), { exitCode: 2, message: /--handler index/ })
  await t.rejects(cli({ 'no-layer': true, env: ['NOEQUALS'] }), { exitCode: 2, message: /--env NOEQUALS/ })
  await t.rejects(cli({ 'no-layer': true, task: 'no/such/dir' }), { exitCode: 1, message: /not a folder/ })
  await t.rejects(cli({ layer: fixtures }), { exitCode: 1, message: /no wrapgen\/exec/ })
})
