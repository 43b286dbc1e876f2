// The layer files of the startup hooks: each runner (the .NET one a committed assembly), its hook list
// (but .NET's, which the wrapper sets in the environment), and the hooks' own files copied
// from the config's folder. Reads disk (the hook files and wrapgen's runner templates), like the bundler.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import type { ResolvedConfig, ResolvedHook } from '../config/types.js'
import { UserError } from '../errors.js'
import type { LayerFile } from '../layer/files.js'
import { packageRoot } from '../package-root.js'
import { LAYER_DIR, type Plan } from '../plan/types.js'
import { DOTNET_RUNNER, NODE_IMPORT_RUNNER, JAVA_LIST, JAVA_RUNNER, PYTHON_RUNNER, PYTHON_RUNNER_BYTECODE_DIR, PYTHON_RUNNER_CODE, RUBY_RUNNER, dotnetHookPath, hookPath } from './layout.js'
import { javaAgentLines, renderImportRunner, renderHookList, renderPythonRunner, renderRubyRunner } from './render.js'
import { javaRunnerClasses, javaRunnerJar } from './java.js'
import { hostedRunnerJar } from './java-hosted.js'
import { bundleImports } from './node-imports.js'
import { agentManifest, startupHookProblem } from './binary-check.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const file = (path: string, contents: Uint8Array): LayerFile => ({ path: `${LAYER_DIR}/${path}`, mode: 0o644, contents })

/** A package file, found as node finds it from the config's folder (the package's `exports` apply). */
function packageFile(config: ResolvedConfig, key: string, hook: ResolvedHook, i: number): string {
  try {
    return createRequire(join(config.root, 'wrapgen.config.js')).resolve(hook.name)
  } catch (e) {
    throw new UserError(`${key}[${i}]: cannot find ${JSON.stringify(hook.name)} from ${config.root} (${(e as Error).message.split('\n')[0]}); install the package there, or list the file in its "exports"`, { cause: e })
  }
}

function readHook(config: ResolvedConfig, key: string, hook: ResolvedHook, i: number): Uint8Array {
  const path = hook.file ?? packageFile(config, key, hook, i)
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UserError(`${key}[${i}]: ${relative(config.root, path) || path} is not a file (looked for ${path}); build it first or fix the path, which is relative to the config's folder`)
  return readFileSync(path)
}

const shipped = (config: ResolvedConfig, key: string, dir: string, hooks: readonly ResolvedHook[], path = hookPath): LayerFile[] =>
  hooks.flatMap((h, i) => (h.file || h.package ? [file(path(dir, h, i), readHook(config, key, h, i))] : []))

/**
 * Each shipped hook's bytes read by `inspect` (binary-check.ts), in the hooks' order (undefined for a hook
 * with no file); a hook `inspect` says is not what it must be (a string: why) is refused, naming its key.
 */
async function inspectBinaries<T>(config: ResolvedConfig, key: string, hooks: readonly ResolvedHook[], inspect: (bytes: Uint8Array) => T | string | Promise<T | string>, what: string): Promise<Array<T | undefined>> {
  const out: Array<T | undefined> = []
  for (const [i, h] of hooks.entries()) {
    if (!h.file && !h.package) {
      out.push(undefined)
      continue
    }
    const read = await inspect(readHook(config, key, h, i))
    if (typeof read === 'string') throw new UserError(`${key}[${i}]: ${h.name} ${read}; give ${what}`)
    out.push(read)
  }
  return out
}

export async function hookLayerFiles(config: ResolvedConfig, plan: Plan): Promise<LayerFile[]> {
  const root = packageRoot()
  const files: LayerFile[] = []
  if (config.node.imports.length) {
    const built = await bundleImports(config)
    files.push(file(NODE_IMPORT_RUNNER, text(renderImportRunner(readFileSync(join(root, 'runners/node/import.mjs'), 'utf8'), config, plan, built))))
    files.push(...built.map((b) => file(b.file, b.code)))
  }
  if (config.python.preloads.length) {
    files.push(file(PYTHON_RUNNER, text(renderPythonRunner(readFileSync(join(root, 'runners/python/run.py'), 'utf8'), config, plan))))
    // The runner's code and its bytecode for each python runners/python/build.sh compiled (committed, so
    // no python is needed here; a python without its pyc compiles runner.py instead, at some cost).
    files.push(file(PYTHON_RUNNER_CODE, readFileSync(join(root, 'runners/python/runner.py'))))
    const pycs = join(root, 'runners/python/__pycache__')
    for (const pyc of (existsSync(pycs) ? readdirSync(pycs) : []).filter((f) => /^runner\.cpython-\d+\.pyc$/.test(f)).sort())
      files.push(file(`${PYTHON_RUNNER_BYTECODE_DIR}/${pyc}`, readFileSync(join(pycs, pyc))))
    files.push(...shipped(config, 'python.preloads', 'python/hooks', config.python.preloads))
  }
  if (config.ruby.preloads.length) {
    files.push(file(RUBY_RUNNER, text(renderRubyRunner(readFileSync(join(root, 'runners/ruby/run.rb'), 'utf8'), config, plan))))
    files.push(...shipped(config, 'ruby.preloads', 'ruby/hooks', config.ruby.preloads))
  }
  if (config.java.agents.length) {
    const manifests = await inspectBinaries(config, 'java.agents', config.java.agents, agentManifest, 'an agent jar (a Premain-Class in its manifest)')
    // The runner in the first agent's copy where it can be (java-hosted.ts), at the runner jar's path
    // (the plan's); that agent then has no copy of its own.
    const first = config.java.agents[0]!
    // The list (which says whether the runner is hosted) is written into the runner's class too, and the
    // runner calls the first agent's premain straight where its class file allows (java-class.ts).
    const target = manifests[0]?.premainArgs ? manifests[0].premainClass : undefined
    const lines = (hosted: boolean): string => javaAgentLines(config.java.agents, manifests, hosted)
    const hosted = await hostedRunnerJar(readHook(config, 'java.agents', first, 0), () => javaRunnerClasses({ list: lines(true), target }))
    const isHosted = typeof hosted !== 'string'
    files.push(file(JAVA_RUNNER, isHosted ? hosted : await javaRunnerJar(javaRunnerClasses({ list: lines(false), target }))))
    files.push(file(JAVA_LIST, text(renderHookList(config.java.agents, manifests, plan, isHosted))))
    const firstCopy = `${LAYER_DIR}/${hookPath('java/agents', first, 0)}`
    files.push(...shipped(config, 'java.agents', 'java/agents', config.java.agents).filter((f) => !(isHosted && f.path === firstCopy)))
  }
  if (config.dotnet.startupHooks.length) {
    await inspectBinaries(config, 'dotnet.startupHooks', config.dotnet.startupHooks, (bytes) => startupHookProblem(bytes) ?? true, 'a startup hook assembly (a StartupHook class in no namespace with static void Initialize())')
    // Built once from runners/dotnet/src (runners/dotnet/build.sh) and committed: no .NET SDK needed here.
    // Its list is in the environment the wrapper sets (plan.ts), not in a file.
    files.push(file(DOTNET_RUNNER, readFileSync(join(root, 'runners/dotnet/WrapgenStartupHooks.dll'))))
    files.push(...shipped(config, 'dotnet.startupHooks', 'dotnet/hooks', config.dotnet.startupHooks, dotnetHookPath))
  }
  return files
}
