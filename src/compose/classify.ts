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
import { sandboxAvailable } from '../sandbox/index.js'
import { handlersOf, launch, makeLayout, observeWithin, ownLines, shebangInterpreters, type Observation, type Start } from '../verify/index.js'
import { overLimit } from '../limits/time-limit.js'

export { sandboxAvailable }

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
  /** Set when the run (or the bare runtime's, for comparison) reached wrapgen's time limit twice: what wrapgen stopped, unjudged. */
  readonly stopped?: string
}

export interface Sandbox {
  /**
   * Runs `wrapper` (an /opt path) as AWS_LAMBDA_EXEC_WRAPPER for the runtime; the result against no
   * wrapper. `chain`: the wrappers `wrapper` execs in turn (the composed wrapper's), whose #! lines
   * count as much as its own. `env`: variables set for this run only, on top of the function's
   * (a value an earlier wrapper of the chain set, to see whether this one keeps it).
   */
  readonly run: (fixture: RuntimeFixture, wrapper: string, chain?: readonly string[], env?: Readonly<Record<string, string>>) => Promise<Observed>
  readonly close: () => void
}

/** The last start of the runtime's interpreter that is not one of `scripts` run by their #! line. */
function interpreterStart(o: Observation, scripts: ReadonlySet<string>): Start | undefined {
  const starts = o.starts.filter((s) => s.role === 'runtime' || (s.role === 'script' && !scripts.has(s.argv[1] ?? '')))
  return starts[starts.length - 1]
}

/**
 * wrapgen's limit on one run, on an idle machine (scaled to this one, and retried once with a longer
 * limit: limits/time-limit.ts). A wrapper still running without having started the interpreter then
 * is not judged: compose says it could not learn what it does.
 */
const RUN_LIMIT_MS = 5000

export function openSandbox(optDir: string, fixtures: readonly RuntimeFixture[], commonEnv: Readonly<Record<string, string>>, functionEnv: Readonly<Record<string, string>> = {}): Sandbox {
  // The layout's own /opt stays empty: `optDir` itself is bound read-only at /opt, so a layer of
  // thousands of files is never copied (and its symlinks stay exactly as shipped). /var/task holds
  // a stand-in for the function's own program at the handler's name: what a runtime replacer (a
  // web adapter) runs as $LAMBDA_TASK_ROOT/$_HANDLER.
  const empty = makeTemp('compose-empty')
  const layout = makeLayout({ layerDir: empty, fixtures, programs: handlersOf({ fixtures, commonEnv, functionEnv }) })
  const baselines = new Map<string, Promise<{ argv: readonly string[]; env: Readonly<Record<string, string>>; stopped: string | undefined }>>()
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
  const once = async (fixture: RuntimeFixture, wrapper: string, chain: readonly string[], extra: Readonly<Record<string, string>> = {}) => {
    const inst = expandRuntime(fixture, { memory: 1024, commonEnv, functionEnv: { ...functionEnv, ...extra } })
    const env = { ...inst.env, AWS_LAMBDA_EXEC_WRAPPER: wrapper }
    const scripts = [wrapper, ...chain].filter(Boolean)
    // "-": the bootstrap execs the wrapper itself, so its #! line picks its shell, as on Lambda.
    const l = launch('sandboxed', layout, optDir, layout.lang(fixture), '-', inst.argv, { keepHost: keepHost(scripts), env })
    const o = await observeWithin({ launch: l, boundary: layout.boundary, env, action: { exit: 0 } }, RUN_LIMIT_MS)
    const start = interpreterStart(o, new Set(scripts))
    // A program started on the stand-in is not run for real: the stand-in's note saying so is not the wrapper's.
    const note = start?.role === 'script' ? `wrapgen verify: no real ${start.argv[0]?.split('/').pop()} here to run ${start.argv[1]}` : undefined
    // A start already recorded decides what the wrapper does, however its run ended.
    const stopped = o.timedOut && start === undefined ? overLimit(wrapper ? `${wrapper} on ${fixture.id}` : `the runtime's own command on ${fixture.id}`, o.limits ?? []) : undefined
    return { ran: start !== undefined, argv: start?.argv ?? [], env: start?.env ?? {}, code: o.code, stderr: ownLines(o.stderr).filter((l) => l !== note).join('\n'), ...(stopped ? { stopped } : {}) }
  }
  return {
    async run(fixture, wrapper, chain = [], env = {}) {
      const key = `${fixture.id}:${fixture.mode}`
      let base = baselines.get(key)
      if (!base) baselines.set(key, (base = once(fixture, '', []).then((o) => ({ argv: o.argv, env: o.env, stopped: o.stopped }))))
      const [o, b] = await Promise.all([once(fixture, wrapper, chain, env), base])
      const stopped = o.stopped ?? b.stopped
      return { ...o, baseArgv: b.argv, baseEnv: b.env, ...(stopped ? { stopped } : {}) }
    },
    close: () => {
      layout.remove()
      removeTemp(empty)
    },
  }
}
