// External extensions: the Extensions API over HTTP, and `wrapgen invoke` with real extension
// processes (shell + curl, and node) beside AWS's real Node runtime client, sandboxed when
// bubblewrap works. Fixtures: test/fixtures/extensions/layers/<case>/extensions/<name>.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildLayer } from '../src/build.js'
import { makeTemp, removeTemp } from '../src/cleanup.js'
import buildCommand from '../src/cli/build.js'
import type { Context } from '../src/cli/context.js'
import { checkExtensions, extensionChecksFailed, renderExtensionFindings } from '../src/extensions/check.js'
import { renderBootstrapShim } from '../src/layer/extensions.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { buildTempLayer } from '../src/invoke/layer.js'
import { createExtensionsApi } from '../src/invoke/extensions-api.js'
import { createExtensionsHost, RUNTIME_SHUTDOWN_MS, SHUTDOWN_MS } from '../src/invoke/extensions.js'
import { renderInvokeRun } from '../src/invoke/report.js'
import { runInvoke, type InvokeRun, type InvokeRunOptions } from '../src/invoke/run.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { scaled } from '../src/limits/time-limit.js'
import { needsRic } from './fixtures/ric.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const fixtures = join(repo, 'test/fixtures/extensions')
const layer = (name: string): string => join(fixtures, 'layers', name)
const task = join(fixtures, 'task')
const sandboxed = sandboxAvailable()
// AWS's runtime client is optional (its native build needs autotools): without it the invoke tests skip.

const mode = process.env.WRAPGEN_TEST_MODE === 'path-mapped' ? 'path-mapped' as const : 'auto' as const
const invoke = (withLayers: string[], o: Partial<InvokeRunOptions> = {}): Promise<InvokeRun> =>
  runInvoke({ noLayer: true, withLayers, taskDir: task, events: [{ n: 1 }, { n: 2 }], timeoutMs: scaled(5000), mode, unsafeHost: !sandboxed || mode === 'path-mapped', ...o })
const ext = (run: InvokeRun, name: string) => {
  const e = run.extensions?.extensions.find((x) => x.name === name)
  if (!e) throw new Error(`no extension ${name} in ${JSON.stringify(run.extensions)}`)
  return e
}

