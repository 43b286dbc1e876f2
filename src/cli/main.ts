// Parses the command line, runs one subcommand, and sorts errors by audience into exit codes.
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { EXIT, UsageError, UserError } from '../errors.js'
import { version } from '../version.js'
import type { Command, Context } from './context.js'

/** Subcommands load lazily, so `--help` never pays for esbuild. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./build.js')).default,
  verify: async () => (await import('./verify.js')).default,
  invoke: async () => (await import('./invoke.js')).default,
  print: async () => (await import('./print.js')).default,
  init: async () => (await import('./init.js')).default,
  compose: async () => (await import('./compose.js')).default,
}

const SUMMARIES: Record<string, string> = {
  build: 'build the layer (exec wrapper + preload bundle) from the config',
  verify: 'run the wrapper the way each Lambda runtime does and check what it execs',
  invoke: 'run a function through the layer on a local Lambda Runtime API and report its cold start',
  print: "show the command and environment the wrapper produces for one runtime",
  init: 'write a commented starter config',
  compose: "combine several vendors' layers into one layer whose wrapper runs each of theirs",
}

export const HELP = `wrapgen ${'{version}'}: declarative, verified AWS Lambda exec wrappers

Usage: wrapgen <command> [options]

Commands:
${Object.entries(SUMMARIES).map(([k, v]) => `  ${k.padEnd(8)}${v}`).join('\n')}

Options for every command:
  -h, --help      show help for the command
  --version       print wrapgen's version
  --debug         print stack traces for unexpected errors

Exit codes:
  0   success
  1   a problem in the config, a file it names, or the user's code (the message says which)
  2   a bad command line
  3   verify ran and a check failed
  70  a bug in wrapgen (re-run with --debug and report it)

Run "wrapgen <command> --help" for a command's options. Docs: README.md, docs/.
`

export async function main(argv: string[], io: Partial<Pick<Context, 'out' | 'err' | 'cwd'>> = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t))
  const err = io.err ?? ((t: string) => void process.stderr.write(t))
  const debug = argv.includes('--debug')
  const args = argv.filter((a) => a !== '--debug')
  try {
    const [name, ...rest] = args
    if (name === '--version' || name === '-v') return out(`${version()}\n`), EXIT.ok
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') return out(HELP.replace('{version}', version())), EXIT.ok
    const load = COMMANDS[name]
    if (!load) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see wrapgen --help)`)
    const cmd = await load()
    if (rest.includes('--help') || rest.includes('-h')) return out(cmd.help), EXIT.ok
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true })
    } catch (cause) {
      throw new UsageError(`${(cause as Error).message.split('\n')[0]} (see wrapgen ${name} --help)`, { cause })
    }
    const cwdOpt = parsed.values.cwd
    const cwd = resolve(io.cwd ?? process.cwd(), typeof cwdOpt === 'string' ? cwdOpt : '.')
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`--cwd ${String(cwdOpt)}: no such folder`)
    return await cmd.run(parsed.values, parsed.positionals, { cwd, out, err, debug })
  } catch (e) {
    return report(e, err, debug)
  }
}

/** The one final catch: users get one line per problem; bugs get a hint, stacks only with --debug. */
export function report(e: unknown, err: (t: string) => void, debug: boolean): number {
  if (e instanceof UserError) {
    err(`wrapgen: ${e.message}\n${e.details.map((d) => `  - ${d}\n`).join('')}`)
    if (debug && e.cause instanceof Error) err(`${e.cause.stack ?? ''}\n`)
    return e.exitCode
  }
  const error = e instanceof Error ? e : new Error(String(e))
  err(`wrapgen: internal error: ${error.message.split('\n')[0]}\n`)
  err(debug ? `${error.stack ?? ''}\n` : 'wrapgen: this is a bug in wrapgen; re-run with --debug for the stack trace and report it\n')
  return EXIT.internal
}
