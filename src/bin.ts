#!/usr/bin/env node
// The `wrapgen` command: everything lives in cli/main.ts.
import { cleanupNow } from './cleanup.js'
import { main } from './cli/main.js'

// Kept before any config runs: a config's load replaces process.exit for a while (config/load.ts).
const exit = process.exit.bind(process)

// `wrapgen print ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') exit(process.exitCode ?? 0)
  throw e
})

// Ctrl-C, `kill`, a closed terminal: stop the children wrapgen started (whole process groups), remove
// its temp folders, and exit 128 + the signal's number, as a shell reports a command killed by it.
// A layer being written is never half-written: the writer's swap is synchronous, so this runs after it.
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
for (const [signal, code] of Object.entries(SIGNALS)) {
  process.once(signal, () => {
    cleanupNow()
    process.stderr.write(`wrapgen: interrupted (${signal}); its processes are stopped and its temp folders removed\n`)
    exit(code)
  })
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
