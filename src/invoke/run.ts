// `wrapgen invoke` without the command line: start the Runtime API, start the emulated function
// (bootstrap -> wrapper -> node -> our entry -> aws-lambda-ric -> the handler), send the events one
// at a time to the same warm process, and collect results, logs and the init report.
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { UsageError, UserError } from '../errors.js'
import { hostRunReason, openSession, pickMode, sandboxAvailable, type Session } from '../sandbox/index.js'
import { functionCommand, invokeRuntime } from './env.js'
import { invokeLaunch, lambdaBinds, mapPath } from './launch.js'
import { buildTempLayer, type PreparedLayer } from './layer.js'
import { makeInvokeLayout, type Mode } from './layout.js'
import { startFunction, type FunctionProcess } from './process.js'
import { startRuntimeApi, type FunctionError, type InvokeResult, type RuntimeApi, type Timestamp } from './runtime-api.js'
import { initReport, type InitReport } from './timing.js'
import { DEFAULT_MEMORY_MB } from '../runtimes/memory.js'
import { performance } from 'node:perf_hooks'
import { createExtensionsHost, type ExtensionsHost, type ExtensionsPhase } from './extensions.js'
import type { ShutdownReason } from './extensions-api.js'
import { listExtensions } from '../layer-tree/extensions.js'
import { mergeLayers, withLayerTree, type MergedLayers } from '../layer-tree/folders.js'
import { findBootstrap, isProvided, providedLaunch, providedRuntime } from './provided.js'
import { clientFor, defaultHandler } from './client-for.js'
import { providedClient } from './node.js'
import { watchExec } from './exec-watch.js'
import { isTaskArchive, unpackTask } from './task-archive.js'
import { scaled } from '../limits/time-limit.js'

export interface InvokeRunOptions {
  /** Built into a temp layer unless `layerDir` is given; ignored with `noLayer`. */
  readonly config?: ResolvedConfig | undefined
  /** An already-built /opt tree (the layer/ folder of `wrapgen build`). */
  readonly layerDir?: string | undefined
  /** Run the same function without wrapgen (no layer, no AWS_LAMBDA_EXEC_WRAPPER). */
  readonly noLayer?: boolean
  /** The function's code, mounted at /var/task: a folder, or a .zip/.jar deployment package (unpacked). */
  readonly taskDir: string
  /** @default 'index.handler' (python: 'lambda_function.lambda_handler'; java: required) */
  readonly handler?: string
  /** @default 'nodejs20.x' */
  readonly runtime?: string
  /** One invoke per event, all on one warm process. */
  readonly events: readonly unknown[]
  /** @default 128 */
  readonly memory?: number
  /** Per invoke. @default 3000 */
  readonly timeoutMs?: number
  /** @default 'auto' (sandboxed when bubblewrap works; refused without it unless `unsafeHost`) */
  readonly mode?: Mode | 'auto'
  /** Run the function and its extensions on this host, path-mapped (they can read and write what you can). */
  readonly unsafeHost?: boolean
  /** The function's own variables. */
  readonly env?: Readonly<Record<string, string>>
  /** @default 'wrapgen-invoke' */
  readonly functionName?: string
  /** Other layers' /opt trees (a vendor's extension, say), added after wrapgen's in this order; later files win, as on Lambda. */
  readonly withLayers?: readonly string[]
  /** Lambda's init limit, for tests. @default 10000 */
  readonly initTimeoutMs?: number
  /** A python or java binary to run instead of the one found for the runtime. */
  readonly interpreter?: string | undefined
  /** A folder holding AWS's Java runtime client jars, instead of the Maven local repository. */
  readonly ricJars?: string | undefined
}

export interface InvokeOutcome {
  readonly index: number
  readonly requestId: string
  readonly status: InvokeResult['status'] | 'not-run'
  readonly payload?: string | undefined
  readonly error?: FunctionError | undefined
  readonly durationMs: number
  /** With extensions: from the runtime's next /next to the last extension's (Lambda's PostRuntimeExecutionDuration). */
  readonly postInvokeMs?: number | undefined
}

