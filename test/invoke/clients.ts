// wrapgen invoke on AWS's real Python and Java runtime clients (awslambdaric, the Java runtime
// interface client), through the built layer and wrapgen's runners: a hook runs before the handler in
// the function's process, the result comes back, a failing hook does not stop the function, a
// critical one gives Lambda's init error, and errors are reported as Lambda reports them. Nothing is
// installed here: where a client is missing (.ci/run installs them as a user would), the tests skip
// with the one line invoke prints.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { makeTemp, removeTemp } from '../../src/cleanup.js'
import { openConfig } from '../../src/config/open.js'
import type { WrapgenConfig } from '../../src/config/types.js'
import { loadCatalogue } from '../../src/runtimes/catalogue.js'
import { buildTempLayer } from '../../src/invoke/layer.js'
import { chooseJdk, findClientJars, javaClient, jdks } from '../../src/invoke/java.js'
import { pythonClient } from '../../src/invoke/python.js'
import { renderInvokeRun } from '../../src/invoke/report.js'
import { runInvoke, type InvokeRun, type InvokeRunOptions } from '../../src/invoke/run.js'
import { scaled } from '../../src/limits/time-limit.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = join(repo, 'test/fixtures/invoke')
const work = makeTemp('clients-test')
t.teardown(() => removeTemp(work))

/** The reason a client is not usable here (what invoke would print), or false. */
const missing = async (make: () => unknown): Promise<string | false> => {
  try {
    await make()
    return false
  } catch (e) {
    return (e as Error).message
  }
}
const fixture = (id: string) => loadCatalogue().runtimes.find((r) => r.id === id)!

async function layerOf(config: WrapgenConfig, dir: string): Promise<{ layerDir: string; remove: () => void }> {
  return buildTempLayer(await openConfig({ cwd: dir, config }))
}

const payload = (run: InvokeRun, i = 0): Record<string, unknown> => JSON.parse(run.invokes[i]?.payload ?? 'null') as Record<string, unknown>
const own = (run: InvokeRun): string[] => run.logs.stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))

// --- Python ---------------------------------------------------------------------------------------

const pyTask = join(work, 'py')
cpSync(join(fixtures, 'python'), pyTask, { recursive: true })
const pythons = ['python3.12', 'python3.13']

const pySkips = new Map<string, string | false>()
for (const r of pythons) pySkips.set(r, await missing(() => pythonClient(r)))
for (const runtime of pythons) {
  const skip = pySkips.get(runtime) ?? false
  t.test(`${runtime} on awslambdaric: hooks before the handler, in its process; a failing hook skipped`, { skip }, async (t) => {
    const layer = await layerOf({ name: 'py-hooks', python: { preloads: ['./hooks/first.py', './hooks/boom.py'] } }, pyTask)
    t.teardown(layer.remove)
    const run = await runInvoke({ layerDir: layer.layerDir, taskDir: pyTask, runtime, handler: 'app.handler', events: [{ n: 1 }, { n: 2 }], timeoutMs: scaled(10_000) })
    t.equal(run.init.status, 'ok', JSON.stringify(run.init.error))
    t.match(run.client?.ran ?? '', new RegExp(`^python ${runtime.slice(6).replace('.', '\\.')}\\.\\d+ .*awslambdaric \\d`), 'the report names the interpreter and client that ran')
    t.same(run.invokes.map((i) => i.status), ['success', 'success'])
    const p = payload(run)
    t.same(p.event, { n: 1 }, 'the result comes back')
    t.equal(p.requestId, run.invokes[0]?.requestId, 'context.aws_request_id is the request id')
    t.equal(p.hookPid, String(p.pid), 'the hook ran in the function\'s process')
    t.equal(p.loadedAtPid, p.pid)
    t.equal(p.hookSawHandler, 'False', 'the hook ran before the handler\'s module was imported')
    t.same(own(run), ['wrapgen: preload ./hooks/boom.py failed: RuntimeError: hook broke; skipped'], 'one line for the failing hook; the function runs')
    t.equal(p.file, '/var/task/app.py')
    t.same(p.argv, ['/var/runtime/bootstrap.py'], 'sys.argv is the runtime\'s, not the runner\'s')
    t.same((p.path as string[]).slice(0, 3), ['/var/task', `/opt/python/lib/python${runtime.slice(6)}/site-packages`, '/opt/python'], 'sys.path as Lambda\'s bootstrap.py builds it')
    const r = run.initReport
    t.same(r.hooks.map((h) => [h.name, h.ok]), [['./hooks/first.py', true], ['./hooks/boom.py', false]])
    const order = [r.interpreterStartMs, r.hooks[0]?.startMs, r.runtimeEntryMs, r.handlerReadyMs, r.firstInvokeMs]
    t.ok(order.every((v) => typeof v === 'number'), `every phase measured: ${JSON.stringify(order)}`)
    t.same([...(order as number[])].sort((a, b) => a - b), order, 'interpreter -> hooks -> entry -> handler loaded -> first answer')
    const text = renderInvokeRun(run, { logs: true })
    t.match(text, new RegExp(`${runtime} start  \\[exec seen\\]`))
    t.match(text, /hook \.\/hooks\/boom\.py  \[[\d.]+ ms \(failed\)\]/)

    // The same function without the layer sees the same path, argv and file (the runner is invisible).
    const bare = await runInvoke({ noLayer: true, taskDir: pyTask, runtime, handler: 'app.handler', events: [{}], timeoutMs: scaled(10_000) })
    const b = payload(bare)
    t.same([b.path, b.argv, b.file], [p.path, p.argv, p.file], 'sys.path, sys.argv and __file__ as without the layer')
    t.same(b.modules, [])
    t.same(p.modules, ['wrapgen_hook_01_first', 'wrapgen_hook_02_boom', 'wrapgen_hooks'], 'the only modules the layer adds are its documented ones')
  })
}

