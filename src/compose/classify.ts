// The one door from compose to verify's harness: run an exec wrapper the way a runtime's bootstrap
// does, inside bubblewrap with a given tree at /opt and recording stand-in interpreters under
// /var/lang/bin, and say what reached the interpreter. Vendors' wrappers are untrusted code: they run
// here and nowhere else. Everything else in compose sees only `Sandbox` and `Observed`, so this file
// is all that changes when the harness does.
//
// The harness records every start of a stand-in interpreter with a role. A `runtime` start is the
// runtime's command (or anything else not under /opt). A `script` start is the stand-in asked to run a
// file under /opt: the harness takes that for a wrapper's own #! interpreter, but it is also how a web
// adapter starts its own program on the runtime's interpreter (`exec /var/lang/bin/node
// /opt/adapter/server.js`). For compose only the wrappers it runs are #! scripts; any other such start
// is the runtime's interpreter starting a program of the wrapper's choosing, which is what compose judges.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTemp, removeTemp } from '../cleanup.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { lambdaIdentity, sandboxAvailable } from '../sandbox/index.js'
import { launch, makeLayout, observe, ownLines, shebangInterpreters, type Observation, type Start } from '../verify/index.js'

export { lambdaIdentity, sandboxAvailable }

/** What one run showed: the command and environment the runtime's interpreter received. */
export interface Observed {
  /**
   * The runtime's interpreter started: with the runtime's command, or with a program of the wrapper's
   * own (a web adapter's server); not as a wrapper's #! interpreter, nor for a version probe.
   */
  readonly ran: boolean
  /** Interpreter first, as received (by the last such start). */
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly code: number | null
  /** The wrapper's own stderr lines (the stand-in's line and shells' locale warnings left out). */
  readonly stderr: string
  /** The bare runtime's own command and environment (no wrapper), for comparison. */
  readonly baseArgv: readonly string[]
  readonly baseEnv: Readonly<Record<string, string>>
}

export interface Sandbox {
  /**
   * Runs `wrapper` (an /opt path) as AWS_LAMBDA_EXEC_WRAPPER for the runtime; the result against no
   * wrapper. `chain`: the wrappers `wrapper` execs in turn (the composed wrapper's), whose #! lines
   * count as much as its own.
   */
  readonly run: (fixture: RuntimeFixture, wrapper: string, chain?: readonly string[]) => Promise<Observed>
  readonly close: () => void
}

/** The last start of the runtime's interpreter that is not one of `scripts` run by their #! line. */
function interpreterStart(o: Observation, scripts: ReadonlySet<string>): Start | undefined {
  const starts = o.starts.filter((s) => s.role === 'runtime' || (s.role === 'script' && !scripts.has(s.argv[1] ?? '')))
  return starts[starts.length - 1]
}

/** A wrapper that never execs the interpreter (a web adapter's server waiting for requests) is stopped after this. */
const TIMEOUT_MS = 5000

export function openSandbox(optDir: string, fixtures: readonly RuntimeFixture[], commonEnv: Readonly<Record<string, string>>): Sandbox {
  // The layout's own /opt stays empty: `optDir` itself is bound read-only at /opt, so a layer of
  // thousands of files is never copied (and its symlinks stay exactly as shipped).
  const empty = makeTemp('compose-empty')
  const layout = makeLayout({ layerDir: empty, fixtures })
  const baselines = new Map<string, Promise<{ argv: readonly string[]; env: Readonly<Record<string, string>> }>>()
  // The host interpreters the wrappers' #! lines name (python3, ruby, node) are the only ones they may see.
  const keepHost = (wrappers: readonly string[]): string[] => {
    const kept = wrappers.flatMap((wrapper) => {
      if (!wrapper.startsWith('/opt/')) return []
      try {
        return shebangInterpreters(readFileSync(join(optDir, wrapper.slice(5)), 'utf8').split('\n', 1)[0] ?? '')
      } catch {
        return []
      }
    })
    return [...new Set(kept)].sort()
  }
  const once = async (fixture: RuntimeFixture, wrapper: string, chain: readonly string[]) => {
    const inst = expandRuntime(fixture, { memory: 1024, commonEnv })
    const env = { ...inst.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper }
    const scripts = [wrapper, ...chain].filter(Boolean)
    // "-": the bootstrap execs the wrapper itself, so its #! line picks its shell, as on Lambda.
    const l = launch('sandboxed', layout, optDir, layout.lang(fixture), '-', inst.argv, { keepHost: keepHost(scripts), env })
    const o = await observe({ launch: l, boundary: layout.boundary, env, action: { exit: 0 }, timeoutMs: TIMEOUT_MS })
    const start = interpreterStart(o, new Set(scripts))
    // A program started on the stand-in is not run for real: the stand-in's note saying so is not the wrapper's.
    const note = start?.role === 'script' ? `${start.argv[0]?.split('/').pop()}: cannot run ${start.argv[1]} here` : undefined
    return { ran: start !== undefined, argv: start?.argv ?? [], env: start?.env ?? {}, code: o.code, stderr: ownLines(o.stderr).filter((l) => l !== note).join('\n') }
  }
  return {
    async run(fixture, wrapper, chain = []) {
      const key = `${fixture.id}:${fixture.mode}`
      let base = baselines.get(key)
      if (!base) baselines.set(key, (base = once(fixture, '', []).then((o) => ({ argv: o.argv, env: o.env }))))
      const [o, b] = await Promise.all([once(fixture, wrapper, chain), base])
      return { ...o, baseArgv: b.argv, baseEnv: b.env }
    },
    close: () => {
      layout.remove()
      removeTemp(empty)
    },
  }
}
