// `verify` as an API: prepares the target (a config's layer, a built layer, or any wrapper file),
// picks runtimes, memory sizes, shells and mode, runs the harness, and returns the report.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, copyFileSync, chmodSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { buildLayer } from '../build.js'
import type { ResolvedConfig } from '../config/types.js'
import { UserError, UsageError } from '../errors.js'
import { writeLayer } from '../layer/write.js'
import { familyOf } from '../plan/argv-rules.js'
import { plan as makePlan } from '../plan/plan.js'
import { LAYER_DIR, MANIFEST_FILE, WRAPPER_FILE } from '../plan/types.js'
import type { Manifest } from '../render/manifest.js'
import { loadCatalogue, selectRuntimes } from '../runtimes/catalogue.js'
import { runHarness, type Target } from './verify.js'
import { sandboxAvailable, type Mode } from './sandbox.js'
import { findShells, SHELLS, type Shell } from './shells.js'
import type { VerifyReport } from './types.js'
import { runRealChecks } from './real.js'
import { runHookChecks } from './hooks.js'
import { ADVERSARIAL_VALUES } from './expect.js'

export interface VerifyOptions {
  /** The config whose layer is verified (built fresh unless `layerDir` is given). */
  readonly config?: ResolvedConfig
  /** An already-built layer tree (the folder that holds wrapgen/, or the build's out folder). */
  readonly layerDir?: string
  /** Any exec wrapper file, checked against the generic contract only. */
  readonly wrapperFile?: string
  readonly runtime?: string
  readonly memories?: readonly number[]
  readonly shells?: readonly string[]
  readonly mode?: Mode | 'auto'
  readonly extraLayers?: readonly string[]
  /** Skip the real-interpreter probes. */
  readonly standInOnly?: boolean
}

