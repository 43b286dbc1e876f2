// The runtime `wrapgen invoke` runs when --runtime is not given: the first node runtime the layer is
// for (the config's `runtimes`, or a built layer's manifest), so a layer built for nodejs22.x and
// nodejs24.x is never run as nodejs20.x. Pure: the caller reads the config or the manifest.
import { UserError } from '../errors.js'
import { nodeRuntimes } from './env.js'

/** When nothing names the runtimes (--no-layer, an unreadable manifest): Node 20, the oldest wrapgen runs on. */
export const FALLBACK_RUNTIME = 'nodejs20.x'

export interface DefaultRuntime {
  readonly id: string
  /** Why this one, for the line invoke prints. */
  readonly why: string
}

/** `runtimes` as the config or manifest lists them; `from` names that list ("the config's runtimes"). */
export function defaultRuntime(runtimes: readonly string[] | undefined, from: string): DefaultRuntime {
  if (runtimes === undefined) return { id: FALLBACK_RUNTIME, why: `the default without a layer's runtimes to go by` }
  const node = new Set(nodeRuntimes().map((r) => r.id))
  const id = runtimes.find((r) => node.has(r))
  if (id) return { id, why: `the first node runtime of ${from}` }
  throw new UserError(`${from} (${runtimes.join(', ')}) name no node runtime, and invoke runs AWS's Node runtime client: give --runtime (${[...node].join(', ')}, or provided.al2023 for a custom runtime)`)
}
