// `verify` as an API: prepares the target (a config's layer, a built layer, or any wrapper file placed
// at its Lambda path), picks runtimes, memory sizes, shells and mode, runs the harness and the columns
// it is given (column.ts: the real interpreters and the rest, wired in api-verify.ts), and returns the report.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { buildLayer } from '../build.js'
import { makeTemp, removeTemp } from '../cleanup.js'
import type { ResolvedConfig } from '../config/types.js'
import { UserError, UsageError } from '../errors.js'
import { writeLayer } from '../layer/write.js'
import { plan as makePlan } from '../plan/plan.js'
import { LAYER_DIR, MANIFEST_FILE, WRAPPER_FILE } from '../plan/types.js'
import type { Manifest } from '../render/manifest.js'
import { loadCatalogue, selectRuntimes } from '../runtimes/catalogue.js'
import type { Column, ColumnRun } from './column.js'
import { ADVERSARIAL_VALUES } from './expect.js'
import { handlersOf, replacerAccepted, runHarness } from './harness.js'
import { hostRunReason, pickMode, sandboxAvailable, type Mode } from '../sandbox/index.js'
import { chooseScope, type Scope } from './scope.js'
import { findShells, SHELLS, type Shell } from './shells.js'
import { ALLOWANCES, type Allowance, type ChainedWrapper, type Target, type VerifyReport } from './types.js'
import { isComposed, readComposed, type ComposedLayer } from '../layer-tree/compose-manifest.js'

export interface VerifyOptions {
  /** The config whose layer is verified (built fresh unless `layerDir` is given). */
  readonly config?: ResolvedConfig
  /** An already-built layer tree (the folder that holds wrapgen/, or the build's out folder). */
  readonly layerDir?: string
  /** Any exec wrapper file, checked against the generic contract only. */
  readonly wrapperFile?: string
  /** The wrapper's path on Lambda (/opt/...); default: its path in a --with-layer tree, else /opt/<name>. */
  readonly at?: string
  /** The function's own environment variables. */
  readonly env?: Readonly<Record<string, string>>
  /** Deliberate changes accepted from the wrapper under test (and from chained wrappers). */
  readonly allow?: readonly Allowance[]
  /** Run a --wrapper on the host when bubblewrap is missing (it is code you do not control). */
  readonly unsafeHost?: boolean
  readonly runtime?: string
  readonly memories?: readonly number[]
  readonly shells?: readonly string[]
  readonly mode?: Mode | 'auto'
  readonly extraLayers?: readonly string[]
  /** Skip the real-interpreter probes. */
  readonly standInOnly?: boolean
  /**
   * For --wrapper: `quick` (the default) checks the runtimes the wrapper is plausibly for, one per
   * command shape, at one memory size unless it reads the size (scope.ts); `full` every runtime at
   * every memory size. --runtime and --memory override either.
   */
  readonly matrix?: 'quick' | 'full'
}

/** The memory sizes checked by default: the smallest, a common one, the largest. */
const ALL_MEMORIES: readonly number[] = [128, 1024, 10240]

/** The #! line of a file ('' when it has none). */
function shebangOf(file: string): string {
  const head = readFileSync(file).subarray(0, 256).toString('utf8')
  return head.startsWith('#!') ? head.split('\n')[0]!.trim() : ''
}

/** Whether a #! line (or none: the bootstrap's shell runs it) means /bin/sh, which differs by image. */
export function isShScript(shebang: string): boolean {
  return shebang === '' || /^#!\s*(\/usr)?\/bin\/sh(\s|$)/.test(shebang) || /^#!\s*\/usr\/bin\/env\s+sh(\s|$)/.test(shebang)
}

