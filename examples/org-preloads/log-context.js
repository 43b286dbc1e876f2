// Every function in the organisation logs which service and team it belongs to. The handler reads
// the context from globalThis (no import needed), and the variables reach child processes too.
export default {
  setup(options, ctx) {
    const context = {
      org: options.org ?? 'example-org',
      service: options.service ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
      team: options.team ?? 'unknown',
    }
    globalThis.orgLogContext = Object.freeze(context)
    process.env.ORG_SERVICE = context.service
    process.env.ORG_TEAM = context.team
    ctx.log('log context set', context)
  },
}
