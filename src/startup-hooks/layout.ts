// Where each runtime's hook files sit in the layer, relative to the wrapper's folder (/opt/wrapgen).
// Shared by the plan (file references in flags and env) and the layer files (what is written).
import { basename } from 'node:path'
import type { ResolvedHook } from '../config/types.js'

/** node.imports: the runner loaded with --import, and each hook's own bundle in imports/. */
export const NODE_IMPORT_RUNNER = 'import.mjs'
export const PYTHON_RUNNER = 'python/run.py'
/** The runner's code, the same in every layer (run.py loads it), and its committed bytecode per python. */
export const PYTHON_RUNNER_CODE = 'python/runner.py'
export const PYTHON_RUNNER_BYTECODE_DIR = 'python/__pycache__'
export const RUBY_RUNNER = 'ruby/run.rb'
/** The runner agent's folder (its option string: where it finds agents.txt). */
export const JAVA_DIR = 'java'
/** The agent that starts the configured agents, isolated and timed, and the list it reads beside it. */
export const JAVA_RUNNER = `${JAVA_DIR}/wrapgen-agents.jar`
export const JAVA_LIST = `${JAVA_DIR}/agents.txt`

/** The .NET runner (listed once in DOTNET_STARTUP_HOOKS), and the variable its hook list comes in. */
export const DOTNET_RUNNER = 'dotnet/WrapgenStartupHooks.dll'
export const DOTNET_LIST_VARIABLE = 'WRAPGEN_DOTNET_HOOKS'

/** A hook's own file in the layer: numbered, so order is visible and two files of one name never clash. */
export function hookPath(dir: string, hook: ResolvedHook, i: number): string {
  return `${dir}/${String(i + 1).padStart(2, '0')}-${basename(hook.file ?? hook.name).replace(/[^A-Za-z0-9._-]/g, '_')}`
}

/**
 * A .NET hook's assembly: in a numbered folder of its own, under its own file name, since .NET finds an
 * assembly's dependencies by assembly name in the folder it was loaded from.
 */
export function dotnetHookPath(dir: string, hook: ResolvedHook, i: number): string {
  return `${dir}/${String(i + 1).padStart(2, '0')}/${basename(hook.file ?? hook.name).replace(/[^A-Za-z0-9._-]/g, '_')}`
}
