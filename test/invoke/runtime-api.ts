// The local Lambda Runtime API, driven over real HTTP the way a runtime interface client drives it.
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { startRuntimeApi, type RuntimeApi, type RuntimeApiOptions } from '../../src/invoke/runtime-api.js'
import { scaled } from '../../src/limits/time-limit.js'

const BASE = '/2018-06-01/runtime'
const OK = '{"status":"OK"}\n'
const INVALID_ID = '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Reply { status: number; headers: IncomingHttpHeaders; body: string; reusedSocket: boolean }
interface CallOpts {
  body?: string | string[] // an array is sent chunked, one write per item
  headers?: Record<string, string>
  trailers?: Record<string, string>
  agent?: Agent
}

function call(api: RuntimeApi, method: string, path: string, o: CallOpts = {}): Promise<Reply> {
  const [host, port] = api.address.split(':')
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, headers: o.headers, agent: o.agent ?? false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket }))
    })
    req.on('error', reject)
    if (Array.isArray(o.body)) for (const chunk of o.body) req.write(chunk)
    else if (o.body !== undefined) req.write(o.body)
    if (o.trailers) req.addTrailers(o.trailers)
    req.end()
  })
}

const next = (api: RuntimeApi, agent?: Agent) => call(api, 'GET', `${BASE}/invocation/next`, agent ? { agent } : {})
const respond = (api: RuntimeApi, id: string, body: string, o: CallOpts = {}) =>
  call(api, 'POST', `${BASE}/invocation/${encodeURIComponent(id)}/response`, { body, ...o })
const postError = (api: RuntimeApi, id: string, body: string, headers: Record<string, string> = {}) =>
  call(api, 'POST', `${BASE}/invocation/${encodeURIComponent(id)}/error`, { body, headers })

async function withApi(t: { teardown: (fn: () => unknown) => void }, opts: RuntimeApiOptions = {}): Promise<RuntimeApi> {
  const api = await startRuntimeApi(opts)
  t.teardown(() => api.close())
  return api
}

t.test('listens on loopback only, on an ephemeral port', async (t) => {
  const api = await withApi(t)
  t.match(api.address, /^127\.0\.0\.1:\d+$/)
  t.not(api.address, '127.0.0.1:0')
})

