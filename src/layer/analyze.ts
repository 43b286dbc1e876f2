// `wrapgen build --analyze`, the pure part: what each node bundle of the layer is made of (bytes per
// package, from esbuild's metafile), a copy of a bundle that records how long each of its modules took
// to load, and the report of both. The CLI (cli/analyze.ts) runs that copy, sandboxed.
import { HOOK_BODY_NAMESPACE, PRELOAD_ENTRY_NAME } from '../render/preload-entry.js'

export interface Input {
  readonly path: string
  readonly bytes: number
}

export interface PackageShare {
  /** `@scope/name` or `name` under node_modules; `(local files)`; `(wrapgen runner)`. */
  readonly name: string
  readonly bytes: number
  readonly files: number
}

export const LOCAL = '(local files)'
export const RUNNER = '(wrapgen runner)'

/** The package an input of the metafile belongs to (its innermost node_modules folder). */
export function packageOf(path: string): string {
  if (path.startsWith('wrapgen:')) return RUNNER
  const at = path.lastIndexOf('node_modules/')
  if (at < 0) return LOCAL
  const parts = path.slice(at + 'node_modules/'.length).split('/')
  return parts[0]!.startsWith('@') && parts[1] ? `${parts[0]}/${parts[1]}` : parts[0]!
}

/** Bytes each package contributes to the bundle, largest first. */
export function packageBytes(inputs: readonly Input[]): PackageShare[] {
  const by = new Map<string, { bytes: number; files: number }>()
  for (const i of inputs) {
    const name = packageOf(i.path)
    const s = by.get(name) ?? { bytes: 0, files: 0 }
    s.bytes += i.bytes
    s.files += 1
    by.set(name, s)
  }
  return [...by].map(([name, s]) => ({ name, ...s })).sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
}

// esbuild's helper that runs a bundled CommonJS module the first time it is required.
const COMMONJS_HELPER = 'var __commonJS = (cb, mod) => function __require() {\n'
// esbuild's helper for an ES module whose body runs lazily (inside a CommonJS bundle).
const ESM_HELPER = 'var __esm = (fn, res) => function __init() {\n'
const KEY = 'Symbol.for("wrapgen.analyze")'
// A CommonJS hook whose code the runner gets as a function (render/preload-entry.ts): esbuild prints the
// module's comment line, then the function's definition.
const HOOK_BODY = new RegExp(`^// ${HOOK_BODY_NAMESPACE}:(.*)\\nvar ([\\w$]+) = \\(function\\(`, 'gm')
const ENTRY_MARK = `\n// ${PRELOAD_ENTRY_NAME}\n`

/**
 * The bundle with esbuild's module helpers timed: each module's own load time (its nested requires
 * not counted) is added up under its metafile path in globalThis[Symbol.for("wrapgen.analyze")].
 * Modules esbuild inlined as plain code (ES modules it hoisted) are not seen; their time stays with
 * the module that imports them. Undefined when the bundle has neither helper nor a hook's function.
 */
export function timedBundle(code: string): string | undefined {
  const bodies = code.includes(ENTRY_MARK) ? [...code.matchAll(HOOK_BODY)] : []
  if (!code.includes(COMMONJS_HELPER) && !code.includes(ESM_HELPER) && bodies.length === 0) return undefined
  const probe = [
    `var __wrapgenAnalyze = globalThis[${KEY}] ??= { ms: {}, stack: [] };`,
    'var __wrapgenTime = (name, run) => {',
    '  const a = __wrapgenAnalyze, t0 = process.hrtime.bigint();',
    '  a.stack.push(0n);',
    '  try { return run(); } finally {',
    '    const spent = process.hrtime.bigint() - t0, nested = a.stack.pop();',
    '    a.ms[name] = (a.ms[name] ?? 0) + Number(spent - nested) / 1e6;',
    '    if (a.stack.length) a.stack[a.stack.length - 1] += spent;',
    '  }',
    '};',
  ].join('\n')
  // Each helper call makes one module's require function: the wrapper times its first call only (a
  // cyclic require during it, and later calls, go straight to esbuild's own).
  const wrap = (helper: string, params: string, inner: string): string =>
    `var ${helper} = (${params}) => {\n  const inner = ${inner}(${params}), name = __getOwnPropNames(${params.split(',')[0]})[0];\n  let started = false;\n  return function () { if (started) return inner(); started = true; return __wrapgenTime(name, inner); };\n};\n`
  const commonjs = `${wrap('__commonJS', 'cb, mod', '__wrapgenCommonJS')}var __wrapgenCommonJS = (cb, mod) => function __require() {\n`
  const esm = `${wrap('__esm', 'fn, res', '__wrapgenEsm')}var __wrapgenEsm = (fn, res) => function __init() {\n`
  const timed = code.replace(COMMONJS_HELPER, commonjs).replace(ESM_HELPER, esm)
  if (bodies.length === 0) return `${probe}\n${timed}`
  // A hook's function, timed under its file's path: wrapped before the entry calls it.
  const body = 'var __wrapgenBody = (name, run) => function (exports, module) { return __wrapgenTime(name, () => run.call(this, exports, module)); };\n'
  const timeBodies = bodies.map(([, path, name]) => `${name} = __wrapgenBody(${JSON.stringify(path)}, ${name});\n`).join('')
  return `${probe}\n${body}${timed.replace(ENTRY_MARK, `\n${timeBodies}${ENTRY_MARK}`)}`
}

