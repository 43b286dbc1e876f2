// /var/runtime/index.mjs for `wrapgen invoke`: what Lambda's own entry does, with AWS's real Node
// runtime interface client. aws-lambda-ric 3.3.0 ignores _HANDLER and LAMBDA_TASK_ROOT when started
// from its bin, so this entry passes them to its run() (docs/notes/aws-lambda-ric.md).
// Before loading the client it reports node's start on fd 3 (one JSON line), for the init report, with
// the node.imports hooks' times the --import runner (hooks/node/import.mjs) left on globalThis.
import { writeSync } from 'node:fs'

const entryMs = performance.now()
if (process.env.WRAPGEN_INVOKE_REPORT_FD) {
  try {
    const imports = globalThis[Symbol.for('wrapgen.imports')]?.timings
    const line = JSON.stringify({ wrapgenInvokeEntry: true, nodeStartEpochMs: performance.timeOrigin, entryMs, ...(Array.isArray(imports) ? { imports } : {}) })
    writeSync(Number(process.env.WRAPGEN_INVOKE_REPORT_FD), `${line}\n`)
  } catch {
    // No report channel: the function runs all the same.
  }
}
// Not the function's variable: keep it out of the handler's environment.
delete process.env.WRAPGEN_INVOKE_REPORT_FD
const { run } = await import('aws-lambda-ric')
await run(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? 'index.handler')
