// wrapgen invoke end to end: real processes (bootstrap -> wrapper -> node -> aws-lambda-ric -> handler)
// on the local Runtime API, through the built layer, sandboxed when bubblewrap works.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import command from '../../src/cli/invoke.js'
import type { Context } from '../../src/cli/context.js'
import { openConfig } from '../../src/config/open.js'
import { buildTempLayer } from '../../src/invoke/layer.js'
import { runInvoke, type InvokeRun, type InvokeRunOptions } from '../../src/invoke/run.js'
import { sandboxAvailable } from '../../src/sandbox/index.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
// AWS's runtime client is optional (its native build needs autotools): without it these tests skip.
const ric = existsSync(join(repo, 'node_modules/aws-lambda-ric/package.json'))
const needsRic = { skip: ric ? false : 'aws-lambda-ric (optional; its native build needs autotools) is not installed' }
const fixtures = join(repo, 'test/fixtures/invoke')
const task = (name: string): string => join(fixtures, name)
const sandboxed = sandboxAvailable()

// One small layer (the timing preload only) shared by the handler-shape tests.
const timingConfig = await openConfig({ cwd: repo, config: { name: 'invoke-test', node: { preloads: [{ module: 'wrapgen/preloads/timing' }] } } })
const layer = await buildTempLayer(timingConfig)
t.teardown(layer.remove)

const invoke = (o: Partial<InvokeRunOptions> & { taskDir: string }): Promise<InvokeRun> =>
  runInvoke({ unsafeHost: !sandboxed, layerDir: layer.layerDir, events: [{ hello: 'world' }], timeoutMs: 5000, ...o })
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