/** Milliseconds per package from the per-module times of several runs: the median of each package's total. */
export function packageMs(runs: ReadonlyArray<Readonly<Record<string, number>>>): Map<string, number> {
  const perRun = runs.map((ms) => {
    const by = new Map<string, number>()
    for (const [path, v] of Object.entries(ms)) by.set(packageOf(path), (by.get(packageOf(path)) ?? 0) + v)
    return by
  })
  const names = new Set(perRun.flatMap((m) => [...m.keys()]))
  return new Map([...names].map((n) => [n, median(perRun.map((m) => m.get(n) ?? 0))]))
}

export const median = (xs: readonly number[]): number => {
  if (!xs.length) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export interface HookMeasure {
  readonly key: string
  readonly name: string
  readonly ms: number
  readonly budgetMs: number
}

export interface BundleReport {
  readonly file: string
  readonly bytes: number
  readonly packages: readonly PackageShare[]
  /** Measured in the sandbox: the whole --require/--import over `node -e 0`, and per package. */
  readonly measured?: { readonly runs: number; readonly sandboxed: boolean; readonly startMs: number; readonly packageMs: ReadonlyMap<string, number>; readonly hooks: readonly HookMeasure[] }
  /** Why nothing was measured. */
  readonly notMeasured?: string
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`
const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '—' : `${n.toFixed(2)} ms`)

/** The hooks whose measured time is over their budget, as error lines naming the key. */
export function overBudget(reports: readonly BundleReport[]): string[] {
  return reports.flatMap((r) => (r.measured?.hooks ?? []).filter((h) => h.ms > h.budgetMs).map((h) => `${h.key}: ${JSON.stringify(h.name)} took ${h.ms.toFixed(2)} ms to load and set up (median of ${r.measured!.runs} ${r.measured!.sandboxed ? 'sandboxed ' : ''}starts), over its budgetMs of ${h.budgetMs}; make it lighter or raise ${h.key.replace(/\.module$/, '')}.budgetMs`))
}

/** The text `wrapgen build --analyze` prints. */
export function renderAnalysis(reports: readonly BundleReport[], top = 15): string {
  const lines: string[] = []
  for (const r of reports) {
    const m = r.measured
    lines.push(`${r.file}  ${kib(r.bytes)}${m ? `, start-up +${ms(m.startMs)} over \`node -e 0\` (median of ${m.runs} ${m.sandboxed ? 'sandboxed ' : 'host '}runs)` : `, start-up not measured: ${r.notMeasured}`}`)
    const width = Math.max(8, ...r.packages.slice(0, top).map((p) => p.name.length))
    lines.push(`  ${'package'.padEnd(width)}  ${'bytes'.padStart(10)}  ${'share'.padStart(6)}  ${'files'.padStart(5)}  ${'load'.padStart(9)}`)
    const total = r.packages.reduce((n, p) => n + p.bytes, 0) || 1
    for (const p of r.packages.slice(0, top))
      lines.push(`  ${p.name.padEnd(width)}  ${kib(p.bytes).padStart(10)}  ${`${((p.bytes / total) * 100).toFixed(1)}%`.padStart(6)}  ${String(p.files).padStart(5)}  ${(m ? ms(m.packageMs.get(p.name)) : '—').padStart(9)}`)
    if (r.packages.length > top) lines.push(`  … ${r.packages.length - top} more packages, ${kib(r.packages.slice(top).reduce((n, p) => n + p.bytes, 0))}`)
    for (const h of m?.hooks ?? []) lines.push(`  hook ${h.name}: ${ms(h.ms)} to load and set up, budget ${h.budgetMs} ms${h.ms > h.budgetMs ? ' — OVER BUDGET' : ''}`)
    lines.push('')
  }
  return lines.join('\n')
}