t.test('Extensions API: registration and polling rules, over HTTP', async (t) => {
  const api = createExtensionsApi({ names: ['a', 'b'], functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' })
  const server = createServer((req, res) => {
    if (!api.handle(req, res)) res.writeHead(418).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    api.close()
    server.closeAllConnections()
    server.close()
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2020-01-01/extension`
  const register = (name: string | undefined, body: string, extra: Record<string, string> = {}) =>
    fetch(`${base}/register`, { method: 'POST', headers: { ...(name ? { 'Lambda-Extension-Name': name } : {}), ...extra }, body })

  t.equal((await register(undefined, '{}')).status, 400, 'no Lambda-Extension-Name')
  const stranger = await register('c', '{"events":["INVOKE"]}')
  t.equal(stranger.status, 403, 'a name that is not a file in /opt/extensions')
  t.match(await stranger.json(), { errorType: 'Extension.Forbidden' })
  const badEvents = await register('a', '{"events":["INVOKE","START"]}')
  t.equal(badEvents.status, 400)
  t.match(await badEvents.json(), { errorType: 'InvalidEventType' })

  const a = await register('a', '{"events":["INVOKE","SHUTDOWN"]}', { 'Lambda-Extension-Accept-Feature': 'accountId' })
  t.equal(a.status, 200)
  const id = a.headers.get('lambda-extension-identifier') ?? ''
  t.match(id, /^[0-9a-f-]{36}$/, 'a UUID identifier')
  t.same(await a.json(), { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' })
  t.equal((await register('a', '{"events":["INVOKE"]}')).status, 403, 'registering twice')
  const b = await register('b', '{"events":["SHUTDOWN"]}')
  t.notOk('accountId' in ((await b.json()) as object), 'accountId only when asked for')

  t.equal((await fetch(`${base}/event/next`)).status, 403, '/next without an identifier')
  t.equal((await fetch(`${base}/event/next`, { method: 'POST' })).status, 405)
  t.equal((await fetch(`${base}/nope`)).status, 404)

  // /next blocks until an event; INVOKE goes only to INVOKE subscribers; busy until the next /next.
  let got: unknown
  const poll = fetch(`${base}/event/next`, { headers: { 'Lambda-Extension-Identifier': id } }).then(async (r) => {
    t.match(r.headers.get('lambda-extension-event-identifier'), /^[0-9a-f-]{36}$/)
    return (got = await r.json())
  })
  await new Promise((r) => setTimeout(r, 100))
  t.equal(got, undefined, 'the poll is parked')
  t.same(api.busy(), [], 'polling: not busy')
  api.invoke({ requestId: 'req-1', deadlineMs: 1700000000000, invokedFunctionArn: 'arn:x', traceId: 'Root=1-a' })
  t.same(await poll, { eventType: 'INVOKE', deadlineMs: 1700000000000, requestId: 'req-1', invokedFunctionArn: 'arn:x', tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-a' } })
  t.same(api.busy(), ['a'], 'a has the event and has not asked again')
  api.shutdown('spindown', 1700000002000)
  const next = await fetch(`${base}/event/next`, { headers: { 'Lambda-Extension-Identifier': id } })
  t.same(await next.json(), { eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: 1700000002000 }, 'a queued event is answered at once')

  const bid = b.headers.get('lambda-extension-identifier') ?? ''
  const err = await fetch(`${base}/init/error`, { method: 'POST', headers: { 'Lambda-Extension-Identifier': bid, 'Lambda-Extension-Function-Error-Type': 'Extension.Bad' }, body: '{}' })
  t.equal(err.status, 202)
  t.equal((await fetch(`${base}/event/next`, { headers: { 'Lambda-Extension-Identifier': bid } })).status, 403, 'no call succeeds after an error report')
  t.match(api.states.find((s) => s.name === 'b')?.error, { kind: 'init', errorType: 'Extension.Bad' })
  api.closeRegistration()
})

// Guards against counting Lambda's 2 s from the SHUTDOWN event instead of from the start of shutdown:
// the runtime's share (SIGTERM, then up to 300 ms) comes out of the same 2 s, so an extension told a
// later deadline would be SIGKILLed before it. No wait is timed: the runtime ignores SIGTERM (it takes
// its whole share, however slow the machine), and the deadline is compared with a clock read before.
t.test('SHUTDOWN: deadlineMs is the start of shutdown + 2 s, the runtime\'s share already spent', async (t) => {
  const layout = { root: '/nonexistent', opt: '/nonexistent/opt', taskDir: '/nonexistent/task', clientBinds: [], bootstrap: '/nonexistent/bootstrap', remove: () => undefined }
  const host = createExtensionsHost({ mode: 'path-mapped', layout, names: ['probe'], functionName: 'fn', handler: 'index.handler' })
  const server = createServer((req, res) => {
    if (!host.api.handle(req, res)) res.writeHead(418).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2020-01-01/extension`
  const reg = await fetch(`${base}/register`, { method: 'POST', headers: { 'Lambda-Extension-Name': 'probe' }, body: '{"events":["SHUTDOWN"]}' })
  const id = reg.headers.get('lambda-extension-identifier') ?? ''
  const event = fetch(`${base}/event/next`, { headers: { 'Lambda-Extension-Identifier': id } }).then(async (r) => ({ at: Date.now(), body: (await r.json()) as { eventType: string; deadlineMs: number } }))
  // A real process standing in for the runtime, ignoring SIGTERM (it says so once the trap is set).
  const runtime = spawn('sh', ['-c', 'trap "" TERM; echo ready; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => void runtime.kill('SIGKILL'))
  const exited = new Promise((r) => runtime.on('exit', r))
  await new Promise((r) => runtime.stdout.once('data', r))
  const before = Date.now()
  await host.shutdown('spindown', { terminate: () => void runtime.kill('SIGTERM'), kill: () => void runtime.kill('SIGKILL'), exited })
  const got = await event
  t.equal(got.body.eventType, 'SHUTDOWN')
  t.ok(got.at - before >= scaled(RUNTIME_SHUTDOWN_MS) - 5, `sent after the runtime's share (${got.at - before} ms, share ${scaled(RUNTIME_SHUTDOWN_MS)} ms)`)
  // Counted from the SHUTDOWN event, it would be the runtime's whole share later; half of it is the
  // margin for this process being descheduled between reading the clock and starting shutdown.
  const latest = before + scaled(SHUTDOWN_MS)
  const margin = scaled(RUNTIME_SHUTDOWN_MS) / 2
  t.ok(got.body.deadlineMs <= latest + margin, `deadlineMs is at most the start + ${scaled(SHUTDOWN_MS)} ms: ${got.body.deadlineMs - latest} ms over (margin ${margin} ms)`)
  t.ok(got.body.deadlineMs >= got.at, 'and not already past when it arrives')
})

t.test('a well-behaved extension (shell + curl) and a slow one (node): init order, INVOKE events, post-invoke time, shutdown', { ...needsRic }, async (t) => {
  // The slow extension's flush, long enough on this machine to stand out from the good one's curl.
  const slowMs = scaled(400)
  const run = await invoke([layer('good'), layer('slow')], { env: { SLOW_MS: String(slowMs) } })
  t.equal(run.init.status, 'ok', JSON.stringify(run.init))
  t.same(run.invokes.map((i) => i.status), ['success', 'success'])
  const good = ext(run, 'good')
  const slow = ext(run, 'slow')
  const spawn = run.extensions?.runtimeSpawnMs as number
  t.ok(typeof spawn === 'number', 'the runtime started')
  for (const e of [good, slow]) {
    t.equal(e.state, 'ready')
    t.same(e.events, ['INVOKE', 'SHUTDOWN'])
    t.ok((e.registeredMs as number) <= spawn, `${e.name} registered (${e.registeredMs} ms) before the runtime started (${spawn} ms)`)
    t.ok(typeof e.readyMs === 'number', `${e.name} asked for its first event`)
    t.same(e.exit, { code: 0, signal: null }, `${e.name} exited 0 on SHUTDOWN`)
    t.ok(typeof e.shutdownMs === 'number' && e.shutdownMs < scaled(2000), `${e.name} shut down in ${e.shutdownMs} ms, within Lambda's 2 s (scaled to this machine)`)
  }
  // Every invoke reached each extension with its request id, and the slow one held the phase open.
  for (const inv of run.invokes) {
    t.match(good.stderr, `"eventType":"INVOKE","deadlineMs":`)
    t.match(good.stderr, `"requestId":"${inv.requestId}"`)
    t.match(slow.stderr, `[slow] flushed ${inv.requestId}`)
    // The flush starts with the INVOKE event, post-invoke with the runtime's next /next: the function's
    // own run (longer on a busy machine) comes off it. Half the flush is far beyond any function run here.
    t.ok((inv.postInvokeMs as number) >= slowMs / 2, `post-invoke ${inv.postInvokeMs} ms covers the slow extension's ${slowMs} ms flush, less the function's run (${inv.durationMs} ms)`)
  }
  t.match(good.stderr, /"shutdownReason":"spindown"/)
  t.match(slow.stderr, /\[slow\] shutdown spindown/)
  if (sandboxed && mode !== 'path-mapped') {
    // Same /tmp as the runtime; and _HANDLER is one of the variables extensions do not get.
    t.same(JSON.parse(run.invokes[0]?.payload ?? '{}'), { event: { n: 1 }, fromExtension: 'registered by good; handler var: unset' })
  }
  const text = renderInvokeRun(run, { logs: true })
  t.match(text, /extensions \(2; ms since the first was launched; the runtime started at [\d.]+ ms\)/)
  t.match(text, /post-invoke .*invoke 1 \d+\.\d ms, invoke 2 \d+\.\d ms/)
  const done = run.extensions?.initDoneMs as number
  t.ok(done >= Math.max(spawn, ...[good, slow].map((e) => e.readyMs as number)), `init done at ${done} ms: after the runtime start and every extension's first /next`)
  t.match(text, /init done \(the runtime and every extension asked for their first event\): [\d.]+ ms/)
  t.match(text, /extension slow logs:\n {2}\| \[slow\] registered 200/)

  const quick = await invoke([layer('good')], { events: [{ n: 1 }] })
  t.ok((quick.invokes[0]?.postInvokeMs as number) < (run.invokes[0]?.postInvokeMs as number) - slowMs / 4, `without the slow one: ${quick.invokes[0]?.postInvokeMs} ms`)
})

t.test('an extension that never registers: init times out naming it, and the runtime never starts', { ...needsRic }, async (t) => {
  // Long enough, on this machine, for the good one to register.
  const limit = scaled(3000)
  const run = await invoke([layer('good'), layer('never-registers')], { initTimeoutMs: limit, events: [{}] })
  t.equal(run.init.status, 'error')
  t.equal(run.init.error?.errorType, 'Sandbox.Timedout')
  t.match(run.init.error?.errorMessage, `within ${limit / 1000} seconds: extension never-registers never registered`)
  t.equal(run.extensions?.runtimeSpawnMs, undefined, 'no runtime without every registration')
  t.equal(run.runtimeStarted, false)
  t.match(renderInvokeRun(run, { logs: false }), /init report: the runtime never started/)
  t.equal(ext(run, 'never-registers').state, 'not-registered')
  t.equal(ext(run, 'good').state, 'ready', 'an extension may finish its own init before the runtime starts')
  t.equal(run.invokes[0]?.error?.errorType, 'Sandbox.Timedout', 'the invoke gets the init error')
})

t.test('an extension that exits before registering, or reports an init error: init fails', { ...needsRic }, async (t) => {
  const crash = await invoke([layer('good'), layer('exits-early')], { events: [{}] })
  t.equal(crash.init.error?.errorType, 'Extension.Crash')
  t.match(crash.init.error?.errorMessage, 'Error: exit code 2 (extension exits-early)')
  t.equal(ext(crash, 'exits-early').state, 'crashed')
  t.match(ext(crash, 'exits-early').stderr, 'ACME_API_KEY is not set')

  const initErr = await invoke([layer('init-error')], { events: [{}] })
  t.equal(initErr.init.error?.errorType, 'Extension.InitError')
  t.match(initErr.init.error?.errorMessage, 'Extension init-error reported Extension.ConfigInvalid during init')
  t.equal(ext(initErr, 'init-error').state, 'init-error')
})

t.test('an extension that exits during an invoke: the response came back, the invoke fails with Extension.Crash, the rest are not run', { ...needsRic }, async (t) => {
  const run = await invoke([layer('good'), layer('crash-on-invoke')], { events: [{ n: 1 }, { n: 2 }] })
  t.equal(run.init.status, 'ok')
  const first = run.invokes[0]
  t.equal(first?.status, 'error')
  t.equal(first?.error?.errorType, 'Extension.Crash')
  t.match(first?.error?.errorMessage, 'exit code 3 (extension crash-on-invoke)')
  t.match(JSON.parse(first?.payload ?? '{}'), { event: { n: 1 } }, 'the function had answered')
  t.equal(run.invokes[1]?.status, 'not-run')
  t.equal(ext(run, 'crash-on-invoke').state, 'crashed')
  t.match(ext(run, 'good').stderr, /"shutdownReason":"failure"/, 'the others get SHUTDOWN with reason failure')
})

t.test('a slow post-invoke phase past the function timeout is a timeout; an extension without the exec bit is a launch error', { ...needsRic }, async (t) => {
  // The function answers at once; the extension's 1.8 s flush runs past the 1 s timeout (extensions get
  // the function's variables), both in this machine's time.
  const run = await invoke([layer('slow')], { timeoutMs: scaled(1000), env: { SLOW_MS: String(scaled(1800)) }, events: [{ n: 1 }, { n: 2 }] })
  t.equal(run.invokes[0]?.status, 'timeout')
  t.match(run.invokes[0]?.error?.errorMessage, 'extension slow did not ask for the next event before the deadline')
  t.equal(run.invokes[1]?.status, 'not-run')
  t.match(ext(run, 'slow').stderr, /\[slow\] shutdown timeout/, 'SHUTDOWN with reason timeout')

  const dir = makeTemp('test-ext-noexec')
  t.teardown(() => removeTemp(dir))
  cpSync(layer('good'), dir, { recursive: true })
  chmodSync(join(dir, 'extensions/good'), 0o644)
  const noexec = await invoke([dir], { events: [{}] })
  t.equal(noexec.init.error?.errorType, 'Extension.LaunchError')
  t.match(noexec.init.error?.errorMessage, 'fork/exec /opt/extensions/good: permission denied')
})

t.test('--with-layer: later trees win, clashes reported; a folder in /opt/extensions is not started', { ...needsRic }, async (t) => {
  const dir = makeTemp('test-ext-clash')
  t.teardown(() => removeTemp(dir))
  mkdirSync(join(dir, 'extensions/subdir'), { recursive: true })
  writeFileSync(join(dir, 'extensions/subdir/ignored'), '#!/bin/sh\nexit 9\n', { mode: 0o755 })
  cpSync(layer('good'), join(dir, 'other'), { recursive: true })
  mkdirSync(join(dir, 'second/extensions'), { recursive: true })
  cpSync(join(layer('good'), 'extensions/good'), join(dir, 'second/extensions/good'))
  const run = await invoke([layer('good'), join(dir, 'second'), join(dir)], { events: [{}] })
  t.equal(run.init.status, 'ok')
  t.same(run.extensions?.extensions.map((e) => e.name), ['good'])
  t.same(run.layerClashes, ['/opt/extensions/good'])
  writeFileSync(join(dir, 'vendor.zip'), 'PK')
  await t.rejects(invoke([join(dir, 'vendor.zip')]), /--with-layer .*vendor\.zip: a zip; unzip it first/)
  await t.rejects(invoke([join(dir, 'missing')]), /--with-layer .*missing: not a folder/)
})

const project = join(fixtures, 'project')
const projectConfig: WrapgenConfig = {
  name: 'ext-project',
  runtimes: ['nodejs20.x', 'nodejs22.x'],
  extensions: {
    good: './bin/good',
    agent: { entry: './src/agent.ts', files: { 'agent/settings.json': './agent-settings.json' } },
  },
}

t.test('config: extensions and customRuntime are checked, with key paths', async (t) => {
  const bad = openConfig({
    cwd: project,
    config: {
      name: 'x',
      extensions: { 'bad name': './a', both: { entry: './a.ts', file: './a' }, f: { file: './a', files: { '../etc/passwd': './x', 'wrapgen/exec': './y' }, extra: 1 }, e: '' },
      customRuntime: { bootstrap: 'yes', command: '/var/task/bootstrap' },
    } as unknown as WrapgenConfig,
  })
  const e = await bad.then(() => undefined, (x: unknown) => x as { details?: string[] })
  const details = e?.details?.join('\n') ?? ''
  t.match(details, /extensions\.bad name: "bad name" is not a usable extension name/)
  t.match(details, /extensions\.both: give exactly one of "entry"/)
  t.match(details, /extensions\.f\.files\.\.\.\/etc\/passwd: "\.\.\/etc\/passwd" is not a path inside the layer/)
  t.match(details, /extensions\.f\.files\.wrapgen\/exec: "wrapgen\/exec" is wrapgen's own place/)
  t.match(details, /extensions\.f\.extra: unknown key/)
  t.match(details, /extensions\.e: "" is not a file/)
  t.match(details, /customRuntime\.bootstrap: "yes" is not true or false/)
  t.match(details, /customRuntime\.command: "\/var\/task\/bootstrap" cannot be the function's program/)
  const missing = await openConfig({ cwd: project, config: { name: 'x', extensions: { gone: './bin/nope' } } })
  await t.rejects(buildLayer(missing), /extensions\.gone: .*bin\/nope does not exist/)
})

t.test('build: extensions at /opt/extensions/<name> with the exec bit; a Node entry bundled into one file', async (t) => {
  const config = await openConfig({ cwd: project, config: projectConfig })
  const a = await buildLayer(config)
  const b = await buildLayer(config)
  t.ok(Buffer.from(a.zip).equals(Buffer.from(b.zip)), 'deterministic zip')
  const files = new Map(a.files.map((f) => [f.path, f]))
  t.equal(files.get('extensions/good')?.mode, 0o755)
  t.equal(files.get('extensions/agent')?.mode, 0o755)
  t.equal(files.get('agent/settings.json')?.mode, 0o644)
  const agent = new TextDecoder().decode(files.get('extensions/agent')?.contents)
  t.match(agent, /^#!\/usr\/bin\/env node\n/, 'runs with the runtime\'s node')
  t.notMatch(agent, /require\(["']\.\/protocol/, 'the local module is inside the bundle')
  t.match(agent, /lambda-extension-identifier/)
  t.notMatch(agent, new RegExp(repo.replace(/[/.]/g, '\\$&')), 'no absolute path of this machine in the bundle')
  t.ok(a.manifest.files.some((f) => f.path === 'extensions/agent'), 'listed in the manifest')
  const none = await buildLayer(await openConfig({ cwd: project, config: { name: 'ext-project', runtimes: ['nodejs20.x', 'nodejs22.x'] } }))
  t.notOk(none.files.some((f) => f.path.startsWith('extensions/')), 'no extensions key: nothing added')
  t.not(none.plan.id, a.plan.id, 'extensions change the layer id')
})

t.test('invoke with the config: its extensions (a file and a bundled TypeScript entry) run beside the wrapper', { ...needsRic }, async (t) => {
  const config = await openConfig({ cwd: project, config: projectConfig })
  const built = await buildTempLayer(config)
  t.teardown(built.remove)
  const run = await runInvoke({ unsafeHost: !sandboxed, layerDir: built.layerDir, taskDir: task, events: [{ n: 1 }, { n: 2 }, { n: 3 }], timeoutMs: scaled(5000) })
  t.equal(run.init.status, 'ok', JSON.stringify(run.init))
  t.equal(run.layer, 'wrapgen')
  t.same(run.invokes.map((i) => i.status), ['success', 'success', 'success'])
  t.same(run.extensions?.extensions.map((e) => [e.name, e.state]), [['agent', 'ready'], ['good', 'ready']])
  t.match(ext(run, 'agent').stderr, /\[agent\] acme-agent registered\n\[agent\] acme-agent saw 3 invokes; shutdown spindown/)
})

t.test('custom runtime (provided.al2023): the tutorial-style shell runtime runs through the /opt/bootstrap shim and the wrapper', { skip: !sandboxed ? 'needs bubblewrap: the shim runs /var/task/main, a Lambda path' : needsRic.skip }, async (t) => {
  const customTask = join(fixtures, 'custom-runtime')
  const config = await openConfig({ cwd: project, config: { name: 'native-layer', env: { set: { ACME_LAYER: 'on' } }, customRuntime: { bootstrap: true } } })
  const built = await buildTempLayer(config)
  t.teardown(built.remove)
  const shim = new TextDecoder().decode((await buildLayer(config)).files.find((f) => f.path === 'bootstrap')?.contents)
  t.match(shim, /wrapgen_program=\$\{WRAPGEN_BOOTSTRAP:-\/var\/task\/main\}/)
  t.same((await buildLayer(config)).manifest.compatibleRuntimes.slice(-2), ['provided.al2', 'provided.al2023'], 'the manifest lists the OS-only runtimes')
  for (const sh of ['dash', 'bash']) {
    const r = spawnSync('shellcheck', ['-s', sh === 'dash' ? 'dash' : 'bash', '-'], { input: shim, encoding: 'utf8' })
    t.equal(r.status, 0, `the shim passes shellcheck (${sh}): ${r.stdout}`)
  }

  const base = { taskDir: customTask, runtime: 'provided.al2023', handler: 'function.handler', timeoutMs: scaled(5000) }
  const run = await runInvoke({ unsafeHost: !sandboxed, ...base, layerDir: built.layerDir, events: [{ n: 1 }, { n: 2 }] })
  t.equal(run.init.status, 'ok', JSON.stringify(run.init) + run.logs.stderr)
  t.equal(run.runtime, 'provided.al2023')
  t.same(run.invokes.map((i) => i.status), ['success', 'success'])
  const p = JSON.parse(run.invokes[1]?.payload ?? '{}') as Record<string, unknown>
  t.same(p.echo, { n: 2 }, 'the runtime loop answered the second event on the same process')
  t.equal(p.acme, 'on', 'the wrapper\'s environment edit reached the native program')
  t.equal(p.applied, '', 'an unknown interpreter (a native program) is not marked applied, so a chained copy still edits it')
  t.match(run.logs.stderr, '{"n":1}', 'the handler\'s log')
  t.match(renderInvokeRun(run, { logs: false }), /init report \(custom runtime\), ms since the bootstrap started:\n +0\.0 ms  bootstrap spawned\n +[\d.]+ ms  runtime ready \(first \/next\)/)

  const disabled = await runInvoke({ unsafeHost: !sandboxed, ...base, layerDir: built.layerDir, events: [{}], env: { WRAPGEN_DISABLE: '1' } })
  t.equal((JSON.parse(disabled.invokes[0]?.payload ?? '{}') as Record<string, unknown>).acme, '', 'WRAPGEN_DISABLE=1 bypasses the wrapper')

  // A function that ships /var/task/bootstrap: Lambda runs it, not the shim, so the wrapper never runs.
  const own = makeTemp('test-custom-own')
  t.teardown(() => removeTemp(own))
  cpSync(customTask, own, { recursive: true })
  cpSync(join(customTask, 'main'), join(own, 'bootstrap'))
  const direct = await runInvoke({ unsafeHost: !sandboxed, ...base, taskDir: own, layerDir: built.layerDir, events: [{}] })
  t.equal(direct.invokes[0]?.status, 'success')
  t.equal((JSON.parse(direct.invokes[0]?.payload ?? '{}') as Record<string, unknown>).acme, '', '/var/task/bootstrap wins over /opt/bootstrap')

  const missing = await runInvoke({ unsafeHost: !sandboxed, ...base, noLayer: true, events: [{}] })
  t.equal(missing.init.error?.errorType, 'Runtime.InvalidEntrypoint')
  t.match(missing.init.error?.errorMessage, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")

  const noProgram = await runInvoke({ unsafeHost: !sandboxed, ...base, layerDir: built.layerDir, events: [{}], env: { WRAPGEN_BOOTSTRAP: '/var/task/nope' } })
  t.equal(noProgram.init.error?.errorType, 'Runtime.ExitError')
  t.match(noProgram.logs.stderr, 'wrapgen bootstrap: /var/task/nope is not an executable file')
})

t.test('static checks (for verify): exec bit, format, #! interpreter per runtime, clashes with other layers', async (t) => {
  const dir = makeTemp('test-ext-check')
  t.teardown(() => removeTemp(dir))
  const put = (rel: string, body: string | Buffer, mode: number): void => {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), body, { mode })
  }
  put('layer/extensions/shell', '#!/bin/sh\nexit 0\n', 0o755)
  put('layer/extensions/nodejs', '#!/usr/bin/env node\n', 0o755)
  put('layer/extensions/noexec', '#!/bin/sh\n', 0o644)
  put('layer/extensions/crlf', '#!/bin/sh\r\necho hi\r\n', 0o755)
  put('layer/extensions/plain', 'echo no interpreter\n', 0o755)
  put('layer/extensions/optperl', '#!/opt/acme/perl\n', 0o755)
  put('layer/extensions/sub/x', '#!/bin/sh\n', 0o755)
  cpSync('/bin/true', join(dir, 'layer/extensions/native'))
  put('vendor/extensions/shell', '#!/bin/sh\n', 0o755)
  put('vendor/bin/node', '#!/bin/sh\n', 0o755)
  const findings = checkExtensions({ layerDir: join(dir, 'layer'), runtimes: ['nodejs20.x', 'python3.12'] })
  const get = (ext: string, check: string, runtime?: string) => findings.find((f) => f.extension === ext && f.check === check && (runtime === undefined || f.runtime === runtime))
  t.equal(get('shell', 'interpreter', 'python3.12')?.status, 'ok', '/bin/sh is on every image')
  t.equal(get('nodejs', 'interpreter', 'nodejs20.x')?.status, 'ok')
  t.equal(get('nodejs', 'interpreter', 'python3.12')?.status, 'fail')
  t.match(get('nodejs', 'interpreter', 'python3.12')?.message, 'node does not exist on python3.12')
  t.equal(get('noexec', 'exec-bit')?.status, 'fail')
  t.match(get('noexec', 'exec-bit')?.message, 'Extension.LaunchError')
  t.equal(get('crlf', 'format')?.status, 'fail')
  t.match(get('crlf', 'format')?.message, 'Windows line endings')
  t.equal(get('plain', 'format')?.status, 'fail')
  t.equal(get('optperl', 'interpreter', 'nodejs20.x')?.status, 'fail', 'an /opt interpreter no layer ships')
  t.equal(get('sub', 'layout')?.status, 'warn')
  t.match(get('native', 'format')?.message, /^ELF binary \((x86_64|arm64)\)/)
  t.notOk(findings.some((f) => f.check === 'name-clash'), 'no clash without other layers')

  const withVendor = checkExtensions({ layerDir: join(dir, 'layer'), runtimes: ['python3.12'], withLayers: [join(dir, 'vendor')] })
  t.match(withVendor.find((f) => f.check === 'name-clash'), { extension: 'shell', status: 'fail' })
  t.equal(withVendor.find((f) => f.extension === 'nodejs' && f.check === 'interpreter')?.status, 'ok', 'a layer shipping /opt/bin/node makes node exist')

  // The config's bundled Node entry on a python runtime: the same finding, from a real build.
  const config = await openConfig({ cwd: project, config: { ...projectConfig, runtimes: ['nodejs20.x', 'python3.12'] } })
  const built = await buildTempLayer(config)
  t.teardown(built.remove)
  const real = checkExtensions({ layerDir: built.layerDir, runtimes: config.runtimes })
  t.same(real.filter((f) => f.status !== 'ok').map((f) => [f.extension, f.runtime]), [['agent', 'python3.12']])
  t.ok(extensionChecksFailed(real))
  t.match(renderExtensionFindings(real), /^extensions: fail interpreter agent on python3\.12: node does not exist on python3\.12/)
  t.equal(renderExtensionFindings(checkExtensions({ layerDir: built.layerDir, runtimes: ['nodejs20.x'] })), 'extensions: 2 checked, all ok\n')
})

t.test('build --dockerfile: the lines that put the layer into an image; the tree they copy runs under invoke', { ...needsRic }, async (t) => {
  const dir = makeTemp('test-ext-docker')
  t.teardown(() => removeTemp(dir))
  writeFileSync(join(dir, '.wrapgenrc.json'), JSON.stringify({ name: 'img-layer', runtimes: ['nodejs20.x'], env: { set: { ACME: 'x y' } }, extensions: { good: './good' } }))
  cpSync(join(layer('good'), 'extensions/good'), join(dir, 'good'))
  let out = ''
  const ctx: Context = { cwd: dir, out: (s) => void (out += s), err: () => undefined, debug: false }
  t.equal(await buildCommand.run({ dockerfile: true }, [], ctx), 0)
  t.match(out, /For a container image, add to its Dockerfile:\n\n# wrapgen layer img-layer@[0-9a-f]{12}/)
  t.match(out, /^COPY dist\/layer\/ \/opt\/$/m)
  t.match(out, /^ENV AWS_LAMBDA_EXEC_WRAPPER=\/opt\/wrapgen\/exec$/m)
  t.match(out, /extensions \(good\) are now in \/opt\/extensions/)
  // Do what the two lines do (no Docker here): the COPY source becomes /opt, the ENV is the function's.
  const copy = /^COPY (\S+)\/ \/opt\/$/m.exec(out)?.[1] as string
  const opt = join(dir, 'image-opt')
  cpSync(join(dir, copy), opt, { recursive: true })
  const env = Object.fromEntries([...out.matchAll(/^ENV ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
  t.same(env, { AWS_LAMBDA_EXEC_WRAPPER: '/opt/wrapgen/exec' })
  const run = await runInvoke({ unsafeHost: !sandboxed, layerDir: opt, taskDir: task, events: [{}], timeoutMs: scaled(5000) })
  t.equal(run.invokes[0]?.status, 'success')
  t.equal(ext(run, 'good').state, 'ready')
})

t.test('the /opt/bootstrap shim itself under dash, bash, busybox sh and mksh: the contract, one PID', async (t) => {
  const dir = makeTemp('test-shim')
  t.teardown(() => removeTemp(dir))
  const config = await openConfig({ cwd: project, config: { name: 'shim', customRuntime: { bootstrap: true, command: join(dir, 'my program') } } })
  const shim = join(dir, 'bootstrap')
  writeFileSync(shim, renderBootstrapShim(config, '0.0.0'), { mode: 0o755 })
  writeFileSync(join(dir, 'my program'), '#!/bin/sh\nprintf "program pid=%s args=%s wrapped=%s\\n" "$$" "$#" "${WRAPPED-no}"\n', { mode: 0o755 })
  writeFileSync(join(dir, 'wrapper'), '#!/bin/sh\nexport WRAPPED=yes\nexec "$@"\n', { mode: 0o755 })
  writeFileSync(join(dir, 'not-exec'), '#!/bin/sh\n', { mode: 0o644 })
  const shells = [['dash'], ['bash'], ['busybox', 'sh'], ['mksh']].filter(([s]) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0)
  t.ok(shells.length >= 2, `shells here: ${shells.map((s) => s.join(' ')).join(', ')}`)
  for (const sh of shells) {
    const run = (env: Record<string, string>) => {
      const r = spawnSync(sh[0] as string, [...sh.slice(1), shim], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' })
      return { code: r.status, out: r.stdout, err: r.stderr, pid: r.pid }
    }
    const name = sh.join(' ')
    const plain = run({})
    t.match(plain.out, /^program pid=\d+ args=0 wrapped=no\n$/, `${name}: no wrapper: the program itself`)
    t.equal(Number(/pid=(\d+)/.exec(plain.out)?.[1]), plain.pid, `${name}: exec, same PID`)
    const wrapped = run({ AWS_LAMBDA_EXEC_WRAPPER: join(dir, 'wrapper') })
    t.match(wrapped.out, /^program pid=\d+ args=0 wrapped=yes\n$/, `${name}: through the wrapper`)
    t.equal(Number(/pid=(\d+)/.exec(wrapped.out)?.[1]), wrapped.pid, `${name}: wrapper and program keep the PID`)
    const missing = run({ AWS_LAMBDA_EXEC_WRAPPER: join(dir, 'missing') })
    t.same([missing.code, missing.out, missing.err], [127, `${join(dir, 'missing')}: does not exist\n`, ''], `${name}: missing wrapper`)
    const notExec = run({ AWS_LAMBDA_EXEC_WRAPPER: join(dir, 'not-exec') })
    t.same([notExec.code, notExec.out], [126, `${join(dir, 'not-exec')}: is not an executable\n`], `${name}: wrapper without the exec bit`)
    const noProgram = run({ WRAPGEN_BOOTSTRAP: join(dir, 'nope') })
    t.same([noProgram.code, noProgram.out], [127, ''], `${name}: no program: nothing on stdout`)
    t.match(noProgram.err, `wrapgen bootstrap: ${join(dir, 'nope')} is not an executable file`)
  }
})

t.test('verify: an extensions row per runtime; a node extension fails on a python runtime', async (t) => {
  const { verify } = await import('../src/api-verify.js')
  const config = await openConfig({ cwd: project, config: { ...projectConfig, runtimes: ['nodejs22.x', 'python3.12'] } })
  const r = await verify({ config, memories: [1024], shells: ['dash'], standInOnly: true })
  const rows = r.results.filter((x) => x.check === 'extensions')
  t.same(rows.map((x) => `${x.runtime} ${x.status}`).sort(), ['nodejs22.x pass', 'python3.12 fail'])
  t.match(rows.find((x) => x.runtime === 'python3.12')?.detail, /agent: .*node/, 'the bundled Node extension cannot start on python')
  const plain = await openConfig({ cwd: project, config: { name: 'no-ext', runtimes: ['nodejs22.x'] } })
  const none = await verify({ config: plain, memories: [1024], shells: ['dash'], standInOnly: true })
  t.equal(none.results.filter((x) => x.check === 'extensions').length, 0, 'no row without extensions')
})