t.test('CommonJS async handler: several invokes on one warm process', needsRic, async (t) => {
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

t.test('ESM handlers: .mjs and "type": "module"', needsRic, async (t) => {
  const mjs = await invoke({ taskDir: task('mjs') })
  t.same(payload(mjs), { kind: 'mjs', event: { hello: 'world' }, meta: 'string' })
  const typed = await invoke({ taskDir: task('esm-type') })
  t.same(payload(typed), { kind: 'esm-type', esm: true })
})

t.test('callback handler', needsRic, async (t) => {
  const run = await invoke({ taskDir: task('callback') })
  t.same(payload(run), { kind: 'callback', got: { hello: 'world' } })
})

t.test('a handler that throws: the error as Lambda reports it, and the process keeps serving', needsRic, async (t) => {
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

t.test('init failure: /init/error, exit 129, every invoke gets the init error', needsRic, async (t) => {
  const run = await invoke({ taskDir: task('init-fail'), events: [{}, {}] })
  t.equal(run.init.status, 'error')
  t.equal(run.init.error?.errorType, 'Error')
  t.equal(run.init.error?.errorMessage, 'init exploded')
  t.same(run.invokes.map((i) => [i.status, i.error?.errorMessage]), [['error', 'init exploded'], ['error', 'init exploded']])
  t.equal(run.exit?.code, 129)
  t.equal(run.initReport.handlerReadyMs, undefined, 'init never finished')
})

t.test('timeout: Sandbox.Timedout, the process is killed, later invokes are not run', needsRic, async (t) => {
  const started = Date.now()
  const run = await invoke({ taskDir: task('slow'), events: [{}, {}], timeoutMs: 1000 })
  t.equal(run.invokes[0]?.status, 'timeout')
  t.equal(run.invokes[0]?.error?.errorType, 'Sandbox.Timedout')
  t.match(run.invokes[0]?.error?.errorMessage, /Task timed out after 1\.00 seconds/)
  t.equal(run.invokes[1]?.status, 'not-run')
  t.ok(Date.now() - started < 10_000, 'did not wait for the handler')
})

t.test('a preload hook that throws fails open: the invoke succeeds, one stderr line', needsRic, async (t) => {
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

t.test('WRAPGEN_DISABLE=1: the wrapper steps aside', needsRic, async (t) => {
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

t.test('the org preload package from examples/ is in effect inside the handler', needsRic, async (t) => {
  const cwd = join(repo, 'examples/service')
  const res = await cli({ json: true, task: 'function', count: '2', event: join(fixtures, 'event.json') }, cwd)
  t.equal(res.code, 0, res.err)
  const run = JSON.parse(res.out) as InvokeRun
  t.equal(run.layer, 'wrapgen')
  const p = payload(run, 1)
  t.same(p.logContext, { org: 'example-org', service: 'orders', team: 'checkout' })
  t.equal(p.orgService, 'orders')
  t.same(p.echo, { source: 'test' })
  t.same(run.initReport.hooks.map((h) => h.name), ['wrapgen/preloads/timing', '@example-org/lambda-preloads/log-context', '@example-org/lambda-preloads/required-env'])
})

t.test('--no-layer runs the same function without wrapgen, with the Lambda variables', needsRic, async (t) => {
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

t.test('path-mapped fallback runs the same function without bubblewrap', needsRic, async (t) => {
  const run = await invoke({ taskDir: task('cjs'), mode: 'path-mapped', unsafeHost: true })
  t.equal(run.mode, 'path-mapped')
  t.equal(payload(run).kind, 'cjs')
  t.ok(run.initReport.handlerReadyMs !== undefined)
})

t.test('the text output: results, logs, init report; exit codes', needsRic, async (t) => {
  const ok = await cli({ layer: layer.layerDir, task: join(fixtures, 'cjs') })
  t.equal(ok.code, 0, ok.err)
  t.match(ok.out, /invoke 1 \([0-9a-f-]+\): success in [\d.]+ ms\n\{"kind":"cjs"/)
  t.match(ok.out, /function logs/)
  t.match(ok.out, /^wrapgen invoke: index\.handler on nodejs20\.x at 128 MB, /, 'says which memory size it used')
  t.notMatch(ok.out, /^ {2}\| *$/m, 'no empty log line after the function logs')
  t.match(ok.out, /init report, ms since the bootstrap started:/)
  for (const phase of ['wrapper start', 'node start', 'hook wrapgen/preloads/timing', 'runtime entry', 'handler loaded (first /next)', 'first invoke answered']) t.match(ok.out, phase)
  const bad = await cli({ layer: layer.layerDir, task: join(fixtures, 'throws'), quiet: true })
  t.equal(bad.code, 1)
  t.match(bad.out, /invoke 1 \([0-9a-f-]+\): error after [\d.]+ ms\n\{"errorType":"ValidationError","errorMessage":"bad input: \{\}","stackTrace":\[/)
  t.notMatch(bad.out, /function logs/)
})

t.test('--event takes inline JSON as well as a file', needsRic, async (t) => {
  const res = await cli({ json: true, layer: layer.layerDir, task: join(fixtures, 'cjs'), event: '{"inline": [1, 2]}' })
  t.equal(res.code, 0, res.err)
  t.same(payload(JSON.parse(res.out) as InvokeRun).event, { inline: [1, 2] })
  await t.rejects(cli({ layer: layer.layerDir, task: join(fixtures, 'cjs'), event: '{inline}' }), { exitCode: 1, message: /^--event: the inline event is not JSON: / })
})

t.test('usage errors say what to do', async (t) => {
  await t.rejects(cli({ 'no-layer': true, runtime: 'python3.12' }), { exitCode: 2, message: /Node runtimes only/ })
  await t.rejects(cli({ 'no-layer': true, count: '0' }), { exitCode: 2, message: /--count 0: give a whole number from 1 to 1000/ })
  await t.rejects(cli({ 'no-layer': true, handler: 'index' }), { exitCode: 2, message: /--handler index/ })
  await t.rejects(cli({ 'no-layer': true, env: ['NOEQUALS'] }), { exitCode: 2, message: /--env NOEQUALS/ })
  await t.rejects(cli({ 'no-layer': true, task: 'no/such/dir' }), { exitCode: 1, message: /not a folder/ })
  await t.rejects(cli({ layer: fixtures }), { exitCode: 1, message: /no wrapgen\/exec/ })
})