/** The report of `opts`: the stand-in harness, then each of `columns` in order (api-verify.ts's verify passes them all). */
export async function verify(opts: VerifyOptions, columns: readonly Column[] = []): Promise<VerifyReport> {
  const started = performance.now()
  const catalogue = loadCatalogue()
  const warnings: string[] = []
  const notChecked: string[] = []
  const bwrap = sandboxAvailable()
  if (opts.mode === 'sandboxed' && !bwrap) throw new UserError('--mode sandboxed: bubblewrap (bwrap) is not installed or cannot make namespaces here; install it or use --mode path-mapped')
  const onHost = opts.wrapperFile && !opts.unsafeHost ? hostRunReason(opts.mode, bwrap) : undefined
  if (onHost) throw new UserError(`--wrapper runs code you did not write, and only in the sandbox: ${onHost}; install bubblewrap, or pass --unsafe-host to run it on this host anyway`)
  const mode: Mode = pickMode(opts.mode, bwrap)
  for (const dir of opts.extraLayers ?? []) if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--with-layer ${dir}: no such folder; give an unpacked layer tree (what /opt holds)`)
  if (opts.at !== undefined && (!opts.at.startsWith('/opt/') || opts.at.endsWith('/') || opts.at.split('/').includes('..'))) throw new UsageError(`--at ${opts.at}: give the wrapper's path on Lambda, under /opt (e.g. /opt/otel-handler)`)
  const { found, missing } = findShells()
  for (const name of opts.shells ?? []) {
    if (!SHELLS.some((s) => s.name === name)) throw new UsageError(`--shell ${name}: unknown; choose from ${SHELLS.map((s) => s.name).join(', ')}`)
    if (missing.includes(name)) throw new UserError(`--shell ${name}: not installed here`)
  }
  let shells: Shell[] = opts.shells ? found.filter((s) => opts.shells!.includes(s.name)) : found
  let memories = opts.memories ?? ALL_MEMORIES

  const temp = makeTemp('target')
  try {
    let target: Target
    let label: string
    let config = opts.config
    let exec = false
    /** Set when --layer is a layer wrapgen compose wrote (its config, runtimes and vendor layers). */
    let composed: ComposedLayer | undefined
    /** For --wrapper: the runtimes and memory sizes chosen by default, and why (scope.ts). */
    let scope: Scope | undefined
    if (opts.wrapperFile) {
      if (!existsSync(opts.wrapperFile) || !statSync(opts.wrapperFile).isFile()) throw new UserError(`${opts.wrapperFile}: no such wrapper file; check --wrapper`)
      const file = resolve(opts.wrapperFile)
      // Its Lambda path: where it sits in a layer tree given with --with-layer, else --at, else /opt/<name>.
      const inLayer = (opts.extraLayers ?? []).map((d) => relative(resolve(d), file)).find((r) => r && !r.startsWith('..'))
      const at = inLayer !== undefined ? `/opt/${inLayer}` : opts.at ?? `/opt/${basename(file)}`
      if (inLayer !== undefined && opts.at && opts.at !== at) throw new UsageError(`--at ${opts.at}: the wrapper is ${at} in its --with-layer tree; drop --at`)
      const placed = join(temp, 'layer', at.slice(5))
      mkdirSync(dirname(placed), { recursive: true })
      copyFileSync(file, placed)
      chmodSync(placed, statSync(file).mode & 0o777)
      const shebang = shebangOf(file)
      exec = true
      // A #!/bin/sh script runs under whatever /bin/sh the image has: the shell matrix checks that.
      if (!isShScript(shebang)) shells = []
      target = { kind: 'wrapper', layerDir: join(temp, 'layer'), wrapper: at, shebang, allow: opts.allow ?? [] }
      label = `wrapper ${opts.wrapperFile} at ${at}${shebang ? ` (${shebang})` : ''}`
      if (opts.matrix !== 'full') {
        scope = chooseScope({ file, lambdaPath: at, shebang, trees: [join(temp, 'layer'), ...(opts.extraLayers ?? [])], runtimes: catalogue.runtimes })
        if (!opts.memories && !scope.memorySensitive) memories = [1024]
      }
      config = undefined
    } else {
      let layerDir: string
      if (opts.layerDir) {
        layerDir = existsSync(join(opts.layerDir, 'layer', LAYER_DIR)) ? join(opts.layerDir, 'layer') : opts.layerDir
        const manifestFile = join(layerDir, LAYER_DIR, MANIFEST_FILE)
        if (!existsSync(manifestFile)) throw new UserError(`${opts.layerDir}: no ${LAYER_DIR}/${MANIFEST_FILE} here; give the folder wrapgen build wrote (its layer/ tree)`)
        // A layer wrapgen compose wrote carries the config its wrapper was built from: no config needed.
        if (!config && isComposed(layerDir)) config = (composed = readComposed(layerDir, opts.layerDir)).config
        if (!config) throw new UsageError(`--layer ${opts.layerDir}: give the config it was built from (--config FILE); only a layer made by wrapgen compose carries its own`)
        const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
        const id = makePlan(config).id
        if (manifest.id !== id) throw new UserError(composed ? `${opts.layerDir}: the compose.json beside the layer does not match its wrapper (${manifest.id}, compose.json gives ${id}); compose the layer again` : `${opts.layerDir}: built from a different config (${manifest.id}, the config is ${id}); rebuild it or pass the config it came from`)
        label = `layer ${opts.layerDir} (${manifest.id})${composed ? `, composed from ${composed.inputs.join(', ')}` : ''}`
      } else {
        if (!config) throw new UsageError('verify needs a config, --layer with a config (or a layer wrapgen compose made), or --wrapper FILE')
        layerDir = writeLayer(await buildLayer(config), temp).layerDir
        label = `layer ${config.name} built from ${config.configFile ?? 'inline config'}`
      }
      const plan = makePlan(config)
      const requires = [...new Set(Object.values(plan.families).flatMap((f) => f.requires))]
      const hostile = adversarialConfig(config)
      const adversarial = { layerDir: writeLayer(await buildLayer(hostile), join(temp, 'adversarial')).layerDir, plan: makePlan(hostile) }
      const chain: ChainedWrapper[] = plan.chain.map((path) => ({ path, allow: [...(chainAllowOf(config!)[path] ?? []), ...(opts.allow ?? [])] }))
      target = { kind: 'layer', layerDir, plan, wrapper: `/opt/${LAYER_DIR}/${WRAPPER_FILE}`, requires, adversarial, chain }
    }
    if (!opts.shells && missing.length && shells.length) warnings.push(`shells not installed, not checked: ${missing.join(', ')}`)
    if (!shells.length && !exec) throw new UserError('no shell to run the wrapper with: install dash or bash')
    if (composed && !opts.runtime && !composed.runtimes.length) throw new UserError(`${opts.layerDir}: compose saw the composed wrapper start no runtime's interpreter, so there is nothing to verify it on; see the warnings wrapgen compose printed`)
    // A composed layer: the runtimes of the families where compose saw the chain start the runtime.
    const ids = opts.runtime ?? (composed ? composed.runtimes.join(',') : config ? config.runtimes.join(',') : '*')
    if (composed && !opts.runtime && composed.unsupported.length) warnings.push(`not verified on ${composed.unsupported.join(', ')} runtimes: compose saw the composed wrapper not start the runtime there (a vendor's wrapper runs a program that needs another runtime); see compose.json`)
    // The function's variables: --env, else those wrapgen compose ran the composed layer with.
    const env = opts.env ?? composed?.env
    const fixtures = scope && !opts.runtime ? scope.fixtures : selectRuntimes(catalogue.runtimes, ids)
    if (!fixtures.length) throw new UsageError(`--runtime ${opts.runtime}: matches no runtime; known: ${[...new Set(catalogue.runtimes.map((r) => r.id))].join(', ')}`)
    // OS-only runtimes never run the wrapper: say so whenever the selection was not narrowed by hand.
    const unwrapped = opts.runtime ? fixtures : catalogue.runtimes
    const notes = (scope && !opts.runtime ? [] : unwrapped).filter((f) => f.family === 'none').map((f) => ({ runtime: f.id, note: f.note ?? 'never runs AWS_LAMBDA_EXEC_WRAPPER' }))
    const harness = await runHarness({
      target, fixtures, commonEnv: catalogue.commonEnv, memories, shells, exec, mode, lean: scope !== undefined,
      ...(env ? { functionEnv: env } : {}),
      ...(opts.extraLayers ? { extraLayers: opts.extraLayers } : {}),
    })
    let results = harness.results
    const covered = new Set<string>()
    let clients: VerifyReport['clients']
    const run: ColumnRun = { target, config, composed, fixtures, commonEnv: catalogue.commonEnv, functionEnv: env, memories, mode, extraLayers: opts.extraLayers ?? [], covered }
    const addRows = async (real: boolean): Promise<void> => {
      for (const column of columns) {
        if (!column.rows || (column.real ?? false) !== real || (real && opts.standInOnly)) continue
        const out = await column.rows(run)
        results.push(...out.rows)
        warnings.push(...out.warnings)
        for (const id of out.covered ?? []) covered.add(id)
        clients = out.clients ?? clients
        notChecked.push(...(out.notChecked ?? []))
      }
    }
    // The real interpreters' columns (their warnings before the harness's), then the others.
    await addRows(true)
    warnings.push(...harness.warnings)
    await addRows(false)
    // A composed layer ships its vendors' wrappers itself: they are checked where they are.
    if (target.kind === 'layer') warnings.push(...(await chainWarnings(target.chain, [...(opts.extraLayers ?? []), ...(composed ? [target.layerDir] : [])], catalogue.commonEnv, mode)))
    let deviations = harness.deviations
    for (const column of columns) if (column.revise) ({ results, deviations } = await column.revise({ results, deviations }, run))
    const shellNames = [...(exec ? ['exec'] : []), ...shells.map((s) => s.name)]
    const choice = [
      ...(scope ? (opts.runtime ? scope.lines.filter((l) => l.startsWith('memory')) : scope.lines) : []),
      ...(target.kind === 'wrapper' && replacerAccepted(target) ? [`--allow replace-runtime: a stand-in for the function's own program is at ${[...new Set(['run.sh', ...handlersOf({ fixtures, commonEnv: catalogue.commonEnv, ...(env ? { functionEnv: env } : {}) })])].map((h) => `/var/task/${h}`).join(', ')} (what a replacer runs as $LAMBDA_TASK_ROOT/$_HANDLER)`] : []),
    ]
    return { target: label, mode, shells: shellNames, memories, results, notes, deviations, warnings, ...(choice.length ? { scope: choice } : {}), ...(notChecked.length ? { notChecked } : {}), ms: Math.round(performance.now() - started), ...(clients ? { clients } : {}) }
  } finally {
    removeTemp(temp)
  }
}

