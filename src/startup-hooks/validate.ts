// Validation of the startup-hook keys of python, ruby, java and dotnet, and of node.imports (issue 7).
// validate.ts calls validateHooks once per family; findings use the same key paths and wording as the rest.
import type { Family } from '../config/types.js'

/** The hook keys each family accepts besides `flags` and `env`. */
export const HOOK_KEYS: Readonly<Record<Exclude<Family, 'node'>, readonly string[]>> = {
  python: ['preloads'],
  ruby: ['preloads'],
  java: ['agents', 'inject'],
  dotnet: ['startupHooks'],
}

type Report = (path: string, message: string) => void

/** What validation may ask of the folder relative paths resolve from (the config's). */
export interface HookContext {
  /** Whether `path` (as written, relative to the config's folder) is a file there. */
  readonly isFile?: ((path: string) => boolean) | undefined
  readonly warn?: Report
}

/** A name written without "./" that is a file beside the config: a local path missing its "./". */
export function withoutDotSlash(m: string, ctx: HookContext): string | undefined {
  return !isLocal(m) && ctx.isFile?.(m) ? `./${m}` : undefined
}

/** An absolute hook path would put this machine's path into the layer (node.preloads refuses it too). */
const absolute = (m: string): string => `${JSON.stringify(m)} is an absolute path, which would put this machine's path into the layer and make it differ wherever the project is checked out; write it relative to the config's folder ("./hooks/${m.split('/').pop()}")`

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v))
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isJson = (v: unknown): boolean =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ||
  (Array.isArray(v) && v.every(isJson)) || (isObject(v) && Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every(isJson))

/** What each family's entry names, its key, and a file ending it must have (if local). */
const ENTRY: Readonly<Record<Exclude<Family, 'node'>, { key: string; list: string; what: string; ext: readonly string[]; localOnly: boolean }>> = {
  python: { key: 'module', list: 'preloads', what: 'a local .py file ("./hooks/otel.py") or a module name ("acme_hooks.otel")', ext: ['.py'], localOnly: false },
  ruby: { key: 'module', list: 'preloads', what: 'a local .rb file ("./hooks/otel.rb") or a library name ("acme/hooks")', ext: ['.rb'], localOnly: false },
  java: { key: 'jar', list: 'agents', what: 'the path of an agent jar ("./agents/otel.jar")', ext: ['.jar'], localOnly: true },
  dotnet: { key: 'assembly', list: 'startupHooks', what: 'the path of a startup hook assembly ("./hooks/Otel.StartupHook.dll")', ext: ['.dll'], localOnly: true },
}

const isLocal = (m: string): boolean => m.startsWith('./') || m.startsWith('../') || m.startsWith('/')

