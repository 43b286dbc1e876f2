// wrapgen's time limits on the processes it waits for (a wrapper under verify, a vendor's wrapper in
// compose, a real interpreter, a hook probe). A limit is wrapgen's own, never a verdict on what it
// stopped: each is scaled by the machine's measured slowdown (machine-speed.ts), a run that reaches it
// is run once more with a longer one, and one that reaches that too is reported as stopped at wrapgen's
// limit, not as the way it ended.
import { machineSlowdown } from './machine-speed.js'

/** The second try gets this many times the first one's limit. */
export const RETRY_FACTOR = 3

export interface TimeLimit {
  /** The factor the base limit was scaled by. */
  readonly scale: number
  /** The first try's limit and the retry's, in ms. */
  readonly firstMs: number
  readonly retryMs: number
}

/** `baseMs` (a limit right for an idle machine) as it applies on this machine. */
export function timeLimit(baseMs: number): TimeLimit {
  const scale = machineSlowdown()
  const firstMs = Math.round(baseMs * scale)
  return { scale, firstMs, retryMs: firstMs * RETRY_FACTOR }
}

/** A base wait (ms) scaled to this machine, for waits that are not retried (a grace period, a lock). */
export const scaled = (baseMs: number): number => timeLimit(baseMs).firstMs

export interface Limited<T> {
  readonly result: T
  /** The limit of each try, in ms: one entry, or two when the first try reached its limit. */
  readonly tries: readonly number[]
  /** The last try reached its limit too: the result says nothing of how the process would have ended. */
  readonly timedOut: boolean
}

/** Runs `attempt` with the first limit, and once more with the longer one if it reached it. */
export async function retryOnTimeout<T>(baseMs: number, attempt: (limitMs: number) => Promise<T>, timedOut: (r: T) => boolean): Promise<Limited<T>> {
  const limit = timeLimit(baseMs)
  const first = await attempt(limit.firstMs)
  if (!timedOut(first)) return { result: first, tries: [limit.firstMs], timedOut: false }
  const second = await attempt(limit.retryMs)
  return { result: second, tries: [limit.firstMs, limit.retryMs], timedOut: timedOut(second) }
}

/** The same, for a synchronous attempt (spawnSync). */
export function retryOnTimeoutSync<T>(baseMs: number, attempt: (limitMs: number) => T, timedOut: (r: T) => boolean): Limited<T> {
  const limit = timeLimit(baseMs)
  const first = attempt(limit.firstMs)
  if (!timedOut(first)) return { result: first, tries: [limit.firstMs], timedOut: false }
  const second = attempt(limit.retryMs)
  return { result: second, tries: [limit.firstMs, limit.retryMs], timedOut: timedOut(second) }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** What to say of a run that reached wrapgen's limit on every try. */
export function overLimit(what: string, tries: readonly number[]): string {
  const how = tries.length > 1 ? `${seconds(tries[0]!)}, nor in ${seconds(tries[1]!)} on a retry` : seconds(tries[0]!)
  return `${what} did not finish within wrapgen's time limit (${how}; limits are scaled x${machineSlowdown()} to this machine's measured speed), so wrapgen stopped it: this is wrapgen's limit, not how it would have ended`
}
