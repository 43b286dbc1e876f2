// The Lambda Extensions API (2020-01-01), served on the same address as the Runtime API
// (AWS_LAMBDA_RUNTIME_API), as Lambda does. Extensions POST /extension/register with their file
// name, then long-poll GET /extension/event/next for INVOKE and SHUTDOWN events; they may report
// /extension/init/error or /extension/exit/error. This module holds the protocol state only; which
// processes run and when phases end is extensions.ts's and run.ts's business.
// Shapes follow the AWS reference (docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { accepted, readBody, sendJson } from './runtime-api-http.js'

export const EXTENSION_PREFIX = '/2020-01-01/extension'

export const EH = {
  name: 'lambda-extension-name',
  id: 'lambda-extension-identifier',
  eventId: 'lambda-extension-event-identifier',
  errorType: 'lambda-extension-function-error-type',
  acceptFeature: 'lambda-extension-accept-feature',
} as const

export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN'
export type ShutdownReason = 'spindown' | 'timeout' | 'failure'

export interface InvokeEventInfo {
  readonly requestId: string
  /** Epoch ms. */
  readonly deadlineMs: number
  readonly invokedFunctionArn: string
  readonly traceId: string
}

/** What Lambda knows of one extension, as the init report shows it. */
export interface ExtensionState {
  readonly name: string
  id?: string
  events: ExtensionEventType[]
  /** performance.now() of its /register, its first /next (ready), its reported error. */
  registeredAt?: number
  readyAt?: number
  error?: { kind: 'init' | 'exit'; errorType: string; body: string }
}

export interface ExtensionsApiOptions {
  /** The file names under /opt/extensions: only these may register (Lambda checks the full file name). */
  readonly names: readonly string[]
  readonly functionName: string
  readonly functionVersion: string
  readonly handler: string
  readonly accountId: string
}

export interface ExtensionsApi {
  /** Serves the request if it is an Extensions API path; false leaves it to the Runtime API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean
  readonly states: readonly ExtensionState[]
  /** Registration closes when the runtime starts its init (later /register calls get 403). */
  closeRegistration(): void
  /** Sends INVOKE to every extension registered for it; they are then busy until their next /next. */
  invoke(info: InvokeEventInfo): void
  /** Sends SHUTDOWN to every registered extension still polling or about to poll. */
  shutdown(reason: ShutdownReason, deadlineMs: number): void
  /** Registered extensions that have not yet asked for their next event since their last event. */
  busy(): string[]
  /** Called after every state change (a registration, a /next, an error report). */
  onChange(listener: () => void): void
  /** Answers parked polls with 500 (the environment is going away) and forgets them. */
  close(): void
}

interface Slot {
  state: ExtensionState
  parked?: ServerResponse
  queue: object[]
  /** It has received an event and not yet asked for the next one. */
  busy: boolean
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name]
  return typeof v === 'string' ? v : undefined
}

const forbidden = (res: ServerResponse, errorType: string, errorMessage: string): void => sendJson(res, 403, { errorMessage, errorType })

