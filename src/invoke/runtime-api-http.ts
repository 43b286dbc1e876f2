// HTTP pieces of the local Lambda Runtime API (2018-06-01): routes, bodies, Lambda's error shapes.
// Shapes follow the public Runtime API reference and OpenAPI spec: 202 {"status":"OK"},
// errors {"errorMessage","errorType"}; 400 InvalidRequestID, 403 InvalidStateTransition.
import type { IncomingMessage, ServerResponse } from 'node:http'

export const API_PREFIX = '/2018-06-01/runtime'

export const H = {
  requestId: 'Lambda-Runtime-Aws-Request-Id',
  deadline: 'Lambda-Runtime-Deadline-Ms',
  functionArn: 'Lambda-Runtime-Invoked-Function-Arn',
  traceId: 'Lambda-Runtime-Trace-Id',
  clientContext: 'Lambda-Runtime-Client-Context',
  cognitoIdentity: 'Lambda-Runtime-Cognito-Identity',
  responseMode: 'lambda-runtime-function-response-mode',
  errorType: 'lambda-runtime-function-error-type',
  errorBody: 'lambda-runtime-function-error-body',
} as const

/** An error as the runtime reported it (invocation error, init error, streamed error trailer). */
export interface FunctionError {
  errorType: string
  errorMessage: string
  stackTrace?: string[]
  /** The Lambda-Runtime-Function-Error-Type header (or trailer) as sent, if any. */
  headerErrorType?: string
  /** The body exactly as received (Lambda accepts any body here, JSON or not). */
  body: string
}

export type Route =
  | { kind: 'next' }
  | { kind: 'response' | 'error'; requestId: string }
  | { kind: 'init-error' }

const ROUTES: ReadonlyArray<[RegExp, 'GET' | 'POST', (m: RegExpExecArray) => Route]> = [
  [/^\/invocation\/next$/, 'GET', () => ({ kind: 'next' })],
  [/^\/invocation\/([^/]+)\/(response|error)$/, 'POST', (m) => ({
    kind: m[2] === 'error' ? 'error' : 'response',
    requestId: safeDecode(m[1] as string),
  })],
  [/^\/init\/error$/, 'POST', () => ({ kind: 'init-error' })],
]

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Matches a request to a route; answers 404/405 itself (as Lambda's router does: plain 404, empty 405). */
export function route(req: IncomingMessage, res: ServerResponse): Route | undefined {
  const path = String(req.url).split('?')[0] as string
  if (path.startsWith(API_PREFIX + '/')) {
    const rest = path.slice(API_PREFIX.length)
    for (const [re, method, make] of ROUTES) {
      const m = re.exec(rest)
      if (!m) continue
      if (req.method === method) return make(m)
      res.writeHead(405, { Allow: method, 'Content-Length': 0 }).end()
      return undefined
    }
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
  return undefined
}

export function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

export const accepted = (res: ServerResponse): void => sendJson(res, 202, { status: 'OK' })

export const invalidRequestId = (res: ServerResponse): void =>
  sendJson(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' })

export const invalidStateTransition = (res: ServerResponse, from: string, to: string): void =>
  sendJson(res, 403, {
    errorMessage: `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
    errorType: 'InvalidStateTransition',
  })

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
    req.on('aborted', () => reject(new Error('request aborted')))
  })
}

// Node joins repeated custom headers into one string; only set-cookie and the like come as arrays.
const header = (v: string | string[] | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

/**
 * Lambda takes any error body with 202 and keeps it verbatim; the error type then comes from the
 * Lambda-Runtime-Function-Error-Type header. We do the same, reading the JSON fields when present.
 */
export function parseError(body: string, headerErrorType: string | undefined): FunctionError {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  const o = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  // The API documents `stackTrace`; aws-lambda-ric 3.x sends its stack as `trace`.
  const rawStack = Array.isArray(o.stackTrace) ? o.stackTrace : Array.isArray(o.trace) ? o.trace : undefined
  const stack = rawStack?.filter((s): s is string => typeof s === 'string')
  return {
    errorType: typeof o.errorType === 'string' ? o.errorType : (headerErrorType ?? 'Unknown'),
    errorMessage: typeof o.errorMessage === 'string' ? o.errorMessage : body,
    ...(stack ? { stackTrace: stack } : {}),
    ...(headerErrorType !== undefined ? { headerErrorType } : {}),
    body,
  }
}

export const errorTypeHeader = (req: IncomingMessage): string | undefined => header(req.headers[H.errorType])

/** The error carried in the trailers of a streamed response (error body is base64 JSON), if any. */
export function trailerError(req: IncomingMessage): FunctionError | undefined {
  const type = header(req.trailers[H.errorType])
  const b64 = header(req.trailers[H.errorBody])
  if (type === undefined && b64 === undefined) return undefined
  return parseError(b64 === undefined ? '' : Buffer.from(b64, 'base64').toString('utf8'), type)
}

export const isStreaming = (req: IncomingMessage): boolean => header(req.headers[H.responseMode]) === 'streaming'
export const responseModeOf = (req: IncomingMessage): string | undefined => header(req.headers[H.responseMode])
