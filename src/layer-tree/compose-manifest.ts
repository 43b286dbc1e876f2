// The manifest of a layer wrapgen compose wrote (compose.json: in the layer without the config, beside
// it with), and how `wrapgen verify --layer` reads it back: the config its wrapper was built from, the
// runtimes the inputs support, and, per chained wrapper, the vendor layer it came from. Written by
// compose, read by verify: so it lives here, below both.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ALLOWANCES, type Allowance } from '../config/allowances.js'
import type { ResolvedConfig } from '../config/types.js'
import { UsageError, UserError } from '../errors.js'
import { LAYER_DIR } from '../plan/types.js'
import { loadCatalogue } from '../runtimes/catalogue.js'
import type { Conflict } from './types.js'

export const COMPOSE_FILE = 'compose.json'

/** The resolved config as stored in compose.json (JSON has no `undefined`: `configFile` is left out). */
export type ComposedConfig = Omit<ResolvedConfig, 'configFile'>

/** What a vendor's wrapper does with the runtime's command: passes it on, or runs a program of its own. */
export type WrapperKind = 'passes' | 'replaces'

export interface ComposeManifest {
  readonly generator: 'wrapgen compose'
  readonly wrapgenVersion: string
  readonly wrapper: string
  /** The id of wrapgen's wrapper (its config with `chain` set to the chain below), as in manifest.json. */
  readonly id: string
  readonly inputs: ReadonlyArray<{
    readonly file: string
    readonly format: 'zip' | 'folder'
    readonly size: number
    readonly sha256: string
    readonly wrapper: string | null
    readonly kind: WrapperKind | null
  }>
  /**
   * The vendor wrappers in the order wrapgen's wrapper runs them, each with the deliberate changes
   * compose saw it make alone (what `wrapgen verify` then accepts from it, as `chain[].allow`).
   */
  readonly chain: ReadonlyArray<{ readonly wrapper: string; readonly input: string; readonly kind: WrapperKind; readonly allow: readonly Allowance[] }>
  /** The runtime compose checked each family on, and those where the composed wrapper started the runtime's interpreter. */
  readonly runtimes: readonly string[]
  readonly checked: readonly string[]
  /** The function's own variables compose ran the wrappers with (--env); `wrapgen verify --layer` uses them too. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * The config wrapgen's wrapper was built from (`chain` and `chainAllow` set by compose; `configFile`
   * left out), so `wrapgen verify --layer` can check the composed layer without a config. Its paths
   * (`root`, preloads, hooks, extensions) are the composing machine's, so it is only in the copy
   * beside the layer (OUT/compose.json), never in the layer (see `LayerComposeManifest`).
   */
  readonly config: ComposedConfig
  readonly conflicts: ReadonlyArray<{ readonly path: string; readonly inputs: readonly string[]; readonly winner: string; readonly differs: Conflict['differs']; readonly breaks: ReadonlyArray<{ readonly input: string; readonly reason: string }> }>
  readonly attribution: ReadonlyArray<{ readonly runtime: string; readonly input: string; readonly variable: string; readonly value: string | null; readonly arrived: boolean; readonly note?: string; readonly deferred?: true }>
}

/**
 * The copy shipped in the layer (/opt/wrapgen/compose.json): everything but `config`, whose host paths
 * would make the layer differ between checkouts (the same inputs must give a byte-identical layer).
 */
export type LayerComposeManifest = Omit<ComposeManifest, 'config'>

/** The text of the in-layer copy of `m`: what is shipped, and what verify compares the copy beside the layer with. */
export function layerManifestText(m: LayerComposeManifest & { readonly config?: unknown }): string {
  const { config: _config, ...shipped } = m
  return `${JSON.stringify(shipped, null, 2)}\n`
}

