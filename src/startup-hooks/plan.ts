// What startup hooks add to a family's plan: the runner file in the flags (or env) and in `requires`,
// so the existing wrapper inserts it before the entry and fails open when it is missing. No new
// wrapper logic: everything is a flag, an env edit or a required file.
import type { ResolvedConfig } from '../config/types.js'
import type { EnvOp, FamilyPlan, Value } from '../plan/types.js'
import { DOTNET_LIST_VARIABLE, DOTNET_RUNNER, NODE_IMPORT_RUNNER, JAVA_DIR, JAVA_RUNNER, PYTHON_RUNNER, PYTHON_RUNNER_CODE, RUBY_RUNNER } from './layout.js'
import { hookListLines } from './render.js'

export function withHooks(config: ResolvedConfig, fp: FamilyPlan): FamilyPlan {
  switch (fp.family) {
    case 'node': {
      // After the --require preload (node runs every --require before any --import), before the entry.
      if (!config.node.imports.length) return fp
      const requires = [...fp.requires, NODE_IMPORT_RUNNER]
      if (config.node.inject === 'argv') return { ...fp, flags: [...fp.flags, ['--import'], [{ file: NODE_IMPORT_RUNNER }]], requires }
      const op: EnvOp = { op: 'prepend', name: 'NODE_OPTIONS', value: ['--import ', { file: NODE_IMPORT_RUNNER }], sep: ' ' }
      return { ...fp, env: [...fp.env, op], requires }
    }
    case 'python':
      // The runner must be the program python starts: after every interpreter flag, right before the entry.
      if (!config.python.preloads.length) return fp
      return { ...fp, flags: [...fp.flags, [{ file: PYTHON_RUNNER }]], requires: [...fp.requires, PYTHON_RUNNER, PYTHON_RUNNER_CODE] }
    case 'ruby':
      if (!config.ruby.preloads.length) return fp
      return { ...fp, flags: [...fp.flags, ['-r', { file: RUBY_RUNNER }]], requires: [...fp.requires, RUBY_RUNNER] }
    case 'java': {
      if (!config.java.agents.length) return fp
      // The runner's option string is its folder: where agents.txt is, without the runner working it out.
      const agent: Value = ['-javaagent:', { file: JAVA_RUNNER }, '=', { file: JAVA_DIR }]
      const requires = [...fp.requires, JAVA_RUNNER]
      // argv: after the configured flags, before the main class (the JVM starts agents in argv order,
      // after any JAVA_TOOL_OPTIONS ones). JAVA_TOOL_OPTIONS: prepended, so ours start first there.
      if (config.java.inject === 'argv') return { ...fp, flags: [...fp.flags, agent], requires }
      const op: EnvOp = { op: 'prepend', name: 'JAVA_TOOL_OPTIONS', value: agent, sep: ' ' }
      return { ...fp, env: [...fp.env, op], requires }
    }
    case 'dotnet': {
      // Environment only, so every .NET mode gets it, the single-file executable (no argv to change)
      // included. Prepended: the runtime runs DOTNET_STARTUP_HOOKS in order, so the organisation's hooks
      // come before the function's own; a prepend never adds an entry that is already there. The hook
      // list goes in a variable the runner reads: cheaper for .NET on every cold start than a file.
      if (!config.dotnet.startupHooks.length) return fp
      const runner: EnvOp = { op: 'prepend', name: 'DOTNET_STARTUP_HOOKS', value: [{ file: DOTNET_RUNNER }], sep: ':' }
      const list: EnvOp = { op: 'set', name: DOTNET_LIST_VARIABLE, value: [hookListLines(config.dotnet.startupHooks, 'dotnet').join('\n')] }
      return { ...fp, env: [...fp.env, list, runner], requires: [...fp.requires, DOTNET_RUNNER] }
    }
  }
}
