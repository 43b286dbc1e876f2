#!/usr/bin/env node
// The `wrapgen` command: everything lives in cli/main.ts.
import { cleanupNow } from './cleanup.js'
import { main } from './cli/main.js'
import { EXIT } from './errors.js'

// The real exit, kept before anything replaces process.exit (below, and config/load.ts while a config loads).
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

/** Whether main() has returned its exit code. */
let settled = false

// wrapgen itself never calls process.exit (only `exit` above). A call from code the config loaded
// (say, its timer, once the load is over) would otherwise end the command with that code, 0 included,
// before it finished its work.
process.exit = ((code?: number | string | null) => {
  if (settled) return exit(process.exitCode ?? 0)
  process.stderr.write(`wrapgen: code loaded by the config called process.exit(${code ?? ''}) before wrapgen finished; stopping with exit 1\n`)
  cleanupNow()
  exit(EXIT.user)
}) as typeof process.exit

// Node exits 0 when nothing is left to wait for, even if main() never settled: that is not success.
// (A config load that never settles is reported by its own watchdog first, with the file's name.)
process.on('beforeExit', () => {
  if (settled) return
  setImmediate(() => {
    if (settled) return
    settled = true
    process.stderr.write('wrapgen: internal error: the command stopped before it finished (it waited for something that can never happen)\nwrapgen: this is a bug in wrapgen; report it\n')
    process.exitCode = EXIT.internal
  })
})

// Exits once the command is done and its output is flushed: a timer or socket the config left open
// must not keep wrapgen running. (An empty write's callback runs after the writes before it.)
main(process.argv.slice(2)).then((code) => {
  settled = true
  process.exitCode = code
  process.stdout.write('', () => process.stderr.write('', () => exit(code)))
})
