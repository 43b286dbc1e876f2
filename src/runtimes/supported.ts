// Which runtimes a layer supports by default, and which of them its manifest names for Lambda.
import type { Catalogue } from './catalogue.js'
import type { RuntimeFixture } from './types.js'

/**
 * The day this wrapgen version's catalogue was checked against AWS's runtime page. The default
 * `runtimes` are those not deprecated on this day: a fixed date, so the same wrapgen version builds
 * the same layer whatever today's date is. Move it forward with the catalogue, in a release.
 */
export const CATALOGUE_DATE = '2026-11-30'

/** PublishLayerVersion accepts at most this many CompatibleRuntimes. */
export const MAX_COMPATIBLE_RUNTIMES = 15

const wraps = (f: RuntimeFixture): boolean => f.family !== 'none'

/** Runtime ids that run exec wrappers and are not deprecated on `day`, in catalogue order. */
export function supportedRuntimes(catalogue: Catalogue, day = CATALOGUE_DATE): string[] {
  return [...new Set(catalogue.runtimes.filter((f) => wraps(f) && f.deprecation > day).map((f) => f.id))]
}

export interface CompatibleRuntimes {
  /** At most MAX_COMPATIBLE_RUNTIMES ids, in the order the config lists them. */
  readonly kept: readonly string[]
  /** The rest: the layer still works there, Lambda just does not list it as compatible. */
  readonly leftOut: readonly string[]
}

/**
 * The runtimes a layer's CompatibleRuntimes can name. When there are more than 15, the ones AWS
 * supports longest are kept (latest deprecation date first, then the config's order), so the list
 * dropped is the one about to go.
 */
export function compatibleRuntimes(ids: readonly string[], catalogue: Catalogue): CompatibleRuntimes {
  const unique = [...new Set(ids)]
  if (unique.length <= MAX_COMPATIBLE_RUNTIMES) return { kept: unique, leftOut: [] }
  const deprecation = (id: string): string => catalogue.runtimes.find((f) => f.id === id)?.deprecation ?? '0000-00-00'
  const ranked = unique.map((id, i) => ({ id, i })).sort((a, b) => deprecation(b.id).localeCompare(deprecation(a.id)) || a.i - b.i)
  const keep = new Set(ranked.slice(0, MAX_COMPATIBLE_RUNTIMES).map((r) => r.id))
  return { kept: unique.filter((id) => keep.has(id)), leftOut: unique.filter((id) => !keep.has(id)) }
}
