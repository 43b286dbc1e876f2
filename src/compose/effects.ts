// From observed runs to verdicts: what a vendor's wrapper does (passes the command on, or replaces
// the runtime), the order a chain of them can run in, and which of their effects reached the runtime
// through the composed wrapper. Pure: the runs themselves happen in classify.ts.
import { separatorFor } from '../config/env-vars.js'
import { UserError } from '../errors.js'
import type { Observed } from './classify.js'
import type { Attribution, Classified, Effects } from './types.js'

/** Variables a shell sets on its own, and the one the bootstrap sets: never a wrapper's effect. */
const NOT_EFFECTS = new Set(['_', 'SHLVL', 'PWD', 'OLDPWD', 'AWS_LAMBDA_EXEC_WRAPPER'])

/** `sub`'s elements appear in `all` in order; returns the elements of `all` left over, or undefined. */
function leftover(all: readonly string[], sub: readonly string[]): string[] | undefined {
  const extra: string[] = []
  let j = 0
  for (const a of all) {
    if (j < sub.length && a === sub[j]) j++
    else extra.push(a)
  }
  return j === sub.length ? extra : undefined
}

export function effectsOf(o: Observed): Effects {
  const extra = o.ran && o.argv[0] === o.baseArgv[0] ? leftover(o.argv, o.baseArgv) : undefined
  const env: Record<string, string | null> = {}
  if (o.ran) {
    for (const k of new Set([...Object.keys(o.baseEnv), ...Object.keys(o.env)])) {
      if (NOT_EFFECTS.has(k) || o.env[k] === o.baseEnv[k]) continue
      env[k] = o.env[k] ?? null
    }
  }
  const stderr = o.stderr.split('\n').find((l) => l.trim() && !/setlocale/.test(l)) ?? ''
  return { ran: o.ran, argv: o.argv, keptArgs: extra !== undefined, addedArgs: extra ?? [], env, exitCode: o.code, stderr }
}

export function classify(layer: number, wrapper: string, byRuntime: Readonly<Record<string, Effects>>): Classified {
  let reason = ''
  for (const [rt, e] of Object.entries(byRuntime)) {
    if (!e.ran) reason = `on ${rt} the runtime's interpreter never started (the wrapper ended with exit ${e.exitCode ?? 'none: ended by a signal'}${e.stderr ? `: ${e.stderr}` : ''}): it runs a program of its own`
    else if (!e.keptArgs) reason = `on ${rt} it does not pass the runtime's command on: ${e.argv.length <= 1 ? `it runs the program ${JSON.stringify(e.argv[0] ?? '')} instead` : `the interpreter started with ${JSON.stringify(e.argv.slice(1))}`}`
    if (reason) break
  }
  const editsArgv = Object.values(byRuntime).some((e) => e.keptArgs && e.addedArgs.length > 0)
  return { layer, wrapper, kind: reason ? 'replaces' : 'passes', reason, editsArgv, byRuntime }
}

/**
 * The chain: wrappers that pass the command on first, in layer order, those that only edit the
 * environment before those that edit the command line (which then see the runtime's own command,
 * not the next wrapper's path); the one that replaces the runtime last, since the wrappers after it
 * would never run. Two that replace it cannot both run: refused.
 */
export function chainOrder(all: readonly Classified[], name: (layer: number) => string): Classified[] {
  const replacing = all.filter((c) => c.kind === 'replaces')
  if (replacing.length > 1) {
    throw new UserError('these layers cannot be composed: more than one wrapper replaces the runtime, and only the last wrapper of a chain may do that (the ones after it never run)', {
      details: replacing.map((c) => `${name(c.layer)}: ${c.wrapper}: ${c.reason}`).concat('keep one of these layers (or compose the others and attach this one as a separate function\'s wrapper)'),
    })
  }
  const passing = all.filter((c) => c.kind === 'passes')
  return [...passing.filter((c) => !c.editsArgv), ...passing.filter((c) => c.editsArgv), ...replacing]
}

/** Path lists (PATH, NODE_PATH, PYTHONPATH, CLASSPATH, LD_LIBRARY_PATH) and .NET's startup hooks. */
const COLON_LIST = /(^|_)PATH$|^CLASSPATH$|^DOTNET_STARTUP_HOOKS$/