/** What the config accepts from each chained wrapper (`chain: [{ path, allow }]`). */
function chainAllowOf(config: ResolvedConfig): Readonly<Record<string, readonly Allowance[]>> {
  const out: Record<string, Allowance[]> = {}
  for (const [path, allow] of Object.entries(config.chainAllow ?? {})) out[path] = allow.filter((a): a is Allowance => (ALLOWANCES as readonly string[]).includes(a))
  return out
}

/** The config with a flag per runtime and env values full of shell syntax (all stand-in safe). */
function adversarialConfig(config: ResolvedConfig): ResolvedConfig {
  const values = ADVERSARIAL_VALUES
  const set = Object.fromEntries(values.map((v, i) => [`WRAPGEN_VERIFY_VALUE_${i}`, v]))
  const env = { ...config.env, set: { ...config.env.set, ...set }, append: { ...config.env.append, WRAPGEN_VERIFY_LIST: values[0]! } }
  const flag = values.join('|')
  return {
    ...config,
    env,
    node: { ...config.node, flags: [...config.node.flags, `--wrapgen-verify=${flag}`] },
    python: { ...config.python, flags: [...config.python.flags, '-X', `wrapgen_verify=${flag}`] },
    java: { ...config.java, flags: [...config.java.flags, `-Dwrapgen.verify=${flag}`] },
    dotnet: { ...config.dotnet, flags: [...config.dotnet.flags, '--additionalprobingpath', flag] },
    ruby: { ...config.ruby, flags: [...config.ruby.flags, '-I', flag] },
  }
}

