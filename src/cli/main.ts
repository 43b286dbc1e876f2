// Parses the command line, runs one subcommand, and sorts errors by audience into exit codes.
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { closest } from '../config/suggest.js'
import { EXIT, UsageError, UserError } from '../errors.js'
import { safeText } from '../terminal.js'
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
  130 interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM); 129 hung up (SIGHUP):
      wrapgen's processes are stopped and its temp folders removed

Run "wrapgen <command> --help" for a command's options. Docs: README.md, docs/.
`

export async function main(argv: string[], io: Partial<Pick<Context, 'out' | 'err' | 'cwd'>> = {}): Promise<number> {
  // Everything printed goes through safeText: much of it was written by code wrapgen did not write.
  const rawOut = io.out ?? ((t: string) => void process.stdout.write(t))
  const rawErr = io.err ?? ((t: string) => void process.stderr.write(t))
  const out = (t: string): void => rawOut(safeText(t))
  const err = (t: string): void => rawErr(safeText(t))
  const debug = argv.includes('--debug')
  const args = argv.filter((a) => a !== '--debug')
  try {
    const [name, ...rest] = args
    if (name === '--version' || name === '-v') return out(`${version()}\n`), EXIT.ok
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') return out(HELP.replace('{version}', version())), EXIT.ok
    const load = COMMANDS[name]
    if (!load) {
      const guess = closest(name, Object.keys(COMMANDS))
      throw new UsageError(`unknown command "${name}"${guess ? `; did you mean "${guess}"?` : ''}; commands: ${Object.keys(COMMANDS).join(', ')} (see wrapgen --help)`)
    }
    const cmd = await load()
    if (rest.includes('--help') || rest.includes('-h')) return out(cmd.help), EXIT.ok
    const parsed = parseCommandLine(name, cmd, rest)
    const cwdOpt = parsed.values.cwd
    const cwd = resolve(io.cwd ?? process.cwd(), typeof cwdOpt === 'string' ? cwdOpt : '.')
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`--cwd ${String(cwdOpt)}: no such folder`)
    return await cmd.run(parsed.values, parsed.positionals, { cwd, out, err, debug })
  } catch (e) {
    return report(e, err, debug)
  }
}

/** The command's first help line ("Usage: wrapgen build ..."), shown under a command-line error. */
const usageLine = (cmd: Command): string => cmd.help.split('\n').find((l) => l.startsWith('Usage:')) ?? ''

/** node's parseArgs, with its errors turned into one line in wrapgen's words plus the usage line. */
function parseCommandLine(name: string, cmd: Command, args: string[]): ReturnType<typeof parseArgs<{ options: Command['options']; allowPositionals: true; strict: true }>> {
  const fail = (what: string, cause?: unknown): never => {
    throw new UsageError(`${what} (see wrapgen ${name} --help)\n${usageLine(cmd)}`, { cause })
  }
  let parsed
  try {
    parsed = parseArgs({ args, options: cmd.options, allowPositionals: true, strict: true })
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException
    const option = e.message.match(/'(-[^' ]+)/)?.[1]
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
      const known = [...Object.entries(cmd.options).flatMap(([k, o]) => [`--${k}`, ...(o.short ? [`-${o.short}`] : [])]), '--help', '--debug']
      const bare = option.split('=')[0]!
      const guess = closest(bare, known)
      return fail(`${name}: unknown option ${bare}${guess ? `; did you mean ${guess}?` : ''}`, cause)
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      const spec = cmd.options[option.replace(/^--?/, '')]
      if (spec?.type === 'boolean') return fail(`${name}: ${option} takes no value`, cause)
      if (/argument missing/.test(e.message)) return fail(`${name}: ${option} needs a value`, cause)
    }
    return fail(`${name}: ${e.message.split('\n')[0]}`, cause)
  }
  if (!cmd.positionals && parsed.positionals.length > 0)
    fail(`${name}: unexpected argument "${parsed.positionals[0]}"; it takes options only`)
  return parsed
}

/** What an error may print: a config value can be megabytes, and a message quoting it must not be. */
const MAX_LINE = 1000
const MAX_DETAILS = 50
const clip = (line: string): string => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}... (${line.length - MAX_LINE} more characters)` : line)

/** The one final catch: users get one line per problem; bugs get a hint, stacks only with --debug. */
export function report(e: unknown, err: (t: string) => void, debug: boolean): number {
  if (e instanceof UserError) {
    const details = e.details.slice(0, MAX_DETAILS).map((d) => `  - ${clip(d)}\n`).join('')
    const more = e.details.length > MAX_DETAILS ? `  ... and ${e.details.length - MAX_DETAILS} more\n` : ''
    err(`wrapgen: ${e.message.split('\n').map(clip).join('\n')}\n${details}${more}`)
    if (debug && e.cause instanceof Error) err(`${e.cause.stack ?? ''}\n`)
    return e.exitCode
  }
  const error = e instanceof Error ? e : new Error(String(e))
  err(`wrapgen: internal error: ${clip(error.message.split('\n')[0] ?? '')}\n`)
  err(debug ? `${error.stack ?? ''}\n` : 'wrapgen: this is a bug in wrapgen; re-run with --debug for the stack trace and report it\n')
  return EXIT.internal
}
