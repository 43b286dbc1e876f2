// AWS's runtime client an invoke run starts the function on, per runtime family: where its files and
// the interpreter come from on this machine, and where they sit in the Lambda tree (the sandbox binds
// them read-only at their Lambda paths; path-mapped runs get symlinks at the same places).
// node: aws-lambda-ric (layout.ts finds it); python: awslambdaric (python.ts); java: the
// aws-lambda-java-runtime-interface-client jars (java.ts).
import { symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { Mode } from '../sandbox/index.js'

export type ClientFamily = 'node' | 'python' | 'java'

export interface RuntimeClient {
  readonly family: ClientFamily
  /** The interpreter's process name once it has been exec'd (`python3.12`, `java`): when it started. */
  readonly processName: string
  /** One line: which interpreter and client ran (`python3.12.1 (/root/.pyenv/...), awslambdaric 4.2.2`). */
  readonly ran: string
  /** What differs from Lambda here (another interpreter version, options left out), one line each. */
  readonly notes: readonly string[]
  /** Host file or folder -> Lambda path, bound read-only after the layout's own tree, in this order. */
  readonly binds: ReadonlyArray<readonly [string, string]>
  /** Files the client writes into the layout's root (its entry, extracted libraries), Lambda path -> contents. */
  readonly files?: ReadonlyArray<readonly [string, string | Uint8Array]>
  /** The runtime's argv as it runs here, with Lambda paths (`path` maps one for path-mapped runs). */
  argv(argv: readonly string[], handler: string, path: (p: string) => string): string[]
  /** Variables the run adds to (or removes from) the function's environment. */
  env?(env: Record<string, string>): void
}

/** Writes the client's files and, for its binds, mount points (sandboxed) or symlinks (path-mapped) under `root`. */
export function placeClient(client: RuntimeClient, root: string, mode: Mode, isDir: (host: string) => boolean): void {
  for (const [lambda, contents] of client.files ?? []) {
    const at = join(root, lambda)
    mkdirSync(dirname(at), { recursive: true })
    writeFileSync(at, contents)
  }
  for (const [host, lambda] of client.binds) {
    if (lambda === '/var/lang') continue // the layout's var/lang is the mount point (or the symlink, below)
    const at = join(root, lambda)
    mkdirSync(dirname(at), { recursive: true })
    if (mode === 'path-mapped') symlinkSync(host, at)
    else if (isDir(host)) mkdirSync(at, { recursive: true })
    else writeFileSync(at, '')
  }
}

/** The fixture's handler position: java17+ pass the handler string as the last element. */
export const withHandlerLast = (argv: readonly string[], fixture: RuntimeFixture, handler: string): string[] => {
  const out = [...argv]
  const entry = fixture.entry === null ? -1 : out.indexOf(fixture.entry)
  if (entry >= 0 && entry === out.length - 2) out[out.length - 1] = handler
  return out
}
