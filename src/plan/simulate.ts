// What the generated wrapper does to a command, computed in TypeScript from the same plan the script
// is rendered from: `wrapgen print` shows it, and verify compares the real script's effect against it.
import type { Family } from '../config/types.js'
import { familyOf, findEntry } from './argv-rules.js'
import { nodeOptionsDirProblem, usesNodeOptionsPath, type EnvOp, type Plan, type Value } from './types.js'

export interface SimulateInput {
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  /** Absolute folder the wrapper sits in. */
  readonly wrapperDir: string
  /** Whether a file of ours (relative to wrapperDir) exists; default: all do. */
  readonly exists?: (file: string) => boolean
  /** Whether a chained wrapper is executable; default: all are. */
  readonly executable?: (path: string) => boolean
}

export interface SimulateResult {
  /** The command exec'd, or undefined when the wrapper exits instead. */
  readonly argv: readonly string[] | undefined
  readonly env: Readonly<Record<string, string>>
  /** The family branch taken, `other` for an unrecognised interpreter, `bypass` when nothing ran. */
  readonly branch: Family | 'other' | 'bypass'
  /** Lines the wrapper writes to stderr. */
  readonly stderr: readonly string[]
  readonly exitCode: number | undefined
  /** Indexes in `argv` of the elements the wrapper added (flags, chained wrappers). */
  readonly added: readonly number[]
}

/** A value's text; a NODE_OPTIONS path is put in double quotes when the folder holds a space. */
const valueText = (v: Value, dir: string): string =>
  v.map((p) => (typeof p === 'string' ? p : p.nodeOptions && dir.includes(' ') ? `"${dir}/${p.file}"` : `${dir}/${p.file}`)).join('')

function applyEnv(ops: readonly EnvOp[], env: Record<string, string>, dir: string): void {
  for (const op of ops) {
    if (op.op === 'unset') {
      delete env[op.name]
      continue
    }
    const value = valueText(op.value, dir)
    const cur = env[op.name]
    if (op.op === 'set') env[op.name] = value
    else if (op.op === 'default') {
      if (!cur) env[op.name] = value
    } else if (!`${op.sep}${cur ?? ''}${op.sep}`.includes(`${op.sep}${value}${op.sep}`)) {
      env[op.name] = cur ? (op.op === 'prepend' ? `${value}${op.sep}${cur}` : `${cur}${op.sep}${value}`) : value
    }
  }
}

export function simulate(plan: Plan, input: SimulateInput): SimulateResult {
  const env = { ...input.env }
  const stderr: string[] = []
  const exists = input.exists ?? (() => true)
  const executable = input.executable ?? (() => true)
  const applied = `:${env.WRAPGEN_APPLIED ?? ''}:`
  if (applied.includes(`:${plan.id}:`) || env.WRAPGEN_DISABLE === '1')
    return { argv: input.argv, env, branch: 'bypass', stderr, exitCode: undefined, added: [] }
  if (input.argv.length === 0)
    return { argv: undefined, env, branch: 'bypass', stderr: ['wrapgen: no command to run; Lambda passes the runtime command as arguments'], exitCode: 127, added: [] }

  const family = familyOf(input.argv[0]!)
  const fp = family ? plan.families[family] : plan.families.dotnet
  const envOnly = family === undefined && (env.AWS_EXECUTION_ENV ?? '').startsWith('AWS_Lambda_dotnet')
  const branch = family ?? 'other'
  // A .NET single-file executable gets the dotnet environment only, and needs its files all the same.
  for (const file of family || envOnly ? fp.requires : []) {
    if (exists(file)) continue
    const path = `${input.wrapperDir}/${file}`
    if (plan.failMode === 'closed') {
      stderr.push(`wrapgen: ${path} is missing and failMode is "closed"; not starting the function`)
      return { argv: undefined, env, branch, stderr, exitCode: 1, added: [] }
    }
    stderr.push(`wrapgen: ${path} is missing; running the function without wrapgen (failMode "open")`)
    return { argv: input.argv, env, branch, stderr, exitCode: undefined, added: [] }
  }
  if (family && usesNodeOptionsPath(fp) && /["\\]/.test(input.wrapperDir)) {
    const problem = nodeOptionsDirProblem(input.wrapperDir)
    if (plan.failMode === 'closed') {
      stderr.push(`wrapgen: ${problem} and failMode is "closed"; not starting the function`)
      return { argv: undefined, env, branch, stderr, exitCode: 1, added: [] }
    }
    stderr.push(`wrapgen: ${problem}; running the function without wrapgen (failMode "open")`)
    return { argv: input.argv, env, branch, stderr, exitCode: undefined, added: [] }
  }
  // The .NET environment-only fallback does not mark the command: argv[0] may be another wrapper.
  if (family) env.WRAPGEN_APPLIED = env.WRAPGEN_APPLIED ? `${env.WRAPGEN_APPLIED}:${plan.id}` : plan.id
  applyEnv(family || envOnly ? fp.env : plan.otherEnv, env, input.wrapperDir)

  let argv = [...input.argv]
  let added: number[] = []
  if (family && fp.flags.length > 0) {
    const at = findEntry(family, argv)
    if (at < 0) stderr.push(`wrapgen: no program entry found in the ${family} command; flags not added`)
    else {
      argv.splice(at, 0, ...fp.flags.map((f) => valueText(f, input.wrapperDir)))
      added = fp.flags.map((_, i) => at + i)
    }
  }
  for (const w of [...plan.chain].reverse()) {
    if (executable(w)) {
      argv = [w, ...argv]
      added = [0, ...added.map((i) => i + 1)]
    }
    else if (plan.failMode === 'closed') {
      stderr.push(`wrapgen: chained wrapper ${w} is not an executable file and failMode is "closed"; not starting the function`)
      return { argv: undefined, env, branch, stderr, exitCode: 1, added: [] }
    } else stderr.push(`wrapgen: chained wrapper ${w} is not an executable file; skipped`)
  }
  return { argv, env, branch, stderr, exitCode: undefined, added }
}