export interface InvokeRun {
  readonly mode: Mode
  readonly layer: 'wrapgen' | 'none'
  readonly runtime: string
  /** The function's memory in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE and the runtime's heap flags). */
  readonly memory: number
  readonly handler: string
  readonly init: { readonly status: 'ok' | 'error'; readonly error?: FunctionError | undefined; readonly durationMs?: number | undefined }
  readonly initReport: InitReport
  readonly invokes: readonly InvokeOutcome[]
  readonly logs: { readonly stdout: string; readonly stderr: string }
  readonly exit: { readonly code: number | null; readonly signal: string | null } | undefined
  /** External extensions found in /opt/extensions, and what they did. */
  readonly extensions?: ExtensionsPhase | undefined
  /** false when init failed before the runtime process was started (extension init, no bootstrap). */
  readonly runtimeStarted?: boolean
  /** Files that a --with-layer tree replaced in an earlier layer (/opt paths). */
  readonly layerClashes?: readonly string[] | undefined
  /** Which interpreter and runtime client ran, and what differs from Lambda here. */
  readonly client?: { readonly ran: string; readonly notes: readonly string[] } | undefined
}

/** Lambda's limit on an on-demand function's init phase. */
const INIT_LIMIT_MS = 10_000

type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** How Lambda reports a runtime process that ended without answering. */
const exitError = (e: Exit): FunctionError => {
  const how = e.signal ? `signal: ${e.signal.replace(/^SIG/, '').toLowerCase()}` : `exit status ${e.code}`
  const errorMessage = `Runtime exited with error: ${how}`
  return { errorType: 'Runtime.ExitError', errorMessage, body: JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage }) }
}

/** Lambda's init timeout, naming the extensions that never registered (and the limit here, when scaled to this machine). */
function initTimeoutError(limitMs: number, unregistered: readonly string[], lambdaMs?: number): FunctionError {
  const who = unregistered.length > 0 ? `: extension${unregistered.length === 1 ? '' : 's'} ${unregistered.join(', ')} never registered` : ''
  const here = lambdaMs !== undefined && lambdaMs !== limitMs ? ` (Lambda's limit; ${(limitMs / 1000).toFixed(1)} s on this machine, scaled to its measured speed)` : ''
  const errorMessage = `Init did not finish within ${(lambdaMs ?? limitMs) / 1000} seconds${here}${who}`
  return { errorType: 'Sandbox.Timedout', errorMessage, body: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage }) }
}

/** The /opt tree in DIR: DIR itself, or DIR/layer (the out folder of `wrapgen build`). */
function layerTree(dir: string): string {
  if (existsSync(join(dir, 'wrapgen/exec'))) return dir
  if (existsSync(join(dir, 'layer/wrapgen/exec'))) return join(dir, 'layer')
  throw new UserError(`--layer ${dir}: no wrapgen/exec there or in its layer/ folder; run wrapgen build first`)
}

/** Where the Runtime API is inside the sandbox, as on Lambda. */
const SANDBOX_RUNTIME_API_PORT = 9001

/**
 * Where an invoke may run: the sandbox, or this host only with --unsafe-host; a UserError otherwise.
 * The CLI asks before it says anything of the run, so a refusal is its only line.
 */
export function invokeMode(asked: InvokeRunOptions['mode'], unsafeHost: boolean | undefined): Mode {
  const available = sandboxAvailable()
  if (asked === 'sandboxed' && !available) throw new UserError('--mode sandboxed: bubblewrap (bwrap) is not installed or cannot make namespaces here; install it')
  // The function, its layers' extensions and a custom runtime are code wrapgen did not write.
  const onHost = unsafeHost ? undefined : hostRunReason(asked, available)
  if (onHost) throw new UserError(`invoke runs the function and its layers' extensions, code wrapgen did not write, only in the sandbox: ${onHost}; install bubblewrap, or pass --unsafe-host to run them on this host anyway`)
  return pickMode(asked, available)
}

export async function runInvoke(opts: InvokeRunOptions): Promise<InvokeRun> {
  const mode = invokeMode(opts.mode, opts.unsafeHost)
  if (!isTaskArchive(opts.taskDir) || !existsSync(opts.taskDir) || !statSync(opts.taskDir).isFile()) return runInvokeOn(opts, mode)
  // A deployment package: unpacked as Lambda unpacks it into /var/task.
  const task = await unpackTask(opts.taskDir)
  try {
    return await runInvokeOn({ ...opts, taskDir: task.dir }, mode)
  } finally {
    task.remove()
  }
}