export function validateHooks(family: Exclude<Family, 'node'>, rt: Record<string, unknown>, err: Report, ctx: HookContext = {}): void {
  const e = ENTRY[family]
  const base = `${family}.${e.list}`
  if (family === 'java' && rt.inject !== undefined && rt.inject !== 'argv' && rt.inject !== 'JAVA_TOOL_OPTIONS')
    err('java.inject', `${show(rt.inject)} is not allowed; use "argv" or "JAVA_TOOL_OPTIONS"`)
  const list = rt[e.list]
  if (list === undefined) return
  if (!Array.isArray(list)) return err(base, `${show(list)} is not an array`)
  const seen = new Map<string, [number, string]>()
  list.forEach((item: unknown, i) => {
    const path = `${base}[${i}]`
    // .NET file names are matched without regard to case (Otel.DLL), as .NET matches assembly names.
    const ends = (m: string): boolean => e.ext.some((x) => (family === 'dotnet' ? m.toLowerCase() : m).endsWith(x))
    const named = (m: unknown, p: string): void => {
      if (typeof m !== 'string') return err(p, `${show(m)} is not a string: give ${e.what}`)
      if (m.trim() === '' || m.includes('\0')) return err(p, `${show(m)} is not ${e.what}`)
      if (m.startsWith('/')) return err(p, absolute(m))
      // "otel.py" would be a module (or a package's file) named so, looked up at run time and never shipped.
      const meant = withoutDotSlash(m, ctx)
      if (meant) return err(p, `${show(m)} is not a local path (those start with "./" or "../"), but ${meant} is a file beside the config: did you mean ${show(meant)}?`)
      if (family === 'python' && !isLocal(m) && !m.includes('/') && m.endsWith('.py')) ctx.warn?.(p, `${show(m)} is taken as a python module name (the module "py" of a package "${m.slice(0, -3)}"); a module name has no .py (did you mean "${m.slice(0, -3)}"?), and a local file starts with "./"`)
      const pkgFile = !isLocal(m) && m.includes('/') && ends(m)
      if (e.localOnly && !isLocal(m) && !pkgFile) return err(p, `${show(m)} must be a local path ("./${m}") or a file of a package ("@acme/hooks/${m}"): the file is copied into the layer`)
      if ((isLocal(m) || e.localOnly) && !ends(m)) err(p, `${show(m)} does not end in ${e.ext.join(' or ')}; give ${e.what}`)
      if (!isLocal(m) && !pkgFile && family === 'python' && !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(m)) err(p, `${show(m)} is neither a local path, a package's .py file nor a python module name; give ${e.what}`)
      // .NET loads one assembly of a name: two files named alike are one hook run twice, or a second
      // that fails to load. The file name stands for the assembly name, as it does in practice.
      const key = family === 'dotnet' ? (m.split('/').pop() ?? m).toLowerCase() : m
      const first = seen.get(key)
      if (first === undefined) seen.set(key, [i, m])
      else if (first[1] === m) err(p, `${show(m)} is already ${base}[${first[0]}]; a hook runs once`)
      else err(p, `${show(m)} has the file name of ${base}[${first[0]}]; .NET loads one assembly of a name, so give each hook its own`)
    }
    if (typeof item === 'string') return named(item, path)
    if (!isObject(item)) return err(path, `${show(item)} is not a string or an object`)
    const allowed = [e.key, 'options', 'critical']
    for (const k of Object.keys(item)) if (!allowed.includes(k)) err(`${path}.${k}`, `unknown key; allowed: ${allowed.join(', ')}`)
    if (item[e.key] === undefined) err(`${path}.${e.key}`, `is required: ${e.what}`)
    else named(item[e.key], `${path}.${e.key}`)
    if (item.critical !== undefined && typeof item.critical !== 'boolean') err(`${path}.critical`, `${show(item.critical)} is not true or false`)
    if (item.options === undefined) return
    if (family === 'java') {
      if (typeof item.options !== 'string') err(`${path}.options`, `${show(item.options)} is not a string: it is the agent's options, as after "=" in -javaagent:x.jar=options`)
      else if (/[\0\n\r]/.test(item.options)) err(`${path}.options`, `${show(item.options)} contains a NUL or newline, which the JVM cannot pass to premain`)
      else if (rt.inject === 'JAVA_TOOL_OPTIONS' && /\s/.test(item.options)) err(`${path}.options`, `${show(item.options)} contains white space, which JAVA_TOOL_OPTIONS would split; use inject: "argv"`)
    } else if (!isObject(item.options)) err(`${path}.options`, `${show(item.options)} is not an object`)
    else if (!isJson(item.options)) err(`${path}.options`, 'must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is written into the layer')
  })
}

/** node.imports: entries shaped like node.preloads. */
export function validateNodeImports(list: unknown, err: Report, ctx: HookContext = {}): void {
  if (list === undefined) return
  if (!Array.isArray(list)) return err('node.imports', `${show(list)} is not an array`)
  const what = 'a local file, a package specifier or "wrapgen/preloads/<name>"'
  list.forEach((item: unknown, i) => {
    const path = `node.imports[${i}]`
    const named = (m: unknown, p: string): void => {
      if (typeof m !== 'string' || m.trim() === '' || m.includes('\0')) return err(p, `${show(m)} is not a module; give ${what}`)
      if (m.startsWith('/')) return err(p, absolute(m))
      const meant = withoutDotSlash(m, ctx)
      if (meant) err(p, `${show(m)} is not a local path (those start with "./" or "../"), but ${meant} is a file beside the config: did you mean ${show(meant)}?`)
    }
    if (typeof item === 'string') return named(item, path)
    if (!isObject(item)) return err(path, `${show(item)} is not a string or an object`)
    for (const k of Object.keys(item)) if (!['module', 'options', 'critical'].includes(k)) err(`${path}.${k}`, 'unknown key; allowed: module, options, critical')
    if (item.module === undefined) err(`${path}.module`, `is required: ${what}`)
    else named(item.module, `${path}.module`)
    if (item.critical !== undefined && typeof item.critical !== 'boolean') err(`${path}.critical`, `${show(item.critical)} is not true or false`)
    if (item.options !== undefined && (!isObject(item.options) || !isJson(item.options))) err(`${path}.options`, `${show(item.options)} is not a plain JSON object: it is written into the layer`)
  })
}
