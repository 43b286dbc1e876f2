#!/usr/bin/env node
// The `wrapgen` command: everything lives in cli/main.ts.
import { main } from './cli/main.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