async function runInvokeOn(opts: InvokeRunOptions, mode: Mode): Promise<InvokeRun> {
  const provided = isProvided(opts.runtime)
  const runtime = provided ? providedRuntime(opts.runtime as string) : invokeRuntime(opts.runtime ?? 'nodejs20.x')
  const handler = opts.handler ?? defaultHandler(runtime)
  if (handler === undefined) throw new UsageError(`--runtime ${runtime.id}: give --handler, e.g. example.Handler::handleRequest`)
  const memory = opts.memory ?? DEFAULT_MEMORY_MB
  if (!existsSync(opts.taskDir) || !statSync(opts.taskDir).isDirectory()) throw new UserError(`--task ${opts.taskDir}: not a folder; give the folder holding the function's code, or its .zip/.jar deployment package`)
  // The user's layers are checked before this machine's runtime client is looked up (a wrong path is
  // said first, whatever is installed) and before anything is built (a bad one leaves nothing behind).
  const givenLayer = !opts.noLayer && opts.layerDir ? layerTree(opts.layerDir) : undefined
  for (const dir of opts.withLayers ?? []) withLayerTree(dir)
  // The runtime's client and interpreter, found before anything is built (a missing one is one line).
  const client = provided ? providedClient() : await clientFor(runtime, { taskDir: opts.taskDir, interpreter: opts.interpreter, ricJars: opts.ricJars })
  let prepared: PreparedLayer | undefined
  let layerDir: string | undefined
  let merged: MergedLayers | undefined
  let layout: ReturnType<typeof makeInvokeLayout>
  // What is built here is removed here when a later step fails: nothing is left in the temp folder.
  try {
    if (!opts.noLayer) {
      if (givenLayer) layerDir = givenLayer
      else if (opts.config) layerDir = (prepared = await buildTempLayer(opts.config)).layerDir
      else throw new UserError('no layer to run: give a config, a built layer (--layer), or --no-layer')
    }
    if (opts.withLayers && opts.withLayers.length > 0) layerDir = (merged = mergeLayers(opts.noLayer ? undefined : layerDir, opts.withLayers)).dir
    layout = makeInvokeLayout({ mode, layerDir, taskDir: opts.taskDir, client })
  } catch (e) {
    merged?.remove()
    prepared?.remove()
    throw e
  }
  const wrapgenLayer = !opts.noLayer
  let fn: FunctionProcess | undefined
  let api: RuntimeApi | undefined
  // Lambda's 10 s, as much of this machine's time as Lambda's: a busy machine must not fail an init Lambda would pass.
  const initLimit = opts.initTimeoutMs ?? scaled(INIT_LIMIT_MS)
  const lambdaLimit = opts.initTimeoutMs === undefined ? INIT_LIMIT_MS : undefined
  const extNames = listExtensions(layout.opt)
  let session: Session | undefined
  let ext: ExtensionsHost | undefined
  try {
    // One sandbox for the run: the runtime and every extension share its /tmp, network and uid.
    if (mode === 'sandboxed') session = await openSession({ binds: lambdaBinds(layout), limits: { memoryMiB: Math.max(2 * memory, 1024) } })
    ext = extNames.length === 0 ? undefined
      : createExtensionsHost({ mode, session, layout, names: extNames, functionName: opts.functionName ?? 'wrapgen-invoke', handler })
    api = await startRuntimeApi({
      timeoutMs: opts.timeoutMs ?? 3000, onTimeout: () => fn?.kill(),
      ...(ext ? { extraRoutes: ext.api.handle, onDispatch: ext.runtimeDispatched, onNext: ext.runtimePolled } : {}),
    })
    // Sandboxed, the Runtime API is at Lambda's own address inside, and nothing else of the host is.
    if (session) await session.expose(api.server, SANDBOX_RUNTIME_API_PORT)
    const path = mapPath(mode, layout)
    const { argv, env } = functionCommand({
      runtime, memory, handler, runtimeApi: session ? `127.0.0.1:${SANDBOX_RUNTIME_API_PORT}` : api.address,
      functionName: opts.functionName ?? 'wrapgen-invoke',
      wrapper: wrapgenLayer ? '/opt/wrapgen/exec' : undefined,
      functionEnv: opts.env ?? {}, path, mapped: mode === 'path-mapped', client,
    })
    // Extension init comes first: every extension starts and must register before the runtime starts.
    const initStart = performance.now()
    let earlyErr: FunctionError | undefined
    if (ext) {
      ext.launch(env)
      let extTimer: NodeJS.Timeout | undefined
      const failed = await Promise.race([ext.registered(), new Promise<'timeout'>((r) => (extTimer = setTimeout(() => r('timeout'), initLimit)))])
      clearTimeout(extTimer)
      if (failed) earlyErr = failed === 'timeout' ? initTimeoutError(initLimit, ext.unregistered(), lambdaLimit) : failed
    }
    // A custom runtime's bootstrap is looked up when the runtime starts (after extension init).
    const boot = provided && !earlyErr ? findBootstrap(layout) : undefined
    if (boot && 'error' in boot) earlyErr = boot.error
    if (earlyErr) {
      const initError = earlyErr
      await ext?.shutdown('failure', undefined)
      const now = { hr: performance.now(), epochMs: Date.now() }
      return {
        mode, layer: wrapgenLayer ? 'wrapgen' : 'none', runtime: runtime.id, memory, handler,
        init: { status: 'error', error: initError },
        initReport: initReport({ spawnedAt: now, stderr: '', reportLines: [], initDoneAt: undefined, firstResponseAt: undefined }),
        invokes: opts.events.map((_, index) => ({ index, requestId: '', status: 'error' as const, error: initError, durationMs: 0 })),
        logs: { stdout: '', stderr: '' }, exit: undefined, runtimeStarted: false,
        ...(ext ? { extensions: ext.report(undefined) } : {}), ...(merged ? { layerClashes: merged.clashes } : {}),
      }
    }
    ext?.runtimeStarting()
    // In the run's sandbox, the runtime shares /tmp with the extensions, as on Lambda.
    const launch = boot && 'path' in boot ? providedLaunch(mode, layout, boot.path, env, session) : invokeLaunch(mode, layout, argv, env, session)
    const proc = (fn = startFunction(launch.command, launch.args, launch.cwd))
    // Python and java: when the interpreter was exec'd (node's entry reports its own start).
    const interp = client.family === 'node' ? undefined : { name: client.processName, family: client.family, watch: watchExec(proc.child.pid, client.processName) }
    let exit: Exit | undefined
    const exited = proc.exited.then((e) => (exit = e))
    // Init ends with the first /next, an /init/error, the process ending first, or Lambda's 10 s init limit.
    let initTimer: NodeJS.Timeout | undefined
    const initOutcome = await Promise.race([
      api.initDone().then(() => 'ready' as const),
      api.initError().then(() => 'init-error' as const),
      exited.then(() => 'exited' as const),
      new Promise<'init-timeout'>((r) => (initTimer = setTimeout(() => r('init-timeout'), initLimit - (performance.now() - initStart)))),
      ...(ext ? [ext.failure().then(() => 'extension-error' as const)] : []),
    ])
    clearTimeout(initTimer)
    interp?.watch.stop()
    let initErr: FunctionError | undefined
    let initDoneHr: number | undefined
    if (initOutcome === 'extension-error') initErr = ext?.failed()
    if (initOutcome === 'ready' && ext) {
      // Init ends when every registered extension has asked for its first event too.
      const failed = await Promise.race([ext.ready(), new Promise<'timeout'>((r) => (initTimer = setTimeout(() => r('timeout'), initLimit - (performance.now() - initStart))))])
      clearTimeout(initTimer)
      if (failed === 'timeout') initErr = initTimeoutError(initLimit, [], lambdaLimit)
      else if (failed) initErr = failed
      else initDoneHr = performance.now()
    }
    if (initOutcome === 'init-error') {
      initErr = api.initErrorValue
      // The runtime exits right after reporting (aws-lambda-ric: 129); wait briefly to report how.
      await Promise.race([exited, new Promise((r) => setTimeout(r, scaled(2000)).unref())])
    } else if (initOutcome === 'exited') {
      initErr = api.initErrorValue ?? exitError(exit as Exit)
    } else if (initOutcome === 'init-timeout') {
      initErr = initTimeoutError(initLimit, [], lambdaLimit)
      proc.kill()
    }
    const invokes: InvokeOutcome[] = []
    let stop = false
    let firstResponse: Timestamp | undefined
    for (const [index, event] of opts.events.entries()) {
      if (initErr || stop) {
        // An init failure is what every invoke gets back, as on Lambda; after a timeout or crash this
        // process is gone (Lambda would start a new one: run again for that).
        invokes.push({ index, requestId: '', status: initErr ? 'error' : 'not-run', error: initErr, durationMs: 0 })
        continue
      }
      const extFailed = ext?.failed()
      if (extFailed) {
        // An extension that crashed between invokes: Lambda resets the environment at the next invoke.
        invokes.push({ index, requestId: '', status: 'error', error: extFailed, durationMs: 0 })
        stop = true
        continue
      }
      const r = await Promise.race([api.invoke(event), exited.then(() => undefined)])
      if (r === undefined) {
        invokes.push({ index, requestId: '', status: 'error', error: exitError(exit as Exit), durationMs: 0 })
        stop = true
        continue
      }
      let end: Awaited<ReturnType<ExtensionsHost['invokeEnd']>> | undefined
      if (ext && r.status !== 'timeout' && r.dispatchedAt) {
        // The response is back; the invoke phase ends when the runtime and the extensions are done.
        end = await ext.invokeEnd(r.dispatchedAt.hr + (opts.timeoutMs ?? 3000))
      }
      if (end && 'error' in end) {
        invokes.push({ index, requestId: r.requestId, status: end.error.errorType === 'Sandbox.Timedout' ? 'timeout' : 'error', payload: r.payload, error: end.error, durationMs: Math.round(r.durationMs * 100) / 100 })
        stop = true
        continue
      }
      invokes.push({
        index, requestId: r.requestId, status: r.status, payload: r.payload, error: r.error, durationMs: Math.round(r.durationMs * 100) / 100,
        ...(end ? { postInvokeMs: end.postInvokeMs } : {}),
      })
      if (r.status === 'timeout') stop = true
      if (index === 0) firstResponse = r.respondedAt
    }
    // The exit that ended init or an invoke is reported; our own kill at the end is not.
    const endedBy = exit
    if (ext) {
      const reason: ShutdownReason = initErr ? 'failure' : invokes.some((i) => i.status === 'timeout') ? 'timeout' : stop ? 'failure' : 'spindown'
      await ext.shutdown(reason, {
        terminate: () => {
          try {
            if (proc.child.pid !== undefined && proc.child.exitCode === null) process.kill(-proc.child.pid, 'SIGTERM')
          } catch {
            // Already gone.
          }
        },
        kill: () => proc.kill(),
        exited: proc.exited,
      })
    }
    proc.kill()
    await proc.exited
    const report = initReport({
      spawnedAt: proc.spawnedAt, stderr: proc.stderr(), reportLines: proc.reportLines(),
      initDoneAt: api.initDoneAt, firstResponseAt: firstResponse,
      ...(interp ? { interpreter: { name: interp.name, family: interp.family, seenAt: interp.watch.seenAt() } } : {}),
    })
    return {
      mode, layer: wrapgenLayer ? 'wrapgen' : 'none', runtime: runtime.id, memory, handler,
      init: initErr ? { status: 'error', error: initErr } : { status: 'ok', durationMs: report.handlerReadyMs },
      initReport: report,
      invokes,
      logs: { stdout: proc.stdout(), stderr: proc.stderr() },
      exit: endedBy === undefined ? undefined : { code: endedBy.code, signal: endedBy.signal },
      ...(ext ? { extensions: ext.report(proc.spawnedAt.hr, initDoneHr) } : {}),
      ...(merged ? { layerClashes: merged.clashes } : {}),
      ...(provided ? {} : { client: { ran: client.ran, notes: client.notes } }),
    }
  } finally {
    fn?.kill()
    ext?.kill()
    // Everything started in the sandbox ends with it (a setsid daemon of the function's included).
    session?.close()
    merged?.remove()
    await api?.close().catch(() => undefined)
    layout.remove()
    prepared?.remove()
  }
}