const py = pythons.find((r) => !pySkips.get(r)) ?? 'python3.12'
const pySkip = pySkips.get(py) ?? false

t.test('python: a critical hook that fails stops init, as Lambda reports a runtime that exits', { skip: pySkip }, async (t) => {
  const layer = await layerOf({ name: 'py-critical', python: { preloads: [{ module: './hooks/boom.py', critical: true }, './hooks/first.py'] } }, pyTask)
  t.teardown(layer.remove)
  const run = await runInvoke({ layerDir: layer.layerDir, taskDir: pyTask, runtime: py, handler: 'app.handler', events: [{}], timeoutMs: scaled(10_000) })
  t.equal(run.init.status, 'error')
  t.equal(run.init.error?.errorType, 'Runtime.ExitError')
  t.equal(run.init.error?.errorMessage, 'Runtime exited with error: exit status 1')
  t.same(own(run), ['wrapgen: preload ./hooks/boom.py failed: RuntimeError: hook broke (critical: stopping start-up)'])
  t.equal(run.invokes[0]?.error?.errorType, 'Runtime.ExitError', 'the invoke gets the init error')
  t.equal(run.initReport.runtimeEntryMs, undefined, 'the runtime never started')
})

t.test('python: errors as Lambda reports them (awslambdaric\'s own)', { skip: pySkip }, async (t) => {
  const go = (handler: string, events: unknown[] = [{}]): Promise<InvokeRun> => runInvoke({ noLayer: true, taskDir: pyTask, runtime: py, handler, events, timeoutMs: scaled(10_000) })
  const noModule = await go('nope.handler')
  t.same([noModule.init.error?.errorType, noModule.init.error?.errorMessage], ['Runtime.ImportModuleError', "Unable to import module 'nope': No module named 'nope'"])
  t.equal(noModule.exit?.code, 1, 'the client exits 1 after reporting the init error')
  const noHandler = await go('app.nope')
  t.same([noHandler.init.error?.errorType, noHandler.init.error?.errorMessage], ['Runtime.HandlerNotFound', "Handler 'nope' missing on module 'app'"])
  const throws = await go('app.fails', [{ x: 1 }, { x: 2 }])
  t.same(throws.invokes.map((i) => i.status), ['error', 'error'], 'the process keeps serving after an exception')
  const e = throws.invokes[1]?.error
  t.same([e?.errorType, e?.errorMessage], ['ValueError', 'bad input: 2'])
  t.match(e?.stackTrace?.[0], /File "\/var\/task\/app\.py", line \d+, in fails/)
  t.match(throws.logs.stdout, /\[ERROR\] ValueError: bad input: 2\r/, 'the client logs the error on stdout, lines joined by \\r')
})

