// ES module loader hooks, registered by wrapgen's --import runner before the handler loads (a
// --require preload cannot register them). This one counts the ES modules the function loads, the
// kind of hook tracing agents use to wrap a library's exports; `data` is the hook's options.
let loaded = 0
let log = false

export async function initialize(data) {
  log = Boolean(data?.log)
}

export async function load(url, context, next) {
  const result = await next(url, context)
  if (result.format === 'module') {
    loaded++
    if (log) process.stderr.write(`${JSON.stringify({ preload: 'trace-esm', message: 'module loaded', url, loaded })}\n`)
  }
  return result
}
