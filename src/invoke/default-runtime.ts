// The runtime `wrapgen invoke` runs when --runtime is not given: the first runtime the layer is for
// (the config's `runtimes`, or a built layer's manifest) that invoke can run, so a layer built for
// python3.12 and nodejs24.x is never run as nodejs20.x. Java has no default handler, so it is chosen
// for a `Class::method` handler (and then only java), or when the layer is for nothing else invoke
// runs (the run then asks for --handler). Pure: the caller reads the config or the manifest.
import { UserError } from '../errors.js'
import { invokeRuntimes } from './env.js'

/** When nothing names the runtimes (--no-layer, an unreadable manifest): Node 20, the oldest wrapgen runs on. */
export const FALLBACK_RUNTIME = 'nodejs20.x'

export interface DefaultRuntime {
  readonly id: string
  /** Why this one, for the line invoke prints. */
  readonly why: string
}

/** A handler only Java's client takes (`example.Handler::handleRequest`). */
const javaHandler = (handler: string | undefined): boolean => handler !== undefined && handler.includes('::')

/**
 * `runtimes` as the config or manifest lists them; `from` names that list ("the config's runtimes");
 * `handler` is --handler when given.
 */
export function defaultRuntime(runtimes: readonly string[] | undefined, from: string, handler?: string): DefaultRuntime {
  if (runtimes === undefined) return { id: FALLBACK_RUNTIME, why: 'the default without a layer\'s runtimes to go by' }
  const runnable = invokeRuntimes()
  const family = new Map(runnable.map((r) => [r.id, r.family]))
  const candidates = runtimes.filter((r) => family.has(r))
  const java = candidates.filter((r) => family.get(r) === 'java')
  if (javaHandler(handler)) {
    if (java[0] !== undefined) return { id: java[0], why: `the first java runtime of ${from}, for a Class::method handler` }
    throw new UserError(`--handler ${handler}: a Class::method handler runs on java, and ${from} (${runtimes.join(', ')}) name no java runtime invoke runs: give --runtime (${runnable.filter((r) => r.family === 'java').map((r) => r.id).join(', ')})`)
  }
  const other = candidates.find((r) => family.get(r) !== 'java')
  if (other !== undefined) return { id: other, why: `the first of ${from} that invoke runs${java.length > 0 && candidates.indexOf(java[0]!) < candidates.indexOf(other) ? '; java runs with a Class::method --handler' : ''}` }
  if (java[0] !== undefined) return { id: java[0], why: `the first of ${from} that invoke runs` }
  throw new UserError(`${from} (${runtimes.join(', ')}) name no runtime invoke runs (AWS's runtime clients for node, python and java17+): give --runtime (${runnable.map((r) => r.id).join(', ')}, or provided.al2023 for a custom runtime)`)
}
