// A local AWS Lambda Runtime API (2018-06-01) on 127.0.0.1: one invocation at a time, like a Lambda sandbox.
// The runtime long-polls /next, answers with /response (buffered or streamed) or /error, or reports
// /init/error before its first /next. Deadlines are enforced here; onTimeout lets the caller kill the process.
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import {
  accepted, errorTypeHeader, type FunctionError, H, invalidRequestId, invalidStateTransition, isStreaming,
  parseError, readBody, responseModeOf, route, sendJson, trailerError,
} from './runtime-api-http.js'

export type { FunctionError } from './runtime-api-http.js'

/** A moment on both clocks: `hr` is performance.now() (ms, monotonic), `epochMs` is Date.now(). */
export interface Timestamp {
  hr: number
  epochMs: number
}

export interface RuntimeApiOptions {
  /** Sent as Lambda-Runtime-Invoked-Function-Arn. */
  functionArn?: string
  /** Default invocation timeout; Lambda's default is 3 s. */
  timeoutMs?: number
  /** Called when an invocation passes its deadline (the caller should kill the runtime process). */
  onTimeout?: (requestId: string) => void
  /** Called when the runtime posts /runtime/init/error. */
  onInitError?: (error: FunctionError) => void
  /** Serves other APIs on the same address (the Extensions API); returns false to leave a request to this one. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean
  /** Called when an invocation goes to the runtime (extensions get their INVOKE event at the same moment). */
  onDispatch?: (info: { requestId: string; deadlineMs: number; functionArn: string; traceId: string }) => void
  /** Called on every GET /next of the runtime (it is done with the previous invocation). */
  onNext?: () => void
}

export interface InvokeOptions {
  timeoutMs?: number
  /** Sent as Lambda-Runtime-Client-Context (objects are JSON-encoded). */
  clientContext?: string | object
  /** Sent as Lambda-Runtime-Cognito-Identity (objects are JSON-encoded). */
  cognitoIdentity?: string | object
  requestId?: string
}

export interface InvokeResult {
  requestId: string
  status: 'success' | 'error' | 'timeout'
  /** The response body (utf8); for streamed responses, what was streamed, even when a trailer error ends it. */
  payload?: string
  contentType?: string
  error?: FunctionError
  streamed: boolean
  /** When the runtime received the event (its /next was answered). Absent if never dispatched. */
  dispatchedAt?: Timestamp
  /** When the runtime's /response or /error request arrived. */
  respondedAt?: Timestamp
  /** From dispatch to the end of the response (or the deadline); 0 if never dispatched. */
  durationMs: number
}

export interface RuntimeApi {
  /** "127.0.0.1:PORT", the value for AWS_LAMBDA_RUNTIME_API on this host. */
  readonly address: string
  /** The HTTP server, to take connections from elsewhere too (the sandbox's forwarder: src/sandbox/session.ts). */
  readonly server: Server
  readonly startedAt: Timestamp
  /** When the first /next arrived, i.e. when init finished. */
  readonly initDoneAt: Timestamp | undefined
  readonly initErrorValue: FunctionError | undefined
  initDone(): Promise<Timestamp>
  initError(): Promise<FunctionError>
  invoke(event: unknown, opts?: InvokeOptions): Promise<InvokeResult>
  close(): Promise<void>
}

