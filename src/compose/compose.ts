// `compose` as an API: read the vendors' layers in Lambda's order, merge them as Lambda would (and
// report every conflict), run each vendor's wrapper in the sandbox to learn what it does, order the
// chain, build wrapgen's own wrapper chaining them at their own /opt paths, run the composed wrapper
// to see every vendor's effect arrive, and produce the composed layer with its manifest.
import { basename, resolve, sep } from 'node:path'
import { buildLayer, type BuildResult } from '../build.js'
import { makeTemp, removeTemp } from '../cleanup.js'
import { FAMILIES, type Family, type ResolvedConfig } from '../config/types.js'
import { UserError } from '../errors.js'
import { LAYER_DIR, MANIFEST_FILE, WRAPPER_FILE } from '../plan/types.js'
import { loadCatalogue } from '../runtimes/catalogue.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { version } from '../version.js'
import { openSandbox, sandboxAvailable, type Observed, type Sandbox } from './classify.js'
import { findWrapper } from './detect.js'
import { attribute, chainOrder, classify, effectsOf } from './effects.js'
import type { Allowance } from '../config/allowances.js'
import { COMPOSE_FILE, layerManifestText, type ComposeManifest } from '../layer-tree/compose-manifest.js'
import { mergeLayers } from '../layer-tree/merge.js'
import { readLayer, sha256 } from '../layer-tree/read.js'
import type { Conflict, TreeEntry } from '../layer-tree/types.js'
import { assertPlainParents, writeTree, zipTree } from '../layer-tree/write.js'
import { ownEntries } from './own-files.js'
import type { Attribution, Classified, InputLayer } from './types.js'
import type { ComposeOutput } from './write.js'

export interface LayerArg {
  readonly path: string
  /** `/opt/...` to name its wrapper, `none` for a layer without one; undefined: detect it. */
  readonly wrapper?: string | undefined
}

export interface ComposeOptions {
  /** In the order the function lists them (Lambda applies them in that order; the last wins a path). */
  readonly layers: readonly LayerArg[]
  /** wrapgen's own part of the composed wrapper; its `chain` must be empty (compose sets it). */
  readonly config: ResolvedConfig
  /** Write the layer even when a conflict breaks a layer. */
  readonly allowConflicts?: boolean
  /** The function's own variables (--env), on top of what Lambda sets: exercises wrappers' branches. */
  readonly env?: Readonly<Record<string, string>>
}

export interface ComposeResult {
  readonly inputs: readonly InputLayer[]
  readonly conflicts: readonly Conflict[]
  readonly classified: readonly Classified[]
  /** The vendor wrappers in the order wrapgen's wrapper runs them. */
  readonly chain: readonly Classified[]
  readonly attribution: readonly Attribution[]
  /** The runtime each family was checked on. */
  readonly runtimes: readonly string[]
  /** Those of `runtimes` where the composed wrapper started the runtime's interpreter, so its edits could be checked. */
  readonly checked: readonly string[]
  readonly warnings: readonly string[]
  readonly build: BuildResult
  readonly manifest: ComposeManifest
  readonly output: ComposeOutput
}

const fileEntry = (mode: number, data: Uint8Array): TreeEntry => ({ kind: 'file', mode, data, sha256: sha256(data) })
const rid = (f: RuntimeFixture): string => (f.mode === 'default' ? f.id : `${f.id}:${f.mode}`)

/** One runtime per family the config supports: the newest (a vendor's wrapper is judged as it runs today). */
function representatives(config: ResolvedConfig): RuntimeFixture[] {
  const all = loadCatalogue().runtimes.filter((r) => r.family !== 'none' && config.runtimes.includes(r.id))
  const byFamily = new Map<Family | 'none', RuntimeFixture>()
  for (const r of all) {
    const had = byFamily.get(r.family)
    if (!had || r.id.localeCompare(had.id, 'en', { numeric: true }) > 0) byFamily.set(r.family, r)
  }
  return FAMILIES.flatMap((f) => (byFamily.has(f) ? [byFamily.get(f)!] : []))
}

