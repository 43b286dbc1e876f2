// What `wrapgen verify --layer` needs from a layer wrapgen compose wrote: the config its wrapper was
// built from (the compose.json beside the layer keeps it; the layer's own copy does not), the runtimes
// the inputs support, and, per chained wrapper, the vendor layer it came from, so that deviations and
// failures name the layer that made them.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { UsageError, UserError } from '../errors.js'
import { LAYER_DIR } from '../plan/types.js'
import { loadCatalogue } from '../runtimes/catalogue.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { rid } from '../verify/case.js'
import { runHarness } from '../verify/harness.js'
import type { Mode } from '../verify/sandbox.js'
import { ALLOWANCES, TIME_LIMIT, type Allowance, type CheckResult } from '../verify/types.js'
import type { ComposeManifest } from './types.js'
import { COMPOSE_FILE, layerManifestText } from './write.js'

export interface ComposedLayer {
  /** The config wrapgen's wrapper was built from, `chain` and `chainAllow` as compose set them. */
  readonly config: ResolvedConfig
  /** The runtimes to verify on: the config's, in the families where compose saw the composed wrapper start the runtime. */
  readonly runtimes: readonly string[]
  /** Families compose checked where the composed wrapper did not start the runtime (a web adapter's node elsewhere). */
  readonly unsupported: readonly string[]
  readonly inputs: readonly string[]
  readonly chain: ReadonlyArray<{ readonly wrapper: string; readonly input: string; readonly allow: readonly Allowance[] }>
}

/** Whether `layerDir` (the folder holding wrapgen/) is a composed layer. */
export const isComposed = (layerDir: string): boolean => existsSync(join(layerDir, LAYER_DIR, COMPOSE_FILE))

/** A runtime id (`dotnet10`) or id and mode (`dotnet10:class-library`), as compose names them. */
const familyOf = (runtime: string): string | undefined => {
  const [id, mode] = runtime.split(':')
  return loadCatalogue().runtimes.find((r) => r.id === id && (mode === undefined || r.mode === mode))?.family
}

/**
 * Reads the compose.json beside `layerDir` (the out folder's, which holds the config with its host
 * paths; the copy in the layer leaves the config out), after checking it belongs to this layer: the
 * same manifest as the layer's wrapgen/compose.json. `shown` names the layer in errors.
 */
export function readComposed(layerDir: string, shown: string): ComposedLayer {
  const inLayer = join(layerDir, LAYER_DIR, COMPOSE_FILE)
  const beside = join(dirname(resolve(layerDir)), COMPOSE_FILE)
  const parse = (file: string, name: string): Partial<ComposeManifest> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Partial<ComposeManifest>
    } catch (e) {
      throw new UserError(`${shown}: ${name} is not readable JSON (${(e as Error).message}); compose the layer again`)
    }
  }
  const shipped = parse(inLayer, `${LAYER_DIR}/${COMPOSE_FILE}`)
  if (shipped.generator !== 'wrapgen compose') throw new UserError(`${shown}: ${LAYER_DIR}/${COMPOSE_FILE} was not written by wrapgen compose; give the config the layer was built from with --config`)
  const noConfig = `${shown}: the config of a composed layer is kept in ${COMPOSE_FILE} beside its layer/ tree (the layer ships none: it would hold the composing machine's paths)`
  if (!existsSync(beside)) throw new UsageError(`${noConfig}, and there is no ${beside}; give the folder wrapgen compose wrote with --out (or its layer/ tree), or compose the layer again`)
  const m = parse(beside, beside)
  if (m.generator !== 'wrapgen compose' || layerManifestText(m as ComposeManifest) !== readFileSync(inLayer, 'utf8')) {
    throw new UserError(`${noConfig}, and ${beside} is not this layer's (it differs from ${LAYER_DIR}/${COMPOSE_FILE}); compose the layer again`)
  }
  const c = m.config
  if (!c || typeof c !== 'object' || typeof c.name !== 'string' || !Array.isArray(c.runtimes) || !Array.isArray(c.chain) || !Array.isArray(m.chain) || !Array.isArray(m.checked) || !Array.isArray(m.inputs)) {
    throw new UserError(`${shown}: ${beside} does not hold the composed config (an older wrapgen compose wrote it); compose the layer again with this wrapgen`)
  }
  const config: ResolvedConfig = { ...c, configFile: undefined }
  const supported = new Set(m.checked.map(familyOf))
  const runtimes = config.runtimes.filter((r) => supported.has(familyOf(r)))
  const unsupported = [...new Set((m.runtimes ?? []).map(familyOf).filter((f): f is string => f !== undefined && !supported.has(f)))]
  const chain = m.chain.map((e) => ({ wrapper: e.wrapper, input: e.input, allow: ((e.allow ?? []) as readonly string[]).filter((a): a is Allowance => (ALLOWANCES as readonly string[]).includes(a)) }))
  return { config, runtimes, unsupported, inputs: m.inputs.map((i) => i.file), chain }
}

