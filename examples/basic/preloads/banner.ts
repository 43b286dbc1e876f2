// A local hook: one line on stderr naming the function as it starts.
import { definePreload } from 'wrapgen/preload'

export default definePreload<{ prefix?: string }>((options, ctx) => {
  ctx.log(`${options.prefix ?? 'starting'} ${process.env.AWS_LAMBDA_FUNCTION_NAME ?? '(local)'}`)
})