export async function compose(opts: ComposeOptions): Promise<ComposeResult> {
  if (!opts.layers.length) throw new UserError('compose needs at least one layer')
  if (opts.config.chain.length) throw new UserError(`${opts.config.configFile ?? 'the config'}: chain: compose sets the chain from the layers' wrappers; remove chain from the config`)
  if (!sandboxAvailable()) throw new UserError("compose runs each vendor's wrapper to learn what it does, and runs code it did not write only inside bubblewrap, which is not installed or cannot make namespaces here; install bubblewrap (bwrap)")
  const inputs = await readInputs(opts.layers)
  const names = inputs.map((l) => l.name)
  const name = (i: number): string => (names.filter((n) => n === names[i]).length > 1 ? `${names[i]} (#${i + 1})` : names[i]!)
  const merged = mergeLayers(inputs)
  const fixtures = representatives(opts.config)
  const temp = makeTemp('compose')
  // One sandbox for both rounds, over one tree: the merged layers, and then wrapgen's files added
  // (no input may ship /opt/wrapgen). The tree is bound at /opt, never copied.
  const opt = `${temp}/opt`
  let box: Sandbox | undefined
  try {
    writeTree(merged.tree, opt)
    const sandbox = (box = openSandbox(opt, fixtures, loadCatalogue().commonEnv, opts.env))
    // 1. Each vendor's wrapper alone, at its own path in the merged /opt.
    const classified = await classifyAll(sandbox, inputs, fixtures, name)
    const chain = chainOrder(classified, name)
    const conflicts = merged.conflicts.map((c) => withEffectBreaks(c, classified))
    const breaking = conflicts.filter((c) => c.breaks.length)
    if (breaking.length && !opts.allowConflicts) {
      throw new UserError(`${breaking.length} path conflict(s) break a layer: the later layer's file replaces the earlier one's, which that layer still needs`, {
        details: [...breaking.flatMap((c) => c.breaks.map((b) => `/opt/${c.path}: ${name(c.winner)} wins over ${name(b.layer)}, which breaks: ${b.reason}`)), 'change the order of the layers, drop one, or pass --allow-conflicts to write the layer anyway'],
      })
    }
    // 2. wrapgen's wrapper, chaining each vendor's at its own path, accepting from each the deliberate
    // changes it made alone (what `wrapgen verify` judges it by).
    const allow = new Map(chain.map((c) => [c.wrapper, allowanceOf(c)]))
    const chainAllow = Object.fromEntries([...allow].filter(([, a]) => a.length))
    const composedConfig: ResolvedConfig = { ...opts.config, chain: chain.map((c) => c.wrapper), ...(Object.keys(chainAllow).length ? { chainAllow } : {}) }
    const build = await buildLayer(composedConfig)
    // Every folder of wrapgen's files too: runners (wrapgen/python/, wrapgen/imports/, ...), extensions/.
    const own = ownEntries(build.files, merged.tree, name)
    writeTree(own, opt)
    // 3. The composed wrapper once per runtime: the runtime starts, every vendor's effect arrives.
    const composed: Record<string, Observed> = {}
    const runs = await Promise.all(fixtures.map((f) => sandbox.run(f, `/opt/${LAYER_DIR}/${WRAPPER_FILE}`, chain.map((c) => c.wrapper))))
    for (const [i, f] of fixtures.entries()) composed[rid(f)] = runs[i]!
    const replacer = chain.find((c) => c.kind === 'replaces')
    checkComposed(composed, replacer !== undefined, chain, name)
    const attribution = await deferrals(sandbox, attribute(classified, composed, chain), classified, composed, fixtures)
    const warnings = warningsFor({ composed, replacer, attribution, conflicts, nodeFlags: build.plan.families.node.flags.length > 0, name })
    // 4. The manifest, inside the layer and beside it; the zip.
    const checked = fixtures.map(rid).filter((rt) => composed[rt]?.ran)
    const { configFile: _file, ...storedConfig } = composedConfig
    const manifest: ComposeManifest = {
      generator: 'wrapgen compose',
      wrapgenVersion: version(),
      wrapper: `/opt/${LAYER_DIR}/${WRAPPER_FILE}`,
      id: build.plan.id,
      inputs: inputs.map((l, i) => ({ file: basename(l.source), format: l.format, size: l.size, sha256: l.sha256, wrapper: l.wrapper ?? null, kind: classified.find((c) => c.layer === i)?.kind ?? null })),
      chain: chain.map((c) => ({ wrapper: c.wrapper, input: name(c.layer), kind: c.kind, allow: allow.get(c.wrapper) ?? [] })),
      conflicts: conflicts.map((c) => ({ path: `/opt/${c.path}`, inputs: c.layers.map(name), winner: name(c.winner), differs: c.differs, breaks: c.breaks.map((b) => ({ input: name(b.layer), reason: b.reason })) })),
      attribution: attribution.map((a) => ({ runtime: a.runtime, input: name(a.layer), variable: a.variable, value: a.value, arrived: a.arrived, ...(a.note ? { note: a.note } : {}), ...(a.deferred ? { deferred: a.deferred } : {}) })),
      runtimes: fixtures.map(rid),
      checked,
      ...(opts.env && Object.keys(opts.env).length ? { env: opts.env } : {}),
      config: storedConfig,
    }
    // Beside the layer, with the config (host paths: never shipped); in the layer, without it.
    const composeJson = `${JSON.stringify(manifest, null, 2)}\n`
    const tree = new Map<string, TreeEntry>([...merged.tree, ...own, [`${LAYER_DIR}/${COMPOSE_FILE}`, fileEntry(0o644, new TextEncoder().encode(layerManifestText(manifest)))]])
    const zip = await zipTree(tree, `${build.plan.id} composed from ${inputs.map((l) => l.name).join(', ')} (wrapgen ${version()})`)
    const buildManifest = build.files.find((f) => f.path === `${LAYER_DIR}/${MANIFEST_FILE}`)!
    const output: ComposeOutput = { tree, zip, manifest: new TextDecoder().decode(buildManifest.contents), compose: composeJson }
    return { inputs, conflicts, classified, chain, attribution, runtimes: fixtures.map(rid), checked, warnings, build, manifest, output }
  } finally {
    box?.close()
    removeTemp(temp)
  }
}

