// Error classes sorted by audience; the CLI's one final catch maps each to a documented exit code.

export const EXIT = {
  ok: 0,
  /** The config, a file it names, or the user's own code is wrong. */
  user: 1,
  /** The command line is wrong. */
  usage: 2,
  /** `verify` ran and at least one check failed. */
  checks: 3,
  /** A bug in wrapgen. */
  internal: 70,
} as const

/** A problem the user can fix: printed as is, no stack trace. */
export class UserError extends Error {
  override readonly name = 'UserError'
  readonly exitCode: number = EXIT.user
  /** Further lines (e.g. one per config problem). */
  readonly details: readonly string[]
  constructor(message: string, opts: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.details = opts.details ?? []
  }
}

/** A bad command line. */
export class UsageError extends UserError {
  override readonly exitCode: number = EXIT.usage
}