/**
 * The part of `value` a wrapper added to what was there (`base`): a list variable (PATH, NODE_OPTIONS)
 * grows by a separator at either end; anything else was replaced whole (sep ''). A list that was unset
 * is known by its name, since others may add to it in the chain (wrapgen's own NODE_OPTIONS). Blanks
 * around a space-separated part are not part of it (`"${NODE_OPTIONS} --import x"` when it was unset).
 */
export function contribution(value: string, base: string | undefined, variable = ''): { part: string; sep: string } {
  if (base) {
    for (const sep of [' ', ':']) {
      if (value.startsWith(base + sep)) return { part: trimList(value.slice(base.length + 1), sep), sep }
      if (value.endsWith(sep + base)) return { part: trimList(value.slice(0, -base.length - 1), sep), sep }
    }
  }
  const sep = separatorFor(variable) === ' ' ? ' ' : COLON_LIST.test(variable) ? ':' : ''
  return { part: trimList(value, sep), sep }
}

/** A list's elements (blanks or colons; empty ones are not elements). */
const elements = (s: string, sep: string): string[] => (sep === ' ' ? s.split(/\s+/) : s.split(sep)).filter(Boolean)

const trimList = (s: string, sep: string): string => (sep === '' ? s : elements(s, sep).join(sep))

/** Whether `part` is in `got`: equal, or (for a list) a run of its elements, blanks aside. */
function holds(got: string | undefined, part: string, sep: string): boolean {
  if (got === undefined) return false
  if (got === part) return true
  if (sep === '') return false
  const all = elements(got, sep)
  const run = elements(part, sep)
  if (!run.length) return true
  for (let i = 0; i + run.length <= all.length; i++) if (run.every((x, k) => all[i + k] === x)) return true
  return false
}

/**
 * For every variable a vendor's wrapper changed alone, whether its part arrived through the composed
 * wrapper; `chain` is the order they run in (earlier wrappers' values are what a later one sees).
 * Two handler wrappers hand on to each other through their own variables: the second keeps the
 * first's _HANDLER as its "original" (where it kept the runtime's handler when alone) and calls it,
 * so the first's _HANDLER arrives in the second's variable, which holds the first's handler instead
 * of the function's; both are the chain working, and said so. Nothing else counts as arriving: an
 * edit that did not arrive names the wrapper after it that sets the same variable, if one does.
 */
export function attribute(classified: readonly Classified[], composed: Readonly<Record<string, Observed>>, chain: readonly Classified[] = classified): Attribution[] {
  const out: Attribution[] = []
  const order = (c: Classified): number => chain.indexOf(c)
  for (const c of classified) {
    for (const [rt, e] of Object.entries(c.byRuntime)) {
      const o = composed[rt]
      if (!o?.ran) continue
      const setsAlone = (x: Classified, k: string): string | null | undefined => x.byRuntime[rt]?.env[k]
      for (const [variable, value] of Object.entries(e.env)) {
        const { part, sep } = value === null ? { part: null, sep: '' } : contribution(value, o.baseEnv[variable], variable)
        const got = o.env[variable]
        const row = { runtime: rt, layer: c.layer, variable, value: part }
        if (part === null ? got === undefined : holds(got, part, sep)) {
          out.push({ ...row, arrived: true })
          continue
        }
        const handler = o.baseEnv._HANDLER
        // c kept the runtime's handler in `variable`; in the chain it holds the _HANDLER of a wrapper before it.
        const before = handler !== undefined && value === handler ? chain.find((x) => x !== c && order(x) < order(c) && setsAlone(x, '_HANDLER') === got) : undefined
        if (before) {
          out.push({ ...row, arrived: true, note: `holds the _HANDLER of the wrapper before it (${before.wrapper}): the two hand on to each other` })
          continue
        }
        // c's _HANDLER kept by a later wrapper in the variable where that one keeps the runtime's handler.
        const keeper = variable === '_HANDLER' && part !== null ? chain.filter((x) => x !== c && order(x) > order(c)).flatMap((x) => Object.entries(x.byRuntime[rt]?.env ?? {}).filter(([k, v]) => k !== '_HANDLER' && v === handler && o.env[k] === part).map(([k]) => k))[0] : undefined
        if (keeper) {
          out.push({ ...row, arrived: true, note: `kept by a later wrapper in ${keeper}` })
          continue
        }
        const after = chain.filter((x) => x !== c && order(x) > order(c) && setsAlone(x, variable) !== undefined)
        out.push({ ...row, arrived: false, ...(after.length ? { by: after.map((x) => x.layer) } : {}) })
      }
    }
  }
  return out
}