t.test('next -> response: event, invocation headers, 202, result and timings', async (t) => {
  const api = await withApi(t, { functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn' })
  t.equal(api.initDoneAt, undefined)
  const before = Date.now()
  const result = api.invoke({ hello: 'world' }, { timeoutMs: 5000 })
  const ev = await next(api)
  const after = Date.now()
  t.equal(ev.status, 200)
  t.equal(ev.body, '{"hello":"world"}')
  t.equal(ev.headers['content-type'], 'application/json')
  const id = String(ev.headers['lambda-runtime-aws-request-id'])
  t.match(id, UUID)
  const deadline = Number(ev.headers['lambda-runtime-deadline-ms'])
  t.ok(deadline >= before + 5000 && deadline <= after + 5000, `deadline ${deadline} is now + 5000`)
  t.equal(ev.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:eu-west-1:123456789012:function:fn')
  t.match(String(ev.headers['lambda-runtime-trace-id']), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/)
  t.equal(ev.headers['lambda-runtime-client-context'], undefined)
  t.equal(ev.headers['lambda-runtime-cognito-identity'], undefined)
  t.ok(api.initDoneAt, 'the first /next marks init done')
  t.same(await api.initDone(), api.initDoneAt)

  const ack = await respond(api, id, '{"ok":true}', { headers: { 'Content-Type': 'application/json' } })
  t.equal(ack.status, 202)
  t.equal(ack.body, OK)
  t.equal(ack.headers['content-type'], 'application/json')
  const r = await result
  t.match(r, { requestId: id, status: 'success', payload: '{"ok":true}', contentType: 'application/json', streamed: false })
  t.equal(r.error, undefined)
  t.ok(r.dispatchedAt && r.respondedAt, 'dispatch and response timestamps')
  t.ok(r.dispatchedAt!.hr >= api.initDoneAt!.hr && r.respondedAt!.hr >= r.dispatchedAt!.hr, 'hr clock ordered')
  t.ok(r.respondedAt!.epochMs >= before && r.respondedAt!.epochMs <= Date.now(), 'epoch ms')
  t.ok(r.durationMs >= 0 && r.durationMs < 5000)
})

t.test('next -> error: body and error-type header are recorded', async (t) => {
  const api = await withApi(t)
  const result = api.invoke({}, { requestId: 'req-1' })
  const ev = await next(api)
  t.equal(ev.headers['lambda-runtime-aws-request-id'], 'req-1')
  const body = '{"errorMessage":"boom","errorType":"TypeError","stackTrace":["at a (x.js:1:1)","at b (x.js:2:2)"]}'
  const ack = await postError(api, 'req-1', body, { 'Lambda-Runtime-Function-Error-Type': 'Runtime.UnhandledPromiseRejection' })
  t.equal(ack.status, 202)
  t.equal(ack.body, OK)
  const r = await result
  t.match(r, { requestId: 'req-1', status: 'error', streamed: false })
  t.equal(r.payload, undefined)
  t.same(r.error, {
    errorType: 'TypeError', errorMessage: 'boom', stackTrace: ['at a (x.js:1:1)', 'at b (x.js:2:2)'],
    headerErrorType: 'Runtime.UnhandledPromiseRejection', body,
  })
})

t.test('a malformed error body is accepted, as Lambda accepts it, and kept verbatim', async (t) => {
  const api = await withApi(t)
  const result = api.invoke(null, { requestId: 'req-2' })
  t.equal((await next(api)).body, 'null')
  const ack = await postError(api, 'req-2', 'not json{', { 'Lambda-Runtime-Function-Error-Type': 'Custom.Broken' })
  t.equal(ack.status, 202)
  t.equal(ack.body, OK)
  const r = await result
  t.same(r.error, { errorType: 'Custom.Broken', errorMessage: 'not json{', headerErrorType: 'Custom.Broken', body: 'not json{' })
  const result2 = api.invoke(1, { requestId: 'req-3' })
  await next(api)
  t.equal((await postError(api, 'req-3', '')).status, 202)
  t.same((await result2).error, { errorType: 'Unknown', errorMessage: '', body: '' })
})

t.test('init/error: recorded, the function is failed, later calls refused', async (t) => {
  const seen: unknown[] = []
  const api = await withApi(t, { onInitError: (e) => seen.push(e) })
  const queued = api.invoke({ a: 1 }, { requestId: 'q-1' })
  const body = '{"errorMessage":"Cannot find module \'index\'","errorType":"Runtime.ImportModuleError","stackTrace":[]}'
  const ack = await call(api, 'POST', `${BASE}/init/error`, { body, headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' } })
  t.equal(ack.status, 202)
  t.equal(ack.body, OK)
  const expected = {
    errorType: 'Runtime.ImportModuleError', errorMessage: "Cannot find module 'index'", stackTrace: [],
    headerErrorType: 'Runtime.ImportModuleError', body,
  }
  t.same(await api.initError(), expected)
  t.same(api.initErrorValue, expected)
  t.same(seen, [expected])
  t.same(await queued, { requestId: 'q-1', status: 'error', error: expected, streamed: false, durationMs: 0 })
  t.same(await api.invoke({}, { requestId: 'late' }), { requestId: 'late', status: 'error', error: expected, streamed: false, durationMs: 0 })
  const n = await next(api)
  t.equal(n.status, 403)
  t.equal(n.body, '{"errorMessage":"State transition from InitError to Ready failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  const again = await call(api, 'POST', `${BASE}/init/error`, { body: '{}' })
  t.equal(again.status, 403)
  t.equal(api.initDoneAt, undefined)
})

t.test('init/error after init is done is an invalid state transition', async (t) => {
  const api = await withApi(t)
  const r = api.invoke({})
  const ev = await next(api)
  const late = await call(api, 'POST', `${BASE}/init/error`, { body: '{}' })
  t.equal(late.status, 403)
  t.equal(late.body, '{"errorMessage":"State transition from Running to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  await respond(api, String(ev.headers['lambda-runtime-aws-request-id']), '1')
  t.equal((await r).payload, '1')
})

t.test('deadline: a silent runtime times out like Lambda, onTimeout fires, late answers refused', async (t) => {
  const timedOut: string[] = []
  const api = await withApi(t, { onTimeout: (id) => timedOut.push(id) })
  const result = api.invoke({}, { requestId: 'slow', timeoutMs: 150 })
  const ev = await next(api)
  const deadline = Number(ev.headers['lambda-runtime-deadline-ms'])
  const r = await result
  t.ok(Date.now() >= deadline, 'resolved at or after the deadline header')
  t.match(r, {
    requestId: 'slow', status: 'timeout', streamed: false,
    error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.15 seconds', body: '' },
  })
  t.equal(r.payload, undefined)
  t.ok(r.durationMs >= 145, `durationMs ${r.durationMs}`)
  t.same(timedOut, ['slow'])
  const late = await respond(api, 'slow', '"too late"')
  t.equal(late.status, 403)
  t.equal(late.body, '{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  // a restarted runtime can poll again and gets the next event
  const after = api.invoke({ n: 2 }, { requestId: 'after' })
  t.equal((await next(api)).body, '{"n":2}')
  await respond(api, 'after', '2')
  t.equal((await after).status, 'success')
})

t.test('the default timeout is the option, else 3 s', async (t) => {
  const api = await withApi(t, { timeoutMs: 60_000 })
  const before = Date.now()
  api.invoke({}).catch(() => {})
  const ev = await next(api)
  const deadline = Number(ev.headers['lambda-runtime-deadline-ms'])
  t.ok(deadline >= before + 60_000 && deadline <= Date.now() + 60_000, `deadline ${deadline - before} ms after the invoke`)
})

t.test('streaming response: chunked body, content type, 202', async (t) => {
  const api = await withApi(t)
  const result = api.invoke({}, { requestId: 's-1' })
  await next(api)
  const ack = await respond(api, 's-1', '', {
    body: ['hello ', 'streamed ', 'world'],
    headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' },
  })
  t.equal(ack.status, 202)
  t.equal(ack.body, OK)
  t.match(await result, { requestId: 's-1', status: 'success', streamed: true, payload: 'hello streamed world', contentType: 'text/plain' })
})

t.test('streaming response ended by error trailers', async (t) => {
  const api = await withApi(t)
  const result = api.invoke({}, { requestId: 's-2' })
  await next(api)
  const errBody = '{"errorType":"Error","errorMessage":"mid-stream","trace":["Error: mid-stream",7]}'
  const ack = await respond(api, 's-2', '', {
    body: ['partial '],
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked', Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
    trailers: {
      'Lambda-Runtime-Function-Error-Type': 'Error',
      'Lambda-Runtime-Function-Error-Body': Buffer.from(errBody).toString('base64'),
    },
  })
  t.equal(ack.status, 202)
  const r = await result
  t.match(r, { requestId: 's-2', status: 'error', streamed: true, payload: 'partial ', contentType: 'application/octet-stream' })
  t.same(r.error, { errorType: 'Error', errorMessage: 'mid-stream', stackTrace: ['Error: mid-stream'], headerErrorType: 'Error', body: errBody },
    'aws-lambda-ric sends its stack as `trace`; non-strings are dropped')
})

t.test('an error-type trailer alone still fails the invocation', async (t) => {
  const api = await withApi(t)
  const result = api.invoke({}, { requestId: 's-3' })
  await next(api)
  const ack = await respond(api, 's-3', '', {
    body: ['x'],
    headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', Trailer: 'Lambda-Runtime-Function-Error-Type' },
    trailers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.StreamError' },
  })
  t.equal(ack.status, 202)
  const r = await result
  t.match(r, { status: 'error', payload: 'x', streamed: true })
  t.equal(r.contentType, undefined)
  t.same(r.error, { errorType: 'Runtime.StreamError', errorMessage: '', headerErrorType: 'Runtime.StreamError', body: '' })
})

t.test('an unknown response mode is refused', async (t) => {
  const api = await withApi(t)
  api.invoke({}, { requestId: 'm-1' }).catch(() => {})
  await next(api)
  const r = await respond(api, 'm-1', 'x', { headers: { 'Lambda-Runtime-Function-Response-Mode': 'buffered-ish' } })
  t.equal(r.status, 400)
  t.equal(r.body, '{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}\n')
  t.equal((await respond(api, 'm-1', 'x')).status, 202, 'the invocation is still open')
})

t.test('unknown request id -> 400 InvalidRequestID, on /response and /error', async (t) => {
  const api = await withApi(t)
  t.equal((await respond(api, 'nobody', '1')).body, INVALID_ID, 'no invocation at all')
  const result = api.invoke({}, { requestId: 'real' })
  await next(api)
  for (const r of [await respond(api, 'other', '1'), await postError(api, 'other', '{}')]) {
    t.equal(r.status, 400)
    t.equal(r.body, INVALID_ID)
    t.equal(r.headers['content-type'], 'application/json')
  }
  await respond(api, 'real', '"fine"')
  t.equal((await result).payload, '"fine"')
})

t.test('a second answer for the same id -> 403 InvalidStateTransition; an older id -> 400', async (t) => {
  const api = await withApi(t)
  const first = api.invoke({}, { requestId: 'd-1' })
  await next(api)
  t.equal((await respond(api, 'd-1', '"one"')).status, 202)
  const again = await respond(api, 'd-1', '"two"')
  t.equal(again.status, 403)
  t.equal(again.body, '{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  const err = await postError(api, 'd-1', '{}')
  t.equal(err.status, 403)
  t.equal(err.body, '{"errorMessage":"State transition from RuntimeResponseSentState to InvocationErrorResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  t.equal((await first).payload, '"one"', 'the first answer stands')
  const second = api.invoke({}, { requestId: 'd-2' })
  await next(api)
  const stale = await respond(api, 'd-1', '"three"')
  t.equal(stale.status, 400)
  t.equal(stale.body, INVALID_ID)
  await respond(api, 'd-2', '"b"')
  t.equal((await second).payload, '"b"')
})

t.test('states named in refusals: Ready while polling, answered ids while polling', async (t) => {
  let polls = 0
  const api = await withApi(t, { onNext: () => void polls++ })
  // Each poll has reached the API before the refusal is asked for (not a fixed wait: a busy machine is slow).
  const polled = async (n: number): Promise<void> => {
    while (polls < n) await new Promise((r) => setTimeout(r, 5))
  }
  const polling = next(api)
  await polled(1)
  const init = await call(api, 'POST', `${BASE}/init/error`, { body: '{}' })
  t.equal(init.status, 403)
  t.equal(init.body, '{"errorMessage":"State transition from Ready to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  const result = api.invoke({}, { requestId: 'p-1' })
  await polling
  await respond(api, 'p-1', '1')
  await result
  const polling2 = next(api)
  await polled(2)
  const again = await respond(api, 'p-1', '2')
  t.equal(again.status, 403)
  t.equal(again.body, '{"errorMessage":"State transition from Ready to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
  const bad = await call(api, 'POST', `${BASE}/invocation/%E0%A4%A/response`, { body: '3' })
  t.equal(bad.status, 400, 'an undecodable id is just an unknown id')
  t.equal(bad.body, INVALID_ID)
  api.invoke({}, { requestId: 'p-2' }).catch(() => {})
  t.equal((await polling2).headers['lambda-runtime-aws-request-id'], 'p-2')
})

/** Sends headers promising `length` bytes, writes `sent` of them, then drops the connection. */
function truncatedPost(api: RuntimeApi, path: string, length: number, sent: string): Promise<void> {
  const [host, port] = api.address.split(':')
  return new Promise((resolve) => {
    const req = request({ host, port: Number(port), method: 'POST', path, agent: false, headers: { 'Content-Length': length } })
    req.on('error', () => resolve())
    req.on('response', () => resolve())
    req.write(sent, () => setTimeout(() => (req.destroy(), resolve()), 30))
  })
}

t.test('a runtime that drops the connection mid-body', async (t) => {
  const api = await withApi(t)
  const result = api.invoke({}, { requestId: 't-1' })
  await next(api)
  await truncatedPost(api, `${BASE}/invocation/t-1/response`, 100, '{"partial":')
  t.match(await result, {
    requestId: 't-1', status: 'error', streamed: false,
    error: { errorType: 'Runtime.TruncatedResponse', errorMessage: 'The runtime closed the connection mid-body', body: '' },
  })
  await truncatedPost(api, `${BASE}/init/error`, 100, '{"errorType":')
  t.equal(api.initErrorValue, undefined, 'a truncated init error is not recorded')
})

t.test('the deadline also cuts a response still streaming', async (t) => {
  const timedOut: string[] = []
  const api = await withApi(t, { onTimeout: (id) => timedOut.push(id) })
  // Long enough, on this machine, for the response to start before the deadline.
  const limit = scaled(200)
  const result = api.invoke({}, { requestId: 'st-1', timeoutMs: limit })
  await next(api)
  const [host, port] = api.address.split(':')
  const ack = new Promise<number>((resolve, reject) => {
    const req = request({
      host, port: Number(port), method: 'POST', path: `${BASE}/invocation/st-1/response`, agent: false,
      headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked' },
    }, (res) => (res.resume(), resolve(res.statusCode ?? 0)))
    req.on('error', reject)
    req.write('first ')
    // The rest only once the deadline has passed.
    void result.then(() => req.end('late'))
  })
  const r = await result
  t.match(r, { requestId: 'st-1', status: 'timeout', streamed: false, error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(limit / 1000).toFixed(2)} seconds` } })
  t.ok(r.respondedAt, 'the response had started')
  t.same(timedOut, ['st-1'])
  t.equal(await ack, 202, 'the stream still ends with 202; the result stays the timeout')
  t.equal((await result).status, 'timeout')
})

t.test('a long poll dropped by its client does not swallow the next event', async (t) => {
  let polled = (): void => {}
  const arrived = new Promise<void>((r) => (polled = r))
  const api = await withApi(t, { onNext: () => polled() })
  const [host, port] = api.address.split(':')
  await new Promise<void>((resolve) => {
    const req = request({ host, port: Number(port), path: `${BASE}/invocation/next`, agent: false })
    req.on('error', () => resolve())
    req.end()
    // Dropped once the API holds it.
    void arrived.then(() => req.destroy())
  })
  // One more request round trip: the API has seen the dropped connection close before it answers it.
  await call(api, 'GET', '/2018-06-01/nowhere')
  const result = api.invoke(undefined, { requestId: 'u-1' })
  const ev = await next(api)
  t.equal(ev.headers['lambda-runtime-aws-request-id'], 'u-1')
  t.equal(ev.body, '{}', 'an undefined event is sent as {}')
  await respond(api, 'u-1', 'null')
  t.equal((await result).payload, 'null')
})

t.test('/next while an invocation is running -> 403', async (t) => {
  const api = await withApi(t)
  api.invoke({}, { requestId: 'r-1' }).catch(() => {})
  await next(api)
  const again = await next(api)
  t.equal(again.status, 403)
  t.equal(again.body, '{"errorMessage":"State transition from Running to Ready failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n')
})

t.test('404 for unknown paths, 405 for wrong methods', async (t) => {
  const api = await withApi(t)
  for (const path of ['/', '/2018-06-01/runtime/invocation', `${BASE}/invocation/next/x`, '/2020-01-01/runtime/invocation/next', `${BASE}/restore/next`]) {
    const r = await call(api, 'GET', path)
    t.equal(r.status, 404, path)
    t.equal(r.body, '404 page not found\n', path)
  }
  const cases: Array<[string, string, string]> = [
    ['POST', `${BASE}/invocation/next`, 'GET'],
    ['GET', `${BASE}/invocation/abc/response`, 'POST'],
    ['PUT', `${BASE}/invocation/abc/error`, 'POST'],
    ['GET', `${BASE}/init/error`, 'POST'],
  ]
  for (const [method, path, allow] of cases) {
    const r = await call(api, method, path)
    t.equal(r.status, 405, `${method} ${path}`)
    t.equal(r.body, '')
    t.equal(r.headers.allow, allow)
  }
})

t.test('client context and cognito identity headers', async (t) => {
  const api = await withApi(t)
  const ctx = { client: { installation_id: 'i-1', app_title: 'demo' }, custom: { k: 'v' }, env: { locale: 'en' } }
  api.invoke({}, { requestId: 'c-1', clientContext: ctx, cognitoIdentity: { cognitoIdentityId: 'id', cognitoIdentityPoolId: 'pool' } }).catch(() => {})
  const ev = await next(api)
  t.equal(ev.headers['lambda-runtime-client-context'], JSON.stringify(ctx))
  t.equal(ev.headers['lambda-runtime-cognito-identity'], '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}')
  await respond(api, 'c-1', '1')
  api.invoke({}, { requestId: 'c-2', clientContext: '{"raw":true}' }).catch(() => {})
  t.equal((await next(api)).headers['lambda-runtime-client-context'], '{"raw":true}')
})

t.test('long poll: /next waits until an event is queued', async (t) => {
  const api = await withApi(t)
  let answered = false
  const pending = next(api).then((r) => ((answered = true), r))
  await new Promise((r) => setTimeout(r, 100))
  t.equal(answered, false, 'still waiting')
  const result = api.invoke({ late: true }, { requestId: 'lp' })
  const ev = await pending
  t.equal(ev.body, '{"late":true}')
  await respond(api, 'lp', '"done"')
  t.equal((await result).payload, '"done"')
})

t.test('several invokes in sequence through one keep-alive client', async (t) => {
  const api = await withApi(t)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const results = [1, 2, 3].map((n) => api.invoke({ n }))
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const ev = await next(api, agent)
    t.equal(ev.status, 200)
    t.equal(ev.body, `{"n":${i + 1}}`, 'events come in invoke order')
    if (i > 0) t.ok(ev.reusedSocket, 'the same connection is reused')
    const id = String(ev.headers['lambda-runtime-aws-request-id'])
    ids.push(id)
    const ack = await respond(api, id, JSON.stringify({ got: i + 1 }), { agent })
    t.equal(ack.status, 202)
  }
  const done = await Promise.all(results)
  t.same(done.map((r) => [r.requestId, r.status, r.payload]), ids.map((id, i) => [id, 'success', `{"got":${i + 1}}`]))
  t.equal(new Set(ids).size, 3)
})

t.test('close() rejects invocations still in flight', async (t) => {
  const api = await startRuntimeApi()
  const queued = api.invoke({})
  await api.close()
  await t.rejects(queued, /runtime API closed before invocation/)
  await t.rejects(api.invoke({}), /runtime API is closed/)
})
