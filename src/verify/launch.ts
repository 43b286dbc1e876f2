// How a verify case starts the emulated bootstrap in its Lambda tree (layout.ts): inside the sandbox
// with the real Lambda paths, or path-mapped, with every Lambda path under the layout's temp folder.
import { join } from 'node:path'
import { bwrapArgs, hiddenInterpreters, LAMBDA_BOOTSTRAP, limitsFor, type Launch, type Mode } from '../sandbox/index.js'
import type { Layout } from './layout.js'

export interface LaunchOptions {
  /** Host interpreters the run may see (the wrapper's #! interpreter). */
  readonly keepHost?: readonly string[]
  /** Writable copies of the tree and a root of its own (writes.ts), instead of the read-only layout. */
  readonly writable?: { readonly dirs: ReadonlyArray<readonly [string, string]>; readonly root: string }
  /** Exactly this environment inside the sandbox (nothing a test runner's spawn hook adds). */
  readonly env?: Readonly<Record<string, string>>
}

/** The Lambda tree of one run: [Lambda path, host folder]. */
export function lambdaTree(layout: Layout, opt: string, lang: string): Array<[string, string]> {
  return [
    ['/opt', opt],
    ['/var/task', join(layout.root, 'var/task')],
    ['/var/runtime', join(layout.root, 'var/runtime')],
    ['/var/lang', lang],
  ]
}

/**
 * The command that runs `bootstrap SHELL ARGV...` in `mode` with `opt` (a tree of the layout) at
 * /opt and `lang` (one runtime's /var/lang) at /var/lang.
 */
export function launch(mode: Mode, layout: Layout, opt: string, lang: string, shell: string, argv: readonly string[], o: LaunchOptions = {}): Launch {
  const tree = o.writable ? o.writable.dirs : lambdaTree(layout, opt, lang)
  if (mode === 'path-mapped') {
    const host = (p: string): string | undefined => {
      for (const [lambda, dir] of tree) if (p === lambda || p.startsWith(`${lambda}/`)) return join(dir, p.slice(lambda.length))
      return p.startsWith('/tmp/') ? join(layout.root, p) : undefined
    }
    const path = (p: string): string => host(p) ?? p
    return { command: path(LAMBDA_BOOTSTRAP), args: [shell === '-' ? shell : path(shell), ...argv.map((a, i) => (i === 0 ? path(a) : a))], cwd: path('/var/task'), path, sandboxed: false }
  }
  const binds = tree.map(([lambda, dir]) => [dir, lambda] as const)
  const args = bwrapArgs(binds, [LAMBDA_BOOTSTRAP, shell, ...argv], o.env, { hide: hiddenInterpreters(o.keepHost ?? []), ...(o.writable ? { root: o.writable.root } : {}) })
  return { command: 'bwrap', args, cwd: '/', path: (p) => p, sandboxed: true, limits: limitsFor() }
}