interface Invocation {
  id: string
  body: string
  timeoutMs: number
  headers: Record<string, string>
  state: 'queued' | 'running' | 'answering' | 'done'
  dispatchedAt?: Timestamp
  respondedAt?: Timestamp
  timer?: NodeJS.Timeout
  resolve: (r: InvokeResult) => void
  reject: (e: Error) => void
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const stamp = (): Timestamp => ({ hr: performance.now(), epochMs: Date.now() })
const asHeader = (v: string | object): string => (typeof v === 'string' ? v : JSON.stringify(v))
const traceId = (): string =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};` +
  `Parent=${randomBytes(8).toString('hex')};Sampled=0`

export async function startRuntimeApi(opts: RuntimeApiOptions = {}): Promise<RuntimeApi> {
  const arn = opts.functionArn ?? 'arn:aws:lambda:us-east-1:000000000000:function:local'
  const queue: Invocation[] = []
  const waiters: ServerResponse[] = []
  let current: Invocation | undefined
  let initDoneAt: Timestamp | undefined
  let initErr: FunctionError | undefined
  let closed = false
  const initDone = deferred<Timestamp>()
  const initError = deferred<FunctionError>()

  const busy = (): boolean => current !== undefined && (current.state === 'running' || current.state === 'answering')
  const stateName = (): string => {
    if (initErr) return 'InitError'
    if (current?.state === 'running') return 'Running'
    if (current && waiters.length === 0) return 'RuntimeResponseSentState'
    return 'Ready'
  }

  function finish(inv: Invocation, r: Omit<InvokeResult, 'requestId' | 'durationMs' | 'dispatchedAt' | 'respondedAt'>): void {
    if (inv.state === 'done') return
    clearTimeout(inv.timer)
    inv.state = 'done'
    const durationMs = inv.dispatchedAt ? performance.now() - inv.dispatchedAt.hr : 0
    inv.resolve({
      requestId: inv.id, ...r, durationMs,
      ...(inv.dispatchedAt ? { dispatchedAt: inv.dispatchedAt } : {}),
      ...(inv.respondedAt ? { respondedAt: inv.respondedAt } : {}),
    })
    pump()
  }

  function pump(): void {
    // A poll whose client went away has already left `waiters` (see onNext).
    while (!busy() && queue.length > 0 && waiters.length > 0) dispatch(queue.shift() as Invocation, waiters.shift() as ServerResponse)
  }

  function dispatch(inv: Invocation, res: ServerResponse): void {
    current = inv
    inv.state = 'running'
    inv.dispatchedAt = stamp()
    const trace = traceId()
    res.writeHead(200, {
      'Content-Type': 'application/json',
      [H.requestId]: inv.id,
      [H.deadline]: String(inv.dispatchedAt.epochMs + inv.timeoutMs),
      [H.functionArn]: arn,
      [H.traceId]: trace,
      ...inv.headers,
    })
    res.end(inv.body)
    opts.onDispatch?.({ requestId: inv.id, deadlineMs: inv.dispatchedAt.epochMs + inv.timeoutMs, functionArn: arn, traceId: trace })
    inv.timer = setTimeout(() => {
      finish(inv, {
        status: 'timeout', streamed: false,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(inv.timeoutMs / 1000).toFixed(2)} seconds`,
          body: '',
        },
      })
      opts.onTimeout?.(inv.id)
    }, inv.timeoutMs)
  }

  function onNext(_req: IncomingMessage, res: ServerResponse): void {
    if (initErr || busy()) return invalidStateTransition(res, stateName(), 'Ready')
    if (!initDoneAt) initDone.resolve((initDoneAt = stamp()))
    opts.onNext?.()
    waiters.push(res)
    res.on('close', () => {
      const i = waiters.indexOf(res)
      if (i >= 0) waiters.splice(i, 1)
    })
    pump()
  }

  async function onAnswer(req: IncomingMessage, res: ServerResponse, kind: 'response' | 'error', id: string): Promise<void> {
    const inv = current
    if (!inv || inv.id !== id) return invalidRequestId(res)
    if (inv.state !== 'running') {
      return invalidStateTransition(res, stateName(), kind === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse')
    }
    const mode = responseModeOf(req)
    if (kind === 'response' && mode !== undefined && mode !== 'streaming') {
      return sendJson(res, 400, { errorMessage: 'Invalid function response mode', errorType: 'InvalidFunctionResponseMode' })
    }
    inv.state = 'answering'
    inv.respondedAt = stamp()
    const streamed = kind === 'response' && isStreaming(req)
    let body: string
    try {
      body = (await readBody(req)).toString('utf8')
    } catch {
      const error = { errorType: 'Runtime.TruncatedResponse', errorMessage: 'The runtime closed the connection mid-body', body: '' }
      return finish(inv, { status: 'error', streamed, error })
    }
    const contentType = req.headers['content-type']
    const ct = contentType !== undefined ? { contentType } : {}
    if (kind === 'error') {
      finish(inv, { status: 'error', streamed, error: parseError(body, errorTypeHeader(req)) })
    } else {
      const error = streamed ? trailerError(req) : undefined
      finish(inv, error ? { status: 'error', streamed, payload: body, ...ct, error } : { status: 'success', streamed, payload: body, ...ct })
    }
    accepted(res)
  }

  async function onInitError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (initErr || initDoneAt) return invalidStateTransition(res, stateName(), 'InitError')
    const body = (await readBody(req)).toString('utf8')
    const err = parseError(body, errorTypeHeader(req))
    initError.resolve((initErr = err))
    for (const inv of queue.splice(0)) finish(inv, { status: 'error', streamed: false, error: err })
    opts.onInitError?.(err)
    accepted(res)
  }

  const server = createServer((req, res) => {
    if (opts.extraRoutes?.(req, res)) return
    const r = route(req, res)
    if (!r) return
    const done = r.kind === 'next' ? onNext(req, res)
      : r.kind === 'init-error' ? onInitError(req, res)
      : onAnswer(req, res, r.kind, r.requestId)
    // Only a failed body read rejects, and then the client is already gone.
    void Promise.resolve(done).catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    address: `127.0.0.1:${port}`,
    server,
    startedAt: stamp(),
    get initDoneAt() { return initDoneAt },
    get initErrorValue() { return initErr },
    initDone: () => initDone.promise,
    initError: () => initError.promise,
    invoke(event, o = {}) {
      return new Promise<InvokeResult>((resolve, reject) => {
        if (closed) return reject(new Error('runtime API is closed'))
        const inv: Invocation = {
          id: o.requestId ?? randomUUID(),
          body: event === undefined ? '{}' : JSON.stringify(event),
          timeoutMs: o.timeoutMs ?? opts.timeoutMs ?? 3000,
          headers: {
            ...(o.clientContext !== undefined ? { [H.clientContext]: asHeader(o.clientContext) } : {}),
            ...(o.cognitoIdentity !== undefined ? { [H.cognitoIdentity]: asHeader(o.cognitoIdentity) } : {}),
          },
          state: 'queued', resolve, reject,
        }
        if (initErr) return resolve({ requestId: inv.id, status: 'error', error: initErr, streamed: false, durationMs: 0 })
        queue.push(inv)
        pump()
      })
    },
    async close() {
      closed = true
      for (const inv of [...queue.splice(0), ...(current && current.state !== 'done' ? [current] : [])]) {
        clearTimeout(inv.timer)
        inv.state = 'done'
        inv.reject(new Error(`runtime API closed before invocation ${inv.id} finished`))
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