export function createExtensionsApi(opts: ExtensionsApiOptions): ExtensionsApi {
  const slots = new Map<string, Slot>(opts.names.map((n) => [n, { state: { name: n, events: [] }, queue: [], busy: false }]))
  const byId = new Map<string, Slot>()
  const listeners: Array<() => void> = []
  let registrationOpen = true
  let closed = false
  const changed = (): void => {
    for (const l of listeners) l()
  }

  function deliver(slot: Slot, res: ServerResponse): void {
    const event = slot.queue.shift() as object
    slot.busy = true
    const text = JSON.stringify(event)
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Lambda-Extension-Event-Identifier': randomUUID(),
    })
    res.end(text)
  }

  function push(slot: Slot, event: object): void {
    slot.queue.push(event)
    const res = slot.parked
    if (res) {
      slot.parked = undefined
      deliver(slot, res)
    }
  }

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const name = header(req, EH.name)
    const body = (await readBody(req)).toString('utf8')
    if (!name) return sendJson(res, 400, { errorMessage: 'Empty extension name', errorType: 'InvalidRequest' })
    const slot = slots.get(name)
    if (!slot) return forbidden(res, 'Extension.Forbidden', `Extension name "${name}" is not the file name of an extension in /opt/extensions`)
    if (!registrationOpen) return forbidden(res, 'Extension.RegistrationClosed', 'Registration is closed: extensions register during the extension init phase')
    if (slot.state.id) return forbidden(res, 'Extension.AlreadyRegistered', `Extension ${name} is already registered`)
    let events: unknown = []
    try {
      events = body.trim() === '' ? [] : ((JSON.parse(body) as { events?: unknown }).events ?? [])
    } catch {
      return sendJson(res, 400, { errorMessage: 'Request body is not JSON', errorType: 'InvalidRequest' })
    }
    if (!Array.isArray(events) || !events.every((e) => e === 'INVOKE' || e === 'SHUTDOWN')) {
      return sendJson(res, 400, { errorMessage: `Invalid events ${JSON.stringify(events)}: use INVOKE and SHUTDOWN`, errorType: 'InvalidEventType' })
    }
    const id = randomUUID()
    slot.state.id = id
    slot.state.events = [...new Set(events as ExtensionEventType[])]
    slot.state.registeredAt = performance.now()
    byId.set(id, slot)
    const info: Record<string, string> = { functionName: opts.functionName, functionVersion: opts.functionVersion, handler: opts.handler }
    if (header(req, EH.acceptFeature)?.split(',').map((s) => s.trim()).includes('accountId')) info.accountId = opts.accountId
    const text = JSON.stringify(info)
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Lambda-Extension-Identifier': id })
    res.end(text)
    changed()
  }

  /** The caller's slot from its identifier, or a 403 answered (unknown id, or it reported an error). */
  function caller(req: IncomingMessage, res: ServerResponse): Slot | undefined {
    const id = header(req, EH.id)
    const slot = id === undefined ? undefined : byId.get(id)
    if (!slot) {
      forbidden(res, 'Extension.InvalidExtensionIdentifier', 'Missing or unknown Lambda-Extension-Identifier: register first')
      return undefined
    }
    if (slot.state.error) {
      forbidden(res, 'Extension.InvalidState', `Extension ${slot.state.name} reported an error; no further calls succeed`)
      return undefined
    }
    return slot
  }

  function next(req: IncomingMessage, res: ServerResponse): void {
    const slot = caller(req, res)
    if (!slot) return
    if (closed) return sendJson(res, 500, { errorMessage: 'The execution environment is shutting down', errorType: 'Extension.ContainerError' })
    slot.busy = false
    slot.state.readyAt ??= performance.now()
    if (slot.parked) slot.parked.destroy()
    if (slot.queue.length > 0) deliver(slot, res)
    else {
      slot.parked = res
      res.on('close', () => {
        if (slot.parked === res) slot.parked = undefined
      })
    }
    changed()
  }

  async function reportError(req: IncomingMessage, res: ServerResponse, kind: 'init' | 'exit'): Promise<void> {
    const slot = caller(req, res)
    const body = (await readBody(req)).toString('utf8')
    if (!slot) return
    const errorType = header(req, EH.errorType)
    if (!errorType) return sendJson(res, 400, { errorMessage: 'Missing Lambda-Extension-Function-Error-Type header', errorType: 'InvalidRequest' })
    slot.state.error = { kind, errorType, body }
    accepted(res)
    changed()
  }

  return {
    handle(req, res) {
      const path = String(req.url).split('?')[0] as string
      if (!path.startsWith(EXTENSION_PREFIX + '/')) return false
      const rest = path.slice(EXTENSION_PREFIX.length)
      const routes: Record<string, [string, () => void | Promise<void>]> = {
        '/register': ['POST', () => register(req, res)],
        '/event/next': ['GET', () => next(req, res)],
        '/init/error': ['POST', () => reportError(req, res, 'init')],
        '/exit/error': ['POST', () => reportError(req, res, 'exit')],
      }
      const r = routes[rest]
      if (!r) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
        return true
      }
      if (req.method !== r[0]) {
        res.writeHead(405, { Allow: r[0], 'Content-Length': 0 }).end()
        return true
      }
      // Only a failed body read rejects, and then the client is already gone.
      void Promise.resolve(r[1]()).catch(() => res.destroy())
      return true
    },
    get states() {
      return [...slots.values()].map((s) => s.state)
    },
    closeRegistration() {
      registrationOpen = false
    },
    invoke(info) {
      const event = {
        eventType: 'INVOKE', deadlineMs: info.deadlineMs, requestId: info.requestId,
        invokedFunctionArn: info.invokedFunctionArn, tracing: { type: 'X-Amzn-Trace-Id', value: info.traceId },
      }
      for (const s of slots.values()) if (s.state.id && !s.state.error && s.state.events.includes('INVOKE')) push(s, event)
    },
    shutdown(reason, deadlineMs) {
      const event = { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs }
      for (const s of slots.values()) if (s.state.id && !s.state.error && s.state.events.includes('SHUTDOWN')) push(s, event)
    },
    busy() {
      return [...slots.values()].filter((s) => s.state.id && !s.state.error && (s.busy || s.queue.length > 0)).map((s) => s.state.name)
    },
    onChange(l) {
      listeners.push(l)
    },
    close() {
      closed = true
      for (const s of slots.values()) {
        const res = s.parked
        s.parked = undefined
        if (res && !res.headersSent) sendJson(res, 500, { errorMessage: 'The execution environment is shutting down', errorType: 'Extension.ContainerError' })
      }
    },
  }
}
