// The runners' per-build text: the shipped runner templates (hooks/python/run.py, hooks/ruby/run.rb)
// filled with the hook list, and the list file the java runner agent reads. Pure.
import type { ResolvedConfig, ResolvedHook } from '../config/types.js'
import type { Plan } from '../plan/types.js'
import { hookPath } from './layout.js'
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
 * A list the JVM runner agent reads: one hook a line, `critical<TAB>file<TAB>name<TAB>options`
 * (`dir`/file, relative to the list's folder). Names and options cannot hold a tab or newline (validated).
 */
export function renderHookList(hooks: readonly ResolvedHook[], dir: string, plan: Plan): string {
  const clean = (s: string): string => s.replace(/[\t\r\n]/g, ' ')
  const lines = hooks.map((h, i) => [h.critical ? 'critical' : 'isolated', hookPath(dir, h, i), clean(h.name), clean(String(h.options.args ?? ''))].join('\t'))
  return `# wrapgen ${plan.id}: startup hooks in order (critical|isolated, file, name, options)\n${lines.join('\n')}\n`
}
