// What every subcommand gets: where it runs and where it writes, so tests can capture both.
import type { Finding } from '../config/validate.js'
import { UsageError } from '../errors.js'

export interface Context {
  readonly cwd: string
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly debug: boolean
}

export interface Command {
  /** One line for the command list. */
  readonly summary: string
  /** Full `--help` text. */
  readonly help: string
  /** Whether it takes arguments besides options; a stray argument is a usage error otherwise. */
  readonly positionals?: boolean
  /** node:util parseArgs option spec. */
  readonly options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>
  readonly run: (values: Record<string, string | boolean | Array<string | boolean> | undefined>, positionals: string[], ctx: Context) => Promise<number>
}

/** Prints config warnings, one line each. */
export const warnTo = (ctx: Context) => (w: Finding): void => ctx.err(`wrapgen: warning: ${w.path}: ${w.message}\n`)

/** Options every command that reads a config takes. */
export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  cwd: { type: 'string' },
  json: { type: 'boolean' },
} as const

export const CONFIG_HELP = configHelp(16)

/** The config options' help lines, descriptions starting at `column` like the command's own options. */
export function configHelp(column: number): string {
  return [
    ['--config FILE', 'use this config file instead of searching for one'],
    ['--cwd DIR', 'run as if started in DIR (the config search starts there)'],
    ['--json', 'print machine-readable JSON on stdout'],
  ].map(([option, text]) => `  ${option!.padEnd(column)}${text}`).join('\n')
}

/** The function's variables given as repeated `--env NAME=value` (verify, compose). */
export function envOption(values: unknown): Record<string, string> {
  const env: Record<string, string> = {}
  for (const kv of (values as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=')
    if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(kv.slice(0, eq))) throw new UsageError(`--env ${kv}: give NAME=value`)
    env[kv.slice(0, eq)] = kv.slice(eq + 1)
  }
  return env
}