async function readInputs(layers: readonly LayerArg[]): Promise<InputLayer[]> {
  const inputs: InputLayer[] = []
  for (const arg of layers) {
    const read = await readLayer(arg.path)
    const { wrapper, from } = findWrapper(read.tree, arg.path, arg.wrapper)
    const ours = [...read.tree].filter(([p]) => p === LAYER_DIR || p.startsWith(`${LAYER_DIR}/`))
    const own = (ours.find(([, e]) => e.kind !== 'dir') ?? ours[0])?.[0]
    if (own) throw new UserError(`${arg.path}: ships /opt/${own}, where the composed layer's own files go; if it is a wrapgen layer, compose its config with --config instead`)
    assertPlainParents(read.tree, arg.path)
    inputs.push({ source: arg.path, name: read.name, format: read.format, size: read.size, sha256: read.sha256, tree: read.tree, wrapper, wrapperFrom: from })
  }
  return inputs
}

/**
 * Runs each vendor's wrapper on every runtime. Two layers with a wrapper at one path (two versions of
 * one vendor's layer): only the file that won is there, and it is judged (and chained) once; the
 * loser's loss is a breaking conflict, refused unless allowed.
 */
async function classifyAll(box: Sandbox, inputs: readonly InputLayer[], fixtures: readonly RuntimeFixture[], name: (i: number) => string): Promise<Classified[]> {
  const wrappers = inputs.flatMap((l, i) => (l.wrapper && !inputs.slice(i + 1).some((later) => later.wrapper === l.wrapper) ? [{ i, w: l.wrapper }] : []))
  const runs = await Promise.all(wrappers.map(async ({ i, w }) => ({ i, w, observed: await Promise.all(fixtures.map((f) => box.run(f, w))) })))
  // A run wrapgen had to stop before the interpreter started says nothing of what the wrapper does.
  const stopped = runs.flatMap(({ i, observed }) => observed.flatMap((o) => (o.stopped ? [`${name(i)}: ${o.stopped}`] : [])))
  if (stopped.length) throw new UserError("compose could not learn what a vendor's wrapper does: its runs were stopped at wrapgen's time limit before the runtime's interpreter started", { details: [...new Set(stopped), STOPPED_HINT] })
  return runs.map(({ i, w, observed }) => classify(i, w, Object.fromEntries(fixtures.map((f, k) => [rid(f), effectsOf(observed[k]!)]))))
}

