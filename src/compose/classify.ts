// The one door from compose to verify's harness: run an exec wrapper the way a runtime's bootstrap
// does, inside bubblewrap with a given tree at /opt and recording stand-in interpreters under
// /var/lang/bin, and say what reached the interpreter. Vendors' wrappers are untrusted code: they run
// here and nowhere else. Everything else in compose sees only `Sandbox` and `Observed`, so this file
// is all that changes when the harness does.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { shebangInterpreters } from '../verify/harness.js'
import { makeLayout } from '../verify/layout.js'
import { observe } from '../verify/observe.js'
import { launch, sandboxAvailable } from '../verify/sandbox.js'

export { sandboxAvailable }

/** What one run showed: the command and environment the runtime's interpreter received. */
export interface Observed {
  /** The stand-in interpreter started (exec'd, with any arguments). */
  readonly ran: boolean
  /** Interpreter first, as received. */
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly code: number | null
  readonly stderr: string
  /** The bare runtime's own command and environment (no wrapper), for comparison. */
  readonly baseArgv: readonly string[]
  readonly baseEnv: Readonly<Record<string, string>>
}

export interface Sandbox {
  /** Runs `wrapper` (an /opt path) as AWS_LAMBDA_EXEC_WRAPPER for the runtime; the result against no wrapper. */
  readonly run: (fixture: RuntimeFixture, wrapper: string) => Promise<Observed>
  readonly close: () => void
}

/** A wrapper that never execs the interpreter (a web adapter's server waiting for requests) is stopped after this. */
const TIMEOUT_MS = 5000

export function openSandbox(optDir: string, fixtures: readonly RuntimeFixture[], commonEnv: Readonly<Record<string, string>>): Sandbox {
  // The layout's own /opt stays empty: `optDir` itself is bound read-only at /opt, so a layer of
  // thousands of files is never copied (and its symlinks stay exactly as shipped).
  const empty = makeTemp('compose-empty')
  const layout = makeLayout({ layerDir: empty, fixtures })
  const baselines = new Map<string, Promise<{ argv: readonly string[]; env: Readonly<Record<string, string>> }>>()
  // The host interpreter a wrapper's #! line names (python3, ruby, node) is the only one it may see.
  const keepHost = (wrapper: string): string[] => {
    if (!wrapper.startsWith('/opt/')) return []
    try {
      return shebangInterpreters(readFileSync(join(optDir, wrapper.slice(5)), 'utf8').split('\n', 1)[0] ?? '')
    } catch {
      return []
    }
  }
  const once = (fixture: RuntimeFixture, wrapper: string) => {
    const inst = expandRuntime(fixture, { memory: 1024, commonEnv })
    const env = { ...inst.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper }
    // "-": the bootstrap execs the wrapper itself, so its #! line picks its shell, as on Lambda.
    const l = launch('sandboxed', layout, optDir, layout.lang(fixture), '-', inst.argv, { keepHost: keepHost(wrapper), env })
    return observe({ launch: l, boundary: layout.boundary, env, action: { exit: 0 }, timeoutMs: TIMEOUT_MS })
  }
  return {
    async run(fixture, wrapper) {
      const key = `${fixture.id}:${fixture.mode}`
      let base = baselines.get(key)
      if (!base) baselines.set(key, (base = once(fixture, '').then((o) => ({ argv: o.argv, env: o.env }))))
      const [o, b] = await Promise.all([once(fixture, wrapper), base])
      return { ran: o.ran, argv: o.argv, env: o.env, code: o.code, stderr: o.stderr, baseArgv: b.argv, baseEnv: b.env }
    },
    close: () => {
      layout.remove()
      removeTemp(empty)
    },
  }
}
