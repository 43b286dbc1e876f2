// The runners' per-build text: the shipped runner templates (runners/python/run.py, runners/ruby/run.rb)
// filled with the hook list, and the lists the java runner agent and the .NET runner read. Pure.
import type { ResolvedConfig, ResolvedHook } from '../config/types.js'
import type { Plan } from '../plan/types.js'
import type { AgentManifest } from './binary-check.js'
import { dotnetHookPath, hookPath } from './layout.js'
import { pyLiteral, rbLiteral } from './literal.js'

/** Fills {{name}}, {{id}} and {{hooks}} in one pass (a value is never scanned again). */
function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
    const v = values[k]
    if (v === undefined) throw new Error(`hook runner template: unknown placeholder ${m}`)
    return v
  })
}

/** Each hook as [name, file relative to the runner's folder or null, options, critical]. */
const rows = (hooks: readonly ResolvedHook[]): unknown[][] =>
  hooks.map((h, i) => [h.name, h.file || h.package ? hookPath('hooks', h, i) : null, h.options, h.critical])

/** The --import runner: each hook's bundle (relative URL), whether it is registered, options, critical. */
export function renderImportRunner(template: string, config: ResolvedConfig, plan: Plan, built: ReadonlyArray<{ readonly file: string; readonly register: boolean; readonly hook: { readonly name: string; readonly options: Readonly<Record<string, unknown>>; readonly critical: boolean } }>): string {
  const list = built.map((b) => `  ${JSON.stringify({ name: b.hook.name, file: `./${b.file}`, register: b.register, options: b.hook.options, critical: b.hook.critical })},`)
  return fill(template, { name: config.name, id: plan.id, hooks: list.length ? `[\n${list.join('\n')}\n]` : '[]' })
}

export function renderPythonRunner(template: string, config: ResolvedConfig, plan: Plan): string {
  const list = rows(config.python.preloads)
  const hooks = list.length ? `[\n${list.map((r) => `    (${r.map(pyLiteral).join(', ')}),`).join('\n')}\n]` : '[]'
  return fill(template, { name: config.name, id: plan.id, hooks })
}

export function renderRubyRunner(template: string, config: ResolvedConfig, plan: Plan): string {
  const list = rows(config.ruby.preloads)
  const hooks = list.length ? `[\n${list.map((r) => `  ${rbLiteral(r)},`).join('\n')}\n].freeze` : '[].freeze'
  return fill(template, { name: config.name, id: plan.id, hooks })
}

/**
 * The list a compiled runner reads: one hook a line, `critical<TAB>file<TAB>name<TAB>options`, the file
 * relative to the runner's folder. Names and options are cleaned of tabs and newlines (JSON text escapes
 * its own). Java's runner agent reads it from agents.txt (renderHookList); the .NET runner from
 * WRAPGEN_DOTNET_HOOKS, set by the wrapper, with options as JSON.
 */
export function hookListLines(hooks: readonly ResolvedHook[], family: 'java' | 'dotnet'): string[] {
  return hookListFields(hooks, family).map((f) => f.join('\t'))
}

/** hookListLines's fields, line by line. */
function hookListFields(hooks: readonly ResolvedHook[], family: 'java' | 'dotnet'): string[][] {
  const clean = (s: string): string => s.replace(/[\t\r\n]/g, ' ')
  const file = (h: ResolvedHook, i: number): string => (family === 'java' ? hookPath('agents', h, i) : dotnetHookPath('hooks', h, i))
  const options = (h: ResolvedHook): string => (family === 'java' ? String(h.options.args ?? '') : Object.keys(h.options).length ? JSON.stringify(h.options) : '')
  return hooks.map((h, i) => [h.critical ? 'critical' : 'isolated', file(h, i), clean(h.name), clean(options(h))])
}

/**
 * The Java runner agent's list, one agent a line: each line also holds the agent's Premain-Class and
 * Boot-Class-Path, read from its jar at build time (`manifests`, in the agents' order), so that the
 * runner reads no manifest on a cold start. `hostedFirst`: the first agent is in the runner's own jar
 * (java-hosted.ts), its file empty, which tells the runner that the JVM has already put that jar and its
 * Boot-Class-Path on the class paths. The first line's last field is its `premainArgs` (2, 1 or empty):
 * the runner then calls that premain straight, the build having named the agent's class in the runner's
 * (javaRunnerClasses); other lines leave it empty. The build writes these lines into the runner's class.
 */
export function javaAgentLines(hooks: readonly ResolvedHook[], manifests: ReadonlyArray<AgentManifest | undefined>, hostedFirst = false): string {
  const lines = hookListFields(hooks, 'java').map(([critical, file, name, options], i) =>
    [critical, i === 0 && hostedFirst ? '' : file, name, options, manifests[i]?.premainClass ?? '', manifests[i]?.bootClassPath ?? '', i === 0 ? String(manifests[0]?.premainArgs ?? '') : ''].join('\t'))
  return `${lines.join('\n')}\n`
}

/** agents.txt: javaAgentLines after a comment line for people reading the layer (the runner skips it). */
export function renderHookList(hooks: readonly ResolvedHook[], manifests: ReadonlyArray<AgentManifest | undefined>, plan: Plan, hostedFirst = false): string {
  return `# wrapgen ${plan.id}: startup hooks in order (critical|isolated, file (empty: in the runner's jar), name, options, Premain-Class, Boot-Class-Path, premain called straight (2: with Instrumentation, 1: without))\n${javaAgentLines(hooks, manifests, hostedFirst)}`
}
