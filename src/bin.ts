#!/usr/bin/env node
// The `wrapgen` command: everything lives in cli/main.ts.
import { main } from './cli/main.js'

// `wrapgen print ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