export async function verify(opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now()
  const catalogue = loadCatalogue()
  const warnings: string[] = []
  const mode: Mode = opts.mode === 'sandboxed' || opts.mode === 'path-mapped' ? opts.mode : sandboxAvailable() ? 'sandboxed' : 'path-mapped'
  if (opts.mode === 'sandboxed' && !sandboxAvailable()) throw new UserError('--mode sandboxed: bubblewrap (bwrap) is not installed or cannot make namespaces here; install it or use --mode path-mapped')
  const { found, missing } = findShells()
  const shells = opts.shells ? found.filter((s) => opts.shells!.includes(s.name)) : found
  for (const name of opts.shells ?? []) {
    if (!SHELLS.some((s) => s.name === name)) throw new UsageError(`--shell ${name}: unknown; choose from ${SHELLS.map((s) => s.name).join(', ')}`)
    if (missing.includes(name)) throw new UserError(`--shell ${name}: not installed here`)
  }
  if (!opts.shells && missing.length) warnings.push(`shells not installed, not checked: ${missing.join(', ')}`)
  if (!shells.length) throw new UserError('no shell to run the wrapper with: install dash or bash')
  const memories = opts.memories ?? [128, 1024, 10240]

  const temp = mkdtempSync(join(tmpdir(), 'wrapgen-target-'))
  try {
    let target: Target
    let label: string
    let config = opts.config
    if (opts.wrapperFile) {
      if (!existsSync(opts.wrapperFile) || !statSync(opts.wrapperFile).isFile()) throw new UserError(`${opts.wrapperFile}: no such wrapper file; check --wrapper`)
      const name = basename(opts.wrapperFile)
      mkdirSync(join(temp, 'wrapper'))
      copyFileSync(opts.wrapperFile, join(temp, 'wrapper', name))
      chmodSync(join(temp, 'wrapper', name), statSync(opts.wrapperFile).mode & 0o777)
      target = { kind: 'wrapper', layerDir: temp, wrapper: `/opt/wrapper/${name}` }
      label = `wrapper ${opts.wrapperFile}`
      config = undefined
    } else {
      if (!config) throw new UsageError('verify needs a config, --layer with a config, or --wrapper FILE')
      let layerDir: string
      if (opts.layerDir) {
        layerDir = existsSync(join(opts.layerDir, 'layer', LAYER_DIR)) ? join(opts.layerDir, 'layer') : opts.layerDir
        const manifestFile = join(layerDir, LAYER_DIR, MANIFEST_FILE)
        if (!existsSync(manifestFile)) throw new UserError(`${opts.layerDir}: no ${LAYER_DIR}/${MANIFEST_FILE} here; give the folder wrapgen build wrote (its layer/ tree)`)
        const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
        const id = makePlan(config).id
        if (manifest.id !== id) throw new UserError(`${opts.layerDir}: built from a different config (${manifest.id}, the config is ${id}); rebuild it or pass the config it came from`)
        label = `layer ${opts.layerDir} (${manifest.id})`
      } else {
        layerDir = writeLayer(await buildLayer(config), temp).layerDir
        label = `layer ${config.name} built from ${config.configFile ?? 'inline config'}`
      }
      const plan = makePlan(config)
      const requires = [...new Set(Object.values(plan.families).flatMap((f) => f.requires))]
      const hostile = adversarialConfig(config)
      const adversarial = { layerDir: writeLayer(await buildLayer(hostile), join(temp, 'adversarial')).layerDir, plan: makePlan(hostile) }
      target = { kind: 'layer', layerDir, plan, wrapper: `/opt/${LAYER_DIR}/${WRAPPER_FILE}`, requires, adversarial }
    }
    const ids = opts.runtime ?? (config ? config.runtimes.join(',') : '*')
    const fixtures = selectRuntimes(catalogue.runtimes, ids)
    if (!fixtures.length) throw new UsageError(`--runtime ${opts.runtime}: matches no runtime; known: ${[...new Set(catalogue.runtimes.map((r) => r.id))].join(', ')}`)
    // OS-only runtimes never run the wrapper: say so whenever the selection was not narrowed by hand.
    const unwrapped = opts.runtime ? fixtures : catalogue.runtimes
    const notes = unwrapped.filter((f) => f.family === 'none').map((f) => ({ runtime: f.id, note: f.note ?? 'never runs AWS_LAMBDA_EXEC_WRAPPER' }))
    const results = await runHarness({ target, fixtures, commonEnv: catalogue.commonEnv, memories, shells, mode, ...(opts.extraLayers ? { extraLayers: opts.extraLayers } : {}) })
    if (!opts.standInOnly) results.push(...(await runRealChecks({ target, fixtures: fixtures.filter((f) => f.family !== 'none' && familyOf(String(f.argv[0]))), commonEnv: catalogue.commonEnv, memories })))
    // Startup hooks (issue 7): a probe layer through the real interpreters (src/verify/hooks.ts).
    if (!opts.standInOnly && config && target.kind === 'layer') results.push(...(await runHookChecks({ config, fixtures, memories })))
    if (target.kind === 'layer') warnings.push(...(await chainWarnings(target.plan.chain, opts.extraLayers ?? [], catalogue.commonEnv, shells, mode)))
    return { target: label, mode, shells: shells.map((s) => s.name), memories, results, notes, warnings, ms: Math.round(performance.now() - started) }
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
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
 * A chained wrapper that does not pass its arguments on (it execs its own command, like a web
 * adapter's) must be last: the wrappers after it never run. Each one found in a --with-layer tree
 * is run once on nodejs20.x to see whether it keeps the command.
 */
async function chainWarnings(chain: readonly string[], extraLayers: readonly string[], commonEnv: Readonly<Record<string, string>>, shells: readonly Shell[], mode: Mode): Promise<string[]> {
  const warnings: string[] = []
  const node = selectRuntimes(loadCatalogue().runtimes, 'nodejs20.x')
  for (const [i, w] of chain.entries()) {
    const dir = extraLayers.find((d) => w.startsWith('/opt/') && existsSync(join(d, w.slice(5))))
    if (!dir) {
      warnings.push(`chain: ${w} was not checked (not in any --with-layer tree); it must pass its arguments on${i === chain.length - 1 ? '' : ' or come last'}`)
      continue
    }
    const rows = await runHarness({ target: { kind: 'wrapper', layerDir: dir, wrapper: w }, fixtures: node, commonEnv, memories: [1024], shells: shells.slice(0, 1), mode })
    const argv = rows.find((r) => r.check === 'argv')
    if (argv?.status === 'fail' && i < chain.length - 1) warnings.push(`chain: ${w} does not pass its arguments on (${argv.detail}), so the wrappers after it never run; put it last`)
  }
  return warnings
}
