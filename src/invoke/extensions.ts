// External extensions under `wrapgen invoke`: every executable file in /opt/extensions starts as its
// own process before the runtime, in the same sandbox (same /opt, /var/task and /tmp), and talks to
// the Extensions API (extensions-api.ts). This file runs Lambda's lifecycle around them, in RAPID's
// order: launch all -> all register (extension init) -> the runtime starts -> the runtime and every
// registered extension ask for their next event (init done); per invoke, the phase ends when the
// runtime and every INVOKE subscriber have asked again (the post-invoke time); at the end the runtime
// gets SIGTERM and up to 300 ms, then each extension SHUTDOWN and the rest of 2 s, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { trackChild } from '../cleanup.js'
import { MAX_EXTENSIONS } from '../layer-tree/extensions.js'
import { bwrapArgs, shareTmp } from '../sandbox/index.js'
import { createExtensionsApi, type ExtensionEventType, type ExtensionsApi, type ShutdownReason } from './extensions-api.js'
import type { InvokeLayout, Mode } from './layout.js'
import { lambdaBinds, mapPath } from './launch.js'
import type { FunctionError } from './runtime-api.js'
import { scaled } from '../limits/time-limit.js'

/** Lambda's shutdown budget with external extensions, and the runtime's share of it. */
export const SHUTDOWN_MS = 2000
export const RUNTIME_SHUTDOWN_MS = 300

/** Variables Lambda gives the runtime process but not extensions (AWS Extensions API reference). */
const RUNTIME_ONLY = [
  'AWS_EXECUTION_ENV', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS', 'LAMBDA_RUNTIME_DIR', 'LAMBDA_TASK_ROOT', '_AWS_XRAY_DAEMON_ADDRESS',
  '_AWS_XRAY_DAEMON_PORT', '_HANDLER', 'WRAPGEN_INVOKE_REPORT_FD',
]

type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** One extension as the init report shows it; times in ms since the first extension was launched. */
export interface ExtensionReport {
  readonly name: string
  readonly events: readonly ExtensionEventType[]
  /** ready: registered and polling; then how it failed, if it did. */
  readonly state: 'ready' | 'registered' | 'not-registered' | 'launch-error' | 'crashed' | 'init-error' | 'exit-error'
  readonly registeredMs?: number | undefined
  /** Its first /next: done with its own init. */
  readonly readyMs?: number | undefined
  /** From the SHUTDOWN event to the process's exit (undefined when it got none or was killed). */
  readonly shutdownMs?: number | undefined
  readonly exit?: Exit | undefined
  /** Killed with SIGKILL at the shutdown deadline. */
  readonly killed?: boolean
  readonly stdout: string
  readonly stderr: string
}

export interface ExtensionsPhase {
  /** ms from the first extension's launch to the runtime's spawn. */
  readonly runtimeSpawnMs?: number | undefined
  /** When init ended: the runtime and every registered extension had asked for their first event. */
  readonly initDoneMs?: number | undefined
  readonly extensions: readonly ExtensionReport[]
}

interface ExtProc {
  readonly name: string
  child?: ChildProcess
  launchError?: string
  exit?: Exit
  stdout: string
  stderr: string
  shutdownSentAt?: number
  exitedAt?: number
  killed?: boolean
  /** It exited before the shutdown phase. */
  crashed?: boolean
}

/** The environment an extension gets: the function's, minus the runtime's own variables. */
export function extensionEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...env }
  for (const k of RUNTIME_ONLY) delete out[k]
  return out
}

export interface ExtensionsHostInput {
  readonly mode: Mode
  readonly layout: InvokeLayout
  readonly names: readonly string[]
  readonly functionName: string
  readonly handler: string
}

export interface ExtensionsHost {
  readonly api: ExtensionsApi
  /** Starts every extension (Extension init). */
  launch(env: Readonly<Record<string, string>>): void
  /** Resolves once every extension registered, or with the first failure. */
  registered(): Promise<FunctionError | undefined>
  /** Closes registration: the runtime is about to start. */
  runtimeStarting(): void
  /** Resolves once every registered extension asked for its first event, or with the first failure. */
  ready(): Promise<FunctionError | undefined>
  /** The first failure at any time (a crash, an init or exit error). */
  failure(): Promise<FunctionError>
  /** The first failure so far, if any. */
  failed(): FunctionError | undefined
  /** Runtime API hooks: the runtime got an invocation / asked for its next one. */
  runtimeDispatched(info: { requestId: string; deadlineMs: number; functionArn: string; traceId: string }): void
  runtimePolled(): void
  /**
   * After the runtime's response: resolves when the runtime and every INVOKE subscriber have asked for
   * their next event, with Lambda's PostRuntimeExecutionDuration (the runtime's /next to the last
   * extension's), or fails (a crash, or the deadline passing: the function's timeout covers the whole phase).
   */
  invokeEnd(deadlineHr: number): Promise<{ postInvokeMs: number } | { error: FunctionError }>
  /** Names of extensions that never registered (for the init timeout's message). */
  unregistered(): string[]
  /** SIGTERM the runtime (with its grace), then SHUTDOWN the extensions and wait for them to exit. */
  shutdown(reason: ShutdownReason, runtime: { terminate(): void; kill(): void; exited: Promise<unknown> } | undefined): Promise<void>
  /** SIGKILL whatever is still running. */
  kill(): void
  report(runtimeSpawnHr: number | undefined, initDoneHr?: number): ExtensionsPhase
}