const bare = spawnSync('/usr/bin/python3', ['-c', 'import awslambdaric'], { stdio: 'ignore' })
t.test('python: without the client, one line saying what to install', { skip: bare.error || bare.status === 0 ? 'no /usr/bin/python3 without awslambdaric here' : false }, async (t) => {
  await t.rejects(runInvoke({ noLayer: true, taskDir: pyTask, runtime: 'python3.12', interpreter: '/usr/bin/python3', handler: 'app.handler', events: [{}] }),
    { exitCode: 1, message: /^python3\.12 needs AWS's Python runtime client, which \/usr\/bin\/python3 does not import: run "\/usr\/bin\/python3 -m pip install awslambdaric==4\.2\.2"$/ })
})

// --- Java -----------------------------------------------------------------------------------------

const javaSkip = await missing(() => javaClient(fixture('java21')))
const jdk = chooseJdk(21, jdks())

/** The handler and the agents, compiled here with the JDK the java21 runs use (classes for Java 21). */
async function buildJava(): Promise<{ task: string; probe: string; boom: string }> {
  const { jars } = await findClientJars('java21')
  const core = jars.find((j) => /aws-lambda-java-core-/.test(j))!
  const dir = join(work, 'java')
  const task = join(dir, 'task')
  mkdirSync(join(dir, 'agents'), { recursive: true })
  const javac = (args: string[]): void => {
    const r = spawnSync(join(jdk!.home, 'bin/javac'), ['--release', '21', ...args], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`javac failed: ${r.stderr}`)
  }
  javac(['-cp', core, '-d', task, join(fixtures, 'java/example/Handler.java')])
  javac(['-d', join(dir, 'agents'), join(fixtures, 'java/agents/Probe.java'), join(fixtures, 'java/agents/Boom.java')])
  const jar = (name: string, cls: string): string => {
    writeFileSync(join(dir, `${name}.mf`), `Premain-Class: ${cls}\n`)
    const r = spawnSync(join(jdk!.home, 'bin/jar'), ['cfm', join(dir, `${name}.jar`), join(dir, `${name}.mf`), '-C', join(dir, 'agents'), `${cls}.class`], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`jar failed: ${r.stderr}`)
    return join(dir, `${name}.jar`)
  }
  jar('probe', 'Probe')
  jar('boom', 'Boom')
  // Agent paths as a config names them: relative to its folder (work).
  return { task, probe: './java/probe.jar', boom: './java/boom.jar' }
}

t.test('java21 on the Java runtime client: agents before the main class, both inject modes; errors as Lambda reports them', { skip: javaSkip }, async (t) => {
  const j = await buildJava()
  const handler = 'example.Handler::handleRequest'
  for (const inject of ['argv', 'JAVA_TOOL_OPTIONS'] as const) {
    const layer = await layerOf({ name: 'java-hooks', java: { inject, agents: [j.probe, j.boom] } }, work)
    t.teardown(layer.remove)
    const run = await runInvoke({ layerDir: layer.layerDir, taskDir: j.task, runtime: 'java21', handler, events: [{ n: 1 }, { fail: 'x' }], timeoutMs: scaled(15_000), initTimeoutMs: scaled(30_000) })
    t.equal(run.init.status, 'ok', `${inject}: ${JSON.stringify(run.init.error)}`)
    const p = payload(run)
    t.equal(p.agentPid, String(p.pid), `${inject}: the agent ran in the function's JVM`)
    t.equal(p.loadedIn, p.pid)
    t.equal(p.agentSawHandler, 'false', `${inject}: before the handler class was loaded`)
    t.equal(p.requestId, run.invokes[0]?.requestId)
    t.equal(p.userDir, '/var/task')
    t.same(own(run), ['wrapgen: agent ' + j.boom + ' failed: java.lang.IllegalStateException: agent broke; skipped'], `${inject}: one line for the failing agent`)
    const jvm = p.jvm as string[]
    // The catalogue's JVM options reach the JVM (less those naming files only AWS's image has), the runner agent after them.
    for (const opt of ['-XX:MaxHeapSize=111411k', '-XX:+UseSerialGC', '-XX:+TieredCompilation', '-XX:TieredStopAtLevel=1', '--add-opens=java.base/java.io=ALL-UNNAMED', '-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac', '-XX:+ErrorFileToStderr', '-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=/var/runtime/lib/jni/libaws-lambda-jni.linux-x86_64.so']) t.ok(jvm.includes(opt), `${inject}: the JVM got ${opt}`)
    if (inject === 'argv') t.equal(jvm[jvm.length - 1], '-javaagent:/opt/wrapgen/java/wrapgen-agents.jar=/opt/wrapgen/java', 'argv: the runner agent last, right before the main class')
    else t.equal(jvm[0], '-javaagent:/opt/wrapgen/java/wrapgen-agents.jar=/opt/wrapgen/java', 'JAVA_TOOL_OPTIONS: read before the command line')
    t.equal(p.command, `com.amazonaws.services.lambda.runtime.api.client.AWSLambda ${handler}`, 'the main class and the handler string, as on Lambda')
    const cp = (p.classPath as string).split(':')
    t.same(cp, [...cp].sort(), 'the classpath is /var/runtime/lib\'s jars by file name, as on Lambda')
    t.ok(cp.every((j) => j.startsWith('/var/runtime/lib/')) && cp.some((j) => /aws-lambda-java-core-/.test(j)) && cp.some((j) => /aws-lambda-java-runtime-interface-client-/.test(j)), cp.join(':'))
    t.match(run.client?.notes.join('\n') ?? '', /left out \(they name files only AWS's image has\): -javaagent:\/var\/runtime\/lib\/Log4jHotPatch\.jar=log4jFixerVerbose=false -Xshare:on -XX:SharedArchiveFile=\/var\/lang\/lib\/server\/runtime\.jsa/)
    const e = run.invokes[1]?.error
    t.same([e?.errorType, e?.errorMessage], ['java.lang.IllegalArgumentException', 'bad input: x'], 'an exception: its class and message')
    t.match(e?.stackTrace?.[0], /^example\.Handler\.handleRequest\(Handler\.java:\d+\)$/)
    const r = run.initReport
    t.same(r.hooks.map((h) => [h.name, h.ok]), [[j.probe, true], [j.boom, false]], 'the runner agent\'s hook times are in the report')
    t.ok(typeof r.interpreterStartMs === 'number' && r.interpreterStartMs < (r.handlerReadyMs ?? 0), 'java start before the handler loaded')
  }
  // A critical agent that fails: the JVM exits before the client starts; Lambda's init error.
  const crit = await layerOf({ name: 'java-critical', java: { agents: [{ jar: j.boom, critical: true }, j.probe] } }, work)
  t.teardown(crit.remove)
  const c = await runInvoke({ layerDir: crit.layerDir, taskDir: j.task, runtime: 'java21', handler, events: [{}], timeoutMs: scaled(15_000), initTimeoutMs: scaled(30_000) })
  t.same([c.init.error?.errorType, c.init.error?.errorMessage], ['Runtime.ExitError', 'Runtime exited with error: exit status 1'])
  t.same(own(c), [`wrapgen: agent ${j.boom} failed: java.lang.IllegalStateException: agent broke (critical: stopping start-up)`])
  // The function as a deployment jar: unpacked into /var/task as Lambda does.
  const jar = join(work, 'java', 'function.jar')
  t.equal(spawnSync(join(jdk!.home, 'bin/jar'), ['cf', jar, '-C', j.task, '.']).status, 0)
  const fromJar = await runInvoke({ noLayer: true, taskDir: jar, runtime: 'java21', handler, events: [{ n: 2 }], timeoutMs: scaled(15_000), initTimeoutMs: scaled(30_000) })
  t.equal(fromJar.invokes[0]?.status, 'success', `a .jar --task runs: ${JSON.stringify(fromJar.invokes[0]?.error ?? fromJar.init.error)}`)
  // A class that is not there: the Java client does not fail init; every invoke gets the error (as on Lambda).
  const nf = await runInvoke({ noLayer: true, taskDir: j.task, runtime: 'java21', handler: 'example.Nope::handleRequest', events: [{}], timeoutMs: scaled(15_000), initTimeoutMs: scaled(30_000) })
  t.equal(nf.init.status, 'ok')
  t.same([nf.invokes[0]?.error?.errorType, nf.invokes[0]?.error?.errorMessage], ['java.lang.ClassNotFoundException', 'Class not found: example.Nope'])
})

t.test('java: without the client jars, one line saying what to fetch', { skip: javaSkip }, async (t) => {
  const empty = join(work, 'no-jars')
  mkdirSync(empty, { recursive: true })
  const opts: InvokeRunOptions = { noLayer: true, taskDir: empty, runtime: 'java21', handler: 'example.Handler', events: [{}], ricJars: empty }
  await t.rejects(runInvoke(opts), { exitCode: 1, message: /^--ric-jars .*no aws-lambda-java-runtime-interface-client-\*\.jar there\. java21 needs AWS's Java runtime client: run "mvn dependency:get -Dartifact=com\.amazonaws:aws-lambda-java-runtime-interface-client:2\.10\.1"/ })
})

// --- verify's real and hooks columns on the real clients ----------------------------------------

const sandboxed = (await import('../../src/sandbox/index.js')).sandboxAvailable()
const verifySkip = !sandboxed ? 'bubblewrap cannot make namespaces here (verify runs real interpreters only in the sandbox)' : pySkip || javaSkip

t.test('verify: python and java real and hooks columns run on the real clients, and say so', { skip: verifySkip }, async (t) => {
  const { verify } = await import('../../src/api-verify.js')
  const { renderTable } = await import('../../src/verify/report.js')
  const j = await buildJava()
  const dir = work
  cpSync(join(fixtures, 'python/hooks'), join(dir, 'hooks'), { recursive: true })
  const config = await openConfig({ cwd: dir, config: { name: 'verify-clients', python: { flags: ['-X', 'dev'], preloads: ['./hooks/first.py', 'json'] }, java: { flags: ['-XX:+UseSerialGC'], agents: [j.probe] } } })
  const report = await verify({ config, runtime: `${py},java21`, memories: [512], shells: ['dash'], mode: 'sandboxed' })
  const row = (runtime: string, check: string) => report.results.find((x) => x.runtime === runtime && x.check === check)
  for (const rt of [py, 'java21']) {
    for (const check of ['real', 'hooks']) t.equal(row(rt, check)?.status, 'pass', `${rt} ${check}: ${row(rt, check)?.detail}`)
  }
  t.same(report.clients?.ran.map((c) => `${c.runtime}: ${c.checks.join(', ')}`).sort(), ['java21: real, hooks', `${py}: real, hooks`].sort())
  const table = renderTable(report).replace(/\n  /g, ' ') // continuation lines joined
  t.match(table, new RegExp(`on AWS's runtime client: ${py.replace('.', '\\.')}: real, hooks on python 3\\.\\d+\\.\\d+ .*awslambdaric`), 'the table says which columns ran on the real client')
  t.match(table, /on AWS's runtime client: java21: real, hooks on java [\d.]+ .*aws-lambda-java-runtime-interface-client/)

  // It can fail: a python flag that changes the module search path (-S: no site-packages) is caught
  // by comparing the handler's sys.path with the start without the layer.
  const noSite = await openConfig({ cwd: dir, config: { name: 'verify-clients', python: { flags: ['-S'], preloads: ['./hooks/first.py'] } } })
  const bad = await verify({ config: noSite, runtime: py, memories: [512], shells: ['dash'], mode: 'sandboxed' })
  t.equal(bad.results.find((x) => x.runtime === py && x.check === 'hooks')?.status, 'fail')
  t.match(bad.results.find((x) => x.runtime === py && x.check === 'hooks')?.detail, /^sys\.path is .*, without the layer /)
})

t.test('verify on the python client: a hook named by a module the runtime would not find fails the hooks row (issue 21)', { skip: !sandboxed ? 'bubblewrap cannot make namespaces here' : pySkip }, async (t) => {
  const { verify } = await import('../../src/api-verify.js')
  // The probe layers stand in for every configured hook, so without the lookup this verified green
  // and the hook then failed with ModuleNotFoundError at every cold start.
  const config = await openConfig({ cwd: work, config: { name: 'verify-clients-missing', python: { preloads: ['json', 'acme_hooks.otel'] } } })
  const report = await verify({ config, runtime: py, memories: [512], shells: ['dash'], mode: 'sandboxed' })
  t.same(report.clients?.ran.map((c) => c.runtime), [py], 'ran on the real client')
  t.match(report.results.find((x) => x.runtime === py && x.check === 'hooks'), { status: 'fail', detail: /^python\.preloads\[1\] "acme_hooks\.otel": no such module where the runtime looks at cold start/ })
  t.equal(report.results.find((x) => x.runtime === py && x.check === 'real')?.status, 'pass', 'the real row is the wrapper\'s, unaffected')
})
