// Configuration drift shows at start-up, not at the first invoke: each function names the
// variables it cannot run without, and a missing one is logged (or, with strict, fails init).
export default {
  setup(options, ctx) {
    const missing = (options.names ?? []).filter((name) => !process.env[name])
    if (missing.length === 0) return
    if (options.strict) throw new Error(`missing required environment variables: ${missing.join(', ')}`)
    ctx.log('missing required environment variables', { missing })
  },
}