export interface ComposedLayer {
  /** The config wrapgen's wrapper was built from, `chain` and `chainAllow` as compose set them. */
  readonly config: ResolvedConfig
  /** The runtimes to verify on: the config's, in the families where compose saw the composed wrapper start the runtime. */
  readonly runtimes: readonly string[]
  /** Families compose checked where the composed wrapper did not start the runtime (a web adapter's node elsewhere). */
  readonly unsupported: readonly string[]
  readonly inputs: readonly string[]
  readonly chain: ReadonlyArray<{ readonly wrapper: string; readonly input: string; readonly allow: readonly Allowance[] }>
  /** The function's variables compose ran with (--env), used unless verify gets its own --env. */
  readonly env?: Readonly<Record<string, string>>
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
  const wrong = shapeProblem(m, MANIFEST_SHAPE, 'compose.json') ?? shapeProblem(c, CONFIG_SHAPE, 'config')
  if (wrong) throw new UserError(`${beside}: ${wrong}, which wrapgen compose never writes; compose the layer again`)
  const config: ResolvedConfig = { ...c, configFile: undefined }
  const supported = new Set(m.checked.map(familyOf))
  const runtimes = config.runtimes.filter((r) => supported.has(familyOf(r)))
  const unsupported = [...new Set((m.runtimes ?? []).map(familyOf).filter((f): f is string => f !== undefined && !supported.has(f)))]
  const chain = m.chain.map((e) => ({ wrapper: e.wrapper, input: e.input, allow: ((e.allow ?? []) as readonly string[]).filter((a): a is Allowance => (ALLOWANCES as readonly string[]).includes(a)) }))
  const env = m.env && typeof m.env === 'object' ? Object.fromEntries(Object.entries(m.env).filter(([, v]) => typeof v === 'string')) : undefined
  return { config, runtimes, unsupported, inputs: m.inputs.map((i) => i.file), chain, ...(env && Object.keys(env).length ? { env } : {}) }
}

/** What a value must be: a JSON type, a list or map of strings, a list of objects of a shape, or an object of a shape (keys ending in `?` optional). */
type Shape = 'string' | 'boolean' | 'number' | 'object' | 'strings' | 'record' | { readonly list: Shape } | { readonly [key: string]: Shape }

const EDITS: Shape = { set: 'record', default: 'record', prepend: 'record', append: 'record', unset: 'strings' }
const PRELOAD: Shape = { name: 'string', import: 'string', options: 'object', critical: 'boolean', budgetMs: 'number' }
const HOOK: Shape = { name: 'string', 'file?': 'string', package: 'boolean', options: 'object', critical: 'boolean' }
const RUNTIME = { flags: 'strings', env: EDITS } as const
/** The resolved config as compose stores it: every field verify reads, so a hand-edited compose.json fails here, with its key. */
const CONFIG_SHAPE: Shape = {
  name: 'string', failMode: 'string', runtimes: 'strings', env: EDITS,
  node: { ...RUNTIME, preloads: { list: PRELOAD }, imports: { list: PRELOAD }, inject: 'string', external: 'strings', mainFields: 'strings', 'codeCache?': 'object' },
  python: { ...RUNTIME, preloads: { list: HOOK } },
  java: { ...RUNTIME, agents: { list: HOOK }, inject: 'string' },
  dotnet: { ...RUNTIME, startupHooks: { list: HOOK } },
  ruby: { ...RUNTIME, preloads: { list: HOOK } },
  chain: 'strings',
  extensions: { list: { name: 'string', kind: 'string', source: 'string', files: { list: { path: 'string', source: 'string' } } } },
  customRuntime: { bootstrap: 'boolean', command: 'string' },
  'chainAllow?': 'object',
  root: 'string',
}

/** The parts of compose.json verify reads besides the config. */
const MANIFEST_SHAPE: Shape = {
  chain: { list: { wrapper: 'string', input: 'string', 'allow?': 'strings' } },
  inputs: { list: { file: 'string' } },
  checked: 'strings',
  'runtimes?': 'strings',
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : JSON.stringify(v))

/** Why `v` (at `path`) is not of `shape`, or undefined. */
function shapeProblem(v: unknown, shape: Shape, path: string): string | undefined {
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
  if (shape === 'strings') return Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : `${path} is ${kindOf(v)}, not a list of strings`
  if (shape === 'record') return isObject(v) && Object.values(v).every((x) => typeof x === 'string') ? undefined : `${path} is ${kindOf(v)}, not an object of strings`
  if (shape === 'object') return isObject(v) ? undefined : `${path} is ${kindOf(v)}, not an object`
  if (typeof shape === 'string') return typeof v === shape ? undefined : `${path} is ${kindOf(v)}, not a ${shape}`
  if ('list' in shape) {
    const item = shape.list as Shape
    if (!Array.isArray(v)) return `${path} is ${kindOf(v)}, not a list`
    for (const [i, x] of v.entries()) {
      const p = shapeProblem(x, item, `${path}[${i}]`)
      if (p) return p
    }
    return undefined
  }
  if (!isObject(v)) return `${path} is ${kindOf(v)}, not an object`
  for (const [key, sub] of Object.entries(shape as Record<string, Shape>)) {
    const optional = key.endsWith('?')
    const k = optional ? key.slice(0, -1) : key
    if (optional && v[k] === undefined) continue
    const p = shapeProblem(v[k], sub, `${path}.${k}`)
    if (p) return p
  }
  return undefined
}