const STOPPED_HINT = 'a wrapper that waits for something the sandbox does not have (the network, a server) never gets that far; if the machine is very busy, run again, or set WRAPGEN_TIME_SCALE to a larger factor'

/**
 * The deliberate changes a vendor's wrapper made alone, as verify's allowances: running a program of
 * its own (the replacer, last), rewriting the handler, pointing the Runtime API at a proxy.
 */
export function allowanceOf(c: Classified): Allowance[] {
  const changed = new Set(Object.values(c.byRuntime).flatMap((e) => Object.keys(e.env)))
  return [...(changed.has('_HANDLER') ? ['handler' as const] : []), ...(changed.has('AWS_LAMBDA_RUNTIME_API') ? ['runtime-api' as const] : []), ...(c.kind === 'replaces' ? ['replace-runtime' as const] : [])]
}

/**
 * Edits that did not arrive because the wrapper leaves a variable that is already set (a default:
 * `${OTEL_PROPAGATORS:-...}`), and a wrapper before it (or wrapgen's config) had set it: each such
 * wrapper is run alone again with the values that arrived, and an edit it then does not make is
 * `deferred` (not lost: the earlier value is the one meant to win), with a note saying so.
 */
async function deferrals(box: Sandbox, rows: readonly Attribution[], classified: readonly Classified[], composed: Readonly<Record<string, Observed>>, fixtures: readonly RuntimeFixture[]): Promise<Attribution[]> {
  const out = [...rows]
  const groups = new Map<string, number[]>()
  rows.forEach((a, i) => {
    if (!a.arrived && a.value !== null && composed[a.runtime]?.env[a.variable] !== undefined) groups.set(`${a.layer}\0${a.runtime}`, [...(groups.get(`${a.layer}\0${a.runtime}`) ?? []), i])
  })
  await Promise.all([...groups].map(async ([key, idx]) => {
    const [layer, rt] = key.split('\0') as [string, string]
    const c = classified.find((x) => x.layer === Number(layer))
    const f = fixtures.find((x) => rid(x) === rt)
    if (!c || !f) return
    const final = composed[rt]!.env
    const preset = Object.fromEntries(idx.map((i) => [rows[i]!.variable, final[rows[i]!.variable]!]))
    const again = await box.run(f, c.wrapper, [], preset)
    if (!again.ran) return
    for (const i of idx) {
      const v = rows[i]!.variable
      if (again.env[v] === preset[v]) out[i] = { ...rows[i]!, deferred: true, note: `not made in the chain: it sets ${v} only when unset, and it was set before it ran; the value that arrived is the earlier one` }
    }
  }))
  return out
}