const error = (errorType: string, errorMessage: string): FunctionError =>
  ({ errorType, errorMessage, body: JSON.stringify({ errorMessage, errorType }) })

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref())

const r2 = (ms: number): number => Math.round(ms * 100) / 100

export function createExtensionsHost(input: ExtensionsHostInput): ExtensionsHost {
  const api = createExtensionsApi({
    names: input.names, functionName: input.functionName, functionVersion: '$LATEST', handler: input.handler, accountId: '000000000000',
  })
  const procs = input.names.map((name): ExtProc => ({ name, stdout: '', stderr: '' }))
  let startedAt = 0
  let shuttingDown = false
  let runtimeBusy = false
  let runtimeNextAt = 0
  const waiters = new Set<() => void>()
  const changed = (): void => {
    for (const w of [...waiters]) w()
  }
  api.onChange(changed)

  /** Resolves with the first non-undefined value of `check`, re-evaluated on every change. */
  function until<T>(check: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const w = (): void => {
        const v = check()
        if (v === undefined) return
        waiters.delete(w)
        resolve(v)
      }
      waiters.add(w)
      w()
    })
  }

  /** The first failure so far, as Lambda reports it (Extension.LaunchError / Crash / InitError / ExitError). */
  function firstFailure(): FunctionError | undefined {
    for (const p of procs) {
      if (p.launchError) return error('Extension.LaunchError', p.launchError)
      const s = api.states.find((x) => x.name === p.name)
      if (s?.error) {
        const t = s.error.kind === 'init' ? 'Extension.InitError' : 'Extension.ExitError'
        return error(t, `Extension ${p.name} reported ${s.error.errorType}${s.error.kind === 'init' ? ' during init' : ''}`)
      }
      if (p.exit && p.crashed) {
        const how = p.exit.signal ? `signal: ${p.exit.signal.replace(/^SIG/, '').toLowerCase()}` : `exit code ${p.exit.code}`
        return error('Extension.Crash', `Error: ${how} (extension ${p.name})`)
      }
    }
    return undefined
  }

  function start(p: ExtProc, env: Readonly<Record<string, string>>): void {
    const { mode, layout } = input
    const hostFile = join(layout.opt, 'extensions', p.name)
    try {
      accessSync(hostFile, constants.X_OK)
    } catch {
      // What Lambda says when exec fails (fork/exec), without starting anything.
      p.launchError = `fork/exec /opt/extensions/${p.name}: permission denied`
      return
    }
    const path = mapPath(mode, layout)
    const mapped = mode === 'path-mapped'
      ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, k === 'PATH' || k === 'LD_LIBRARY_PATH' || k === 'NODE_PATH' || k === 'AWS_LAMBDA_EXEC_WRAPPER'
        ? v.split(':').map((x) => (/^\/(opt|var|tmp)(\/|$)/.test(x) ? path(x) : x)).join(':') : v]))
      : env
    let command: string
    let args: string[]
    let cwd: string
    if (mode === 'path-mapped') {
      command = 'env'
      // No sandbox, so no private /tmp: point well-behaved programs at the layout's one.
      args = ['-i', ...Object.entries({ ...mapped, TMPDIR: path('/tmp') }).map(([k, v]) => `${k}=${v}`), hostFile]
      cwd = path('/var/task')
    } else {
      command = 'bwrap'
      args = shareTmp(bwrapArgs(lambdaBinds(layout), [`/opt/extensions/${p.name}`], mapped), join(layout.root, 'tmp'))
      cwd = '/'
    }
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    p.child = child
    trackChild(child, true)
    child.stdout?.on('data', (c: Buffer) => (p.stdout += c.toString()))
    child.stderr?.on('data', (c: Buffer) => (p.stderr += c.toString()))
    child.on('error', (e) => {
      p.launchError = `cannot start ${command}: ${e.message}`
      changed()
    })
    child.on('close', (code, signal) => {
      p.exit = { code, signal }
      p.exitedAt = performance.now()
      p.crashed = !shuttingDown
      changed()
    })
  }

  const signal = (p: ExtProc, sig: NodeJS.Signals): void => {
    const pid = p.child?.pid
    if (pid === undefined || p.exit) return
    try {
      process.kill(-pid, sig)
    } catch {
      p.child?.kill(sig)
    }
  }

  const registeredStates = () => api.states.filter((s) => s.id !== undefined)

  return {
    api,
    launch(env) {
      startedAt = performance.now()
      const extEnv = extensionEnv(env)
      for (const p of procs.slice(0, MAX_EXTENSIONS)) start(p, extEnv)
      for (const p of procs.slice(MAX_EXTENSIONS)) p.launchError = `too many extensions: Lambda starts at most ${MAX_EXTENSIONS}`
      changed()
    },
    registered: () => until(() => firstFailure() ?? (api.states.every((s) => s.id !== undefined) ? null : undefined)).then((v) => v ?? undefined),
    runtimeStarting: () => api.closeRegistration(),
    ready: () => until(() => firstFailure() ?? (registeredStates().every((s) => s.readyAt !== undefined) ? null : undefined)).then((v) => v ?? undefined),
    failure: () => until(firstFailure),
    failed: firstFailure,
    runtimeDispatched(info) {
      runtimeBusy = true
      api.invoke({ requestId: info.requestId, deadlineMs: info.deadlineMs, invokedFunctionArn: info.functionArn, traceId: info.traceId })
      changed()
    },
    runtimePolled() {
      runtimeBusy = false
      runtimeNextAt = performance.now()
      changed()
    },
    async invokeEnd(deadlineHr) {
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, deadlineHr - performance.now()))))
      const done = until(() => firstFailure() ?? (!runtimeBusy && api.busy().length === 0 ? null : undefined))
      const v = await Promise.race([done, timedOut])
      clearTimeout(timer)
      if (v === 'timeout') {
        const who = [...(runtimeBusy ? ['the runtime'] : []), ...api.busy().map((n) => `extension ${n}`)].join(', ')
        return { error: error('Sandbox.Timedout', `Task timed out: ${who} did not ask for the next event before the deadline`) }
      }
      if (v) return { error: v }
      return { postInvokeMs: r2(Math.max(0, performance.now() - runtimeNextAt)) }
    },
    unregistered: () => api.states.filter((s) => s.id === undefined).map((s) => s.name),
    async shutdown(reason, runtime) {
      shuttingDown = true
      const start = performance.now()
      if (runtime) {
        runtime.terminate()
        await Promise.race([runtime.exited, sleep(scaled(RUNTIME_SHUTDOWN_MS))])
        runtime.kill()
      }
      // Lambda's limit, as much of this machine's time (scaled to its measured speed).
      const deadlineHr = start + scaled(SHUTDOWN_MS)
      const now = performance.now()
      api.shutdown(reason, Math.round(Date.now() + Math.max(0, deadlineHr - now)))
      for (const p of procs) {
        const s = api.states.find((x) => x.name === p.name)
        if (s?.id && s.events.includes('SHUTDOWN') && !p.exit) p.shutdownSentAt = now
      }
      // Processes that get no SHUTDOWN event (not registered for it) are stopped at once.
      for (const p of procs) {
        if (p.child && !p.exit && p.shutdownSentAt === undefined) signal(p, 'SIGKILL')
      }
      const running = procs.filter((p) => p.child && !p.exit && p.shutdownSentAt !== undefined)
      await Promise.race([
        Promise.all(running.map((p) => until(() => (p.exit ? true : undefined)))),
        sleep(Math.max(0, deadlineHr - performance.now())),
      ])
      for (const p of procs) {
        if (p.child && !p.exit) {
          p.killed = true
          signal(p, 'SIGKILL')
        }
      }
      // SIGKILL is final; the bound only guards against a child whose exit is never reported.
      await Promise.race([Promise.all(procs.filter((p) => p.child).map((p) => until(() => (p.exit ? true : undefined)))), sleep(scaled(1000))])
      api.close()
    },
    kill() {
      shuttingDown = true
      for (const p of procs) signal(p, 'SIGKILL')
      api.close()
    },
    report(runtimeSpawnHr, initDoneHr) {
      const since = (t: number | undefined): number | undefined => (t === undefined ? undefined : r2(t - startedAt))
      return {
        runtimeSpawnMs: since(runtimeSpawnHr),
        initDoneMs: since(initDoneHr),
        extensions: procs.map((p): ExtensionReport => {
          const s = api.states.find((x) => x.name === p.name)
          const state: ExtensionReport['state'] = p.launchError ? 'launch-error'
            : s?.error ? (s.error.kind === 'init' ? 'init-error' : 'exit-error')
            : p.crashed ? 'crashed'
            : s?.readyAt !== undefined ? 'ready'
            : s?.id ? 'registered' : 'not-registered'
          return {
            name: p.name, events: s?.events ?? [], state,
            registeredMs: since(s?.registeredAt), readyMs: since(s?.readyAt),
            shutdownMs: p.shutdownSentAt !== undefined && p.exitedAt !== undefined && !p.killed ? r2(p.exitedAt - p.shutdownSentAt) : undefined,
            exit: p.exit, ...(p.killed ? { killed: true } : {}),
            stdout: p.stdout, stderr: p.stderr,
          }
        }),
      }
    },
  }
}