/**
 * A chained wrapper that replaces the runtime or drops its arguments (a web adapter's) must be last:
 * the wrappers after it never run. Each one found in a --with-layer tree is exec'd on its own (its
 * #! line decides) on nodejs20.x, in the sandbox, to see whether it passes the command on.
 */
async function chainWarnings(chain: readonly ChainedWrapper[], extraLayers: readonly string[], commonEnv: Readonly<Record<string, string>>, mode: Mode): Promise<string[]> {
  const warnings: string[] = []
  const node = selectRuntimes(loadCatalogue().runtimes, 'nodejs20.x')
  for (const [i, w] of chain.entries()) {
    const last = i === chain.length - 1
    const dir = extraLayers.find((d) => w.path.startsWith('/opt/') && existsSync(join(d, w.path.slice(5))))
    if (!dir) {
      warnings.push(`chain: ${w.path} was not checked (not in any --with-layer tree); it must pass its arguments on${last ? '' : ' or come last'}`)
      continue
    }
    if (last) continue
    const shebang = shebangOf(join(dir, w.path.slice(5)))
    const { results } = await runHarness({ target: { kind: 'wrapper', layerDir: dir, wrapper: w.path, shebang, allow: [] }, fixtures: node, commonEnv, memories: [1024], shells: [], exec: true, mode, extraLayers })
    const argv = results.find((r) => r.check === 'argv' && r.shell === 'exec')
    if (argv?.status === 'fail' && /replaces the runtime|drops or replaces|lost|never ran/.test(argv.detail)) warnings.push(`chain: ${w.path} does not pass the runtime's command on (${argv.detail}), so the wrappers after it never run; put it last`)
  }
  return warnings
}