/** Without a runtime replacer, the composed wrapper must start the runtime with its whole command. */
function checkComposed(composed: Readonly<Record<string, Observed>>, replaced: boolean, chain: readonly Classified[], name: (i: number) => string): void {
  const stopped = Object.values(composed).flatMap((o) => (o.stopped ? [o.stopped] : []))
  if (stopped.length) throw new UserError("compose could not check the composed wrapper: its runs were stopped at wrapgen's time limit before the runtime's interpreter started", { details: [...stopped, STOPPED_HINT] })
  if (replaced) return
  const problems: string[] = []
  for (const [rt, o] of Object.entries(composed)) {
    const e = effectsOf(o)
    if (!e.ran) problems.push(`on ${rt} the composed wrapper did not start the runtime (exit ${e.exitCode ?? 'none: ended by a signal'}${e.stderr ? `: ${e.stderr}` : ''})`)
    else if (!e.keptArgs) problems.push(`on ${rt} the composed wrapper lost part of the runtime's command (the interpreter got ${JSON.stringify(o.argv)})`)
  }
  if (problems.length) throw new UserError('the composed wrapper does not work: the wrappers, each fine alone, break each other in a chain', { details: [...problems, `chain: ${chain.map((c) => `${c.wrapper} (${name(c.layer)})`).join(' -> ')}`] })
}

function warningsFor(w: {
  composed: Readonly<Record<string, Observed>>
  replacer: Classified | undefined
  attribution: readonly Attribution[]
  conflicts: readonly Conflict[]
  nodeFlags: boolean
  name: (i: number) => string
}): string[] {
  const { replacer, name } = w
  const out: string[] = []
  const unseen = Object.entries(w.composed).filter(([, o]) => !o.ran).map(([rt]) => rt)
  if (replacer && unseen.length) out.push(`${name(replacer.layer)}: the program ${replacer.wrapper} starts did not start the runtime's interpreter on ${unseen.join(', ')}, so the other vendors' environment edits could not be checked there`)
  for (const a of w.attribution.filter((x) => !x.arrived && !x.deferred)) {
    const why = a.by?.length ? `${a.by.map(name).join(', ')}, after it in the chain, set${a.by.length === 1 ? 's' : ''} ${a.variable} too and replaced it` : `no wrapper after it sets ${a.variable}: the chain changed or removed it`
    out.push(`${name(a.layer)}: on ${a.runtime} its ${a.variable}${a.value === null ? ' removal' : `=${JSON.stringify(a.value)}`} did not reach the runtime through the chain (${why})`)
  }
  if (replacer) {
    out.push(`${name(replacer.layer)}: ${replacer.wrapper} replaces the runtime, so it runs last; only environment edits made before it reach the program it starts`)
    if (w.nodeFlags) out.push("node flags and preloads wrapgen puts on the command line do not reach a program the last wrapper starts itself; set node.inject: 'NODE_OPTIONS' so they travel in the environment")
  }
  for (const c of w.conflicts.filter((x) => !x.breaks.length)) out.push(`/opt/${c.path}: ${c.layers.map(name).join(', ')} ship different ${c.differs === 'mode' ? 'modes' : c.differs === 'kind' ? 'kinds of entry' : 'contents'}; ${name(c.winner)} wins (applied last); nothing in the others names it`)
  return out
}

/** A losing layer whose wrapper, run in the merged tree, names the lost path in what it exports also breaks. */
function withEffectBreaks(c: Conflict, classified: readonly Classified[]): Conflict {
  const breaks = [...c.breaks]
  for (const l of c.layers) {
    if (l === c.winner || breaks.some((b) => b.layer === l)) continue
    const cl = classified.find((x) => x.layer === l)
    const hit = cl && Object.entries(Object.values(cl.byRuntime)[0]?.env ?? {}).find(([, v]) => v?.includes(`/opt/${c.path}`))
    if (hit) breaks.push({ layer: l, reason: `its wrapper exports ${hit[0]} naming /opt/${c.path}` })
  }
  return { ...c, breaks }
}

/** Whether `child` is `parent` or inside it (for refusing an out folder inside an input folder). */
export const isInside = (child: string, parent: string): boolean => {
  const c = resolve(child)
  const p = resolve(parent)
  return c === p || c.startsWith(p + sep)
}
