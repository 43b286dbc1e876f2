// The Lambda file layout a verify run uses: /opt (the layer), /var/task, /var/runtime, /var/lang/bin
// (stand-in interpreters), /tmp. Built once per run in a temp folder; removed afterwards.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { packageRoot } from '../package-root.js'
import type { RuntimeFixture } from '../runtimes/types.js'

export interface Layout {
  /** Temp folder holding the tree (opt/, var/task, var/runtime, var/lang, tmp/). */
  readonly root: string
  /** Alternative /opt trees keyed by name (e.g. `missing-preload`, `no-exec-bit`). */
  readonly opts: ReadonlyMap<string, string>
  readonly bootstrap: string
  readonly remove: () => void
}

const asset = (name: string): string => join(packageRoot(), 'src/verify/assets', name)

/** Interpreter paths (absolute, as on Lambda) that the catalogue's argv start with. */
export function interpreterPaths(fixtures: readonly RuntimeFixture[]): string[] {
  const paths = fixtures.flatMap((f) => (typeof f.argv[0] === 'string' ? [f.argv[0]] : []))
  return [...new Set(paths)].sort()
}

export interface LayoutInput {
  /** The layer tree to mount at /opt. */
  readonly layerDir: string
  /** Further trees unpacked into /opt as well (other vendors' layers, for chains). */
  readonly extraLayers?: readonly string[]
  readonly fixtures: readonly RuntimeFixture[]
  /** Files (path relative to /opt) to leave out in the variant named `missing`. */
  readonly missing?: readonly string[]
  /** Path relative to /opt of the wrapper, whose exec bit the `no-exec-bit` variant drops. */
  readonly wrapper?: string
  /** Further complete /opt trees by name (e.g. `adversarial`: the layer built from a derived config). */
  readonly variants?: Readonly<Record<string, string>>
  /** Executables to put at absolute paths in /opt that do not exist (stand-ins for chained wrappers). */
  readonly passThrough?: readonly string[]
}

export function makeLayout(input: LayoutInput): Layout {
  const root = mkdtempSync(join(tmpdir(), 'wrapgen-verify-'))
  const opt = join(root, 'opt')
  cpSync(input.layerDir, opt, { recursive: true })
  for (const extra of input.extraLayers ?? []) cpSync(extra, opt, { recursive: true, force: true })
  for (const p of input.passThrough ?? []) {
    if (!p.startsWith('/opt/')) continue
    const file = join(root, p)
    if (existsSync(file)) continue // a real one from a --with-layer tree
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, '#!/bin/sh\n# stand-in for a chained wrapper: passes the command on unchanged\nexec "$@"\n', { flag: 'wx' })
    chmodSync(file, 0o755)
  }
  const opts = new Map<string, string>([['layer', opt]])
  if (input.missing?.length) {
    const variant = join(root, 'variants/missing')
    cpSync(opt, variant, { recursive: true })
    for (const f of input.missing) rmSync(join(variant, f), { force: true })
    opts.set('missing', variant)
  }
  if (input.wrapper) {
    const variant = join(root, 'variants/no-exec-bit')
    cpSync(opt, variant, { recursive: true })
    chmodSync(join(variant, input.wrapper), 0o644)
    opts.set('no-exec-bit', variant)
  }
  for (const [name, dir] of Object.entries(input.variants ?? {})) {
    const variant = join(root, 'variants', name)
    cpSync(opt, variant, { recursive: true })
    cpSync(dir, variant, { recursive: true, force: true })
    opts.set(name, variant)
  }
  for (const dir of ['var/task', 'var/runtime', 'var/lang/bin', 'tmp']) mkdirSync(join(root, dir), { recursive: true })
  const bootstrap = join(root, 'var/runtime/bootstrap.sh')
  copyFileSync(asset('bootstrap.sh'), bootstrap)
  chmodSync(bootstrap, 0o755)
  // Every interpreter in the catalogue, and .NET single-file executables under /var/task.
  for (const path of interpreterPaths(input.fixtures)) {
    const file = join(root, path)
    mkdirSync(dirname(file), { recursive: true })
    copyFileSync(asset('standin.sh'), file)
    chmodSync(file, 0o755)
  }
  return { root, opts, bootstrap, remove: () => rmSync(root, { recursive: true, force: true }) }
}
