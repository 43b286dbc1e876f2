// From the resolved config to the plan: per family, the flags to insert and the environment edits.
import { createHash } from 'node:crypto'
import { separatorFor } from '../config/env-vars.js'
import { FAMILIES, type Family, type ResolvedConfig, type ResolvedEnvEdits } from '../config/types.js'
import { hookHashView } from '../startup-hooks/resolve.js'
import { withHooks } from '../startup-hooks/plan.js'
import { PRELOAD_BUNDLE_FILE, PRELOAD_FILE, type EnvOp, type FamilyPlan, type Plan, type Value } from './types.js'

/** Stable hash of everything that changes what the layer does (never of absolute paths). */
export function configHash(config: ResolvedConfig): string {
  const { configFile: _f, root: _r, extensions, customRuntime, ...rest } = config
  const canonical = {
    ...rest,
    // Every hook list (node.preloads and node.imports included) by name and options, never by absolute path.
    ...hookHashView(rest),
    // Only when used, so configs without them keep their id; never the absolute source paths.
    ...(extensions.length > 0 ? { extensions: extensions.map((e) => ({ name: e.name, kind: e.kind, files: e.files.map((f) => f.path) })) } : {}),
    ...(customRuntime.bootstrap ? { customRuntime } : {}),
  }
  return createHash('sha256').update(stableJson(canonical)).digest('hex')
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`
  return JSON.stringify(v)
}

/** Entries sorted by name: edits of different variables commute, and the same config must give the same bytes. */
const sorted = (m: Readonly<Record<string, string>>): Array<[string, string]> => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

function envOps(e: ResolvedEnvEdits): EnvOp[] {
  const ops: EnvOp[] = []
  for (const name of [...e.unset].sort()) ops.push({ op: 'unset', name })
  for (const [name, v] of sorted(e.set)) ops.push({ op: 'set', name, value: [v] })
  for (const [name, v] of sorted(e.default)) ops.push({ op: 'default', name, value: [v] })
  for (const [name, v] of sorted(e.prepend)) ops.push({ op: 'prepend', name, value: [v], sep: separatorFor(name) })
  for (const [name, v] of sorted(e.append)) ops.push({ op: 'append', name, value: [v], sep: separatorFor(name) })
  return ops
}

/** Joins values with a space (for NODE_OPTIONS). */
function joinValues(values: readonly Value[]): Value {
  return values.flatMap((v, i) => (i === 0 ? v : [' ', ...v]))
}

/**
 * One argument as a NODE_OPTIONS word. Node splits NODE_OPTIONS at spaces only; `"` starts and ends a
 * quoted run, inside which `\` escapes the next character (node >= 12; checked on node 20). A backslash
 * outside quotes is literal, so only a space or a quote needs the quoted form.
 */
export function nodeOptionsWord(arg: string): string {
  return /[ "]/.test(arg) ? `"${arg.replace(/[\\"]/g, '\\$&')}"` : arg
}

function nodePlan(config: ResolvedConfig, common: EnvOp[]): FamilyPlan {
  const n = config.node
  const hasPreload = n.preloads.length > 0
  const injected: Value[] = [...n.flags.map((f) => [f]), ...(hasPreload ? [['--require'], [{ file: PRELOAD_FILE }]] : [])]
  // With a code cache preload.cjs only loads the bundle: the wrapper fails open when either is missing (a cache may be).
  const requires = hasPreload ? [PRELOAD_FILE, ...(n.codeCache ? [PRELOAD_BUNDLE_FILE] : [])] : []
  if (n.inject === 'argv') return { family: 'node', flags: injected, env: [...common, ...envOps(n.env)], requires }
  // NODE_OPTIONS: one prepend, so our hooks run before any the user's own NODE_OPTIONS add. Each
  // word is written in NODE_OPTIONS syntax: flags now, the preload's path by the wrapper at run time.
  const env = [...common, ...envOps(n.env)]
  const words: Value[] = [...n.flags.map((f) => [nodeOptionsWord(f)]), ...(hasPreload ? [['--require'], [{ file: PRELOAD_FILE, nodeOptions: true as const }]] : [])]
  if (words.length > 0) env.push({ op: 'prepend', name: 'NODE_OPTIONS', value: joinValues(words), sep: ' ' })
  return { family: 'node', flags: [], env, requires }
}

export function plan(config: ResolvedConfig): Plan {
  const common = envOps(config.env)
  const families = {} as Record<Family, FamilyPlan>
  for (const family of FAMILIES) {
    if (family === 'node') families.node = withHooks(config, nodePlan(config, common))
    else families[family] = withHooks(config, { family, flags: config[family].flags.map((f) => [f]), env: [...common, ...envOps(config[family].env)], requires: [] })
  }
  return {
    name: config.name,
    id: `${config.name}@${configHash(config).slice(0, 12)}`,
    failMode: config.failMode,
    families,
    otherEnv: common,
    chain: config.chain,
  }
}