/**
 * The harness's chain deviations (`<runtime>: chain: <kind>: <what>[ (accepted in chain[].allow)]`)
 * with the vendor layer whose wrapper makes that change, as compose classified it.
 */
export function attributeDeviations(deviations: readonly string[], composed: ComposedLayer): string[] {
  return deviations.map((d) => {
    const m = /^(.*?: )chain: ([a-z-]+): (.*?)( \(accepted in chain\[\]\.allow\))?$/.exec(d)
    if (!m) return d
    const [, head, kind, what, accepted] = m
    const by = composed.chain.filter((e) => e.allow.includes(kind as Allowance))
    const who = by.length ? `${by.map((e) => `${e.input} (${e.wrapper})`).join(', ')}` : 'a chained vendor wrapper (compose did not see any make this change alone)'
    return `${head}chain: ${kind}: ${who} ${what}${accepted ? ' (accepted: compose classified it so)' : ''}`
  })
}

const shebangOf = (file: string): string => {
  const head = readFileSync(file).subarray(0, 256).toString('utf8')
  return head.startsWith('#!') ? head.split('\n')[0]!.trim() : ''
}

/**
 * Names the vendor layer behind each failed row: every chained wrapper is verified alone (exec'd
 * by its #! line, at its own path in the layer, at one memory size) on the runtimes that failed, and
 * a failed row is attributed to each wrapper that fails the same check there on its own.
 */
export async function blameFailures(rows: readonly CheckResult[], composed: ComposedLayer, h: { layerDir: string; fixtures: readonly RuntimeFixture[]; commonEnv: Readonly<Record<string, string>>; memory: number; mode: Mode }): Promise<CheckResult[]> {
  // A run stopped at wrapgen's time limit is no one's doing.
  const failed = rows.filter((r) => r.status === 'fail' && r.cause !== TIME_LIMIT)
  if (!failed.length || !composed.chain.length) return [...rows]
  const fixtures = h.fixtures.filter((f) => failed.some((r) => r.runtime === rid(f)))
  const alone = new Map<string, string[]>()
  for (const e of composed.chain) {
    const file = join(h.layerDir, e.wrapper.slice(5))
    if (!existsSync(file)) continue
    const { results } = await runHarness({ target: { kind: 'wrapper', layerDir: h.layerDir, wrapper: e.wrapper, shebang: shebangOf(file), allow: e.allow }, fixtures, commonEnv: h.commonEnv, memories: [h.memory], shells: [], exec: true, mode: h.mode })
    for (const r of results.filter((x) => x.status === 'fail')) {
      const key = `${r.runtime}|${r.check}`
      alone.set(key, [...(alone.get(key) ?? []), `${e.input} (${e.wrapper})`])
    }
  }
  // The checks of a wrapper alone that stand for a composed row's: the chain check judges the chained
  // wrappers' argv and environment; the real interpreters see the same exec as the stand-ins.
  const same: Partial<Record<string, readonly string[]>> = { chain: ['argv', 'env'], real: ['exec', 'argv', 'env'] }
  return rows.map((r) => {
    if (r.status !== 'fail' || r.cause === TIME_LIMIT) return r
    const who = [...new Set((same[r.check] ?? [r.check]).flatMap((check) => alone.get(`${r.runtime}|${check}`) ?? []))]
    return who.length ? { ...r, detail: `${r.detail} [made by ${who.join(', ')}: it fails this check on its own too]` } : r
  })
}
