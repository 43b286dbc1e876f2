// Checks a raw config against the schema; reports every problem at once, each with its key path.
import { byVersion, closest } from './suggest.js'
import { isReserved, MAX_ADDED_BYTES, MAX_ARG_STRLEN, SHELL_MAINTAINED, SHELL_SPECIAL, VAR_NAME, WRAPGEN_VARS } from './env-vars.js'
import { ARGV_RULES } from '../plan/argv-rules.js'
import { FAMILIES, type Family } from './types.js'
import { CONFIG_KEYS, LAMBDA_MEMORY_MB } from './schema.js'
import { validateCustomRuntime, validateExtensions } from './extensions.js'
import { HOOK_KEYS, validateHooks, validateNodeImports, withoutDotSlash } from '../startup-hooks/validate.js'

export interface Finding {
  /** Key path, e.g. `node.preloads[2].module`. */
  readonly path: string
  readonly message: string
}

export interface Validation {
  readonly errors: readonly Finding[]
  readonly warnings: readonly Finding[]
}

export interface ValidateContext {
  /** Runtime ids the catalogue knows (for `runtimes`). */
  readonly knownRuntimes: readonly string[]
  /** Flags node accepts in NODE_OPTIONS (process.allowedNodeEnvironmentFlags). */
  readonly nodeOptionsFlags: ReadonlySet<string>
  /** Whether a path as written (relative to the config's folder) is a file there: a hook path missing its "./". */
  readonly isFile?: ((path: string) => boolean) | undefined
}

/** Node flags the Lambda node runtime passes on its own command line: a NODE_OPTIONS copy loses to them. */
const NODE_ARGV_FLAGS = ['--max-old-space-size', '--max-semi-space-size', '--expose-gc', '--max-http-header-size']

/** How much of a value a message shows: a huge value must not turn into megabytes of error text. */
const SHOWN = 80

/** A value as a message shows it: JSON, cut after about 80 characters (with the full length said). */
export function show(v: unknown): string {
  if (typeof v === 'string') return v.length > SHOWN ? `${JSON.stringify(v.slice(0, SHOWN))}... (${v.length} characters)` : JSON.stringify(v)
  const budget = { left: SHOWN }
  const text = brief(v, budget, new Set())
  return budget.left < 0 ? `${text}...` : text
}

/** Bounded JSON-like text: stops once `budget` characters are spent, so shared or cyclic data costs nothing. */
function brief(v: unknown, budget: { left: number }, open: Set<object>): string {
  const spend = (s: string): string => ((budget.left -= s.length), s)
  if (budget.left < 0) return ''
  if (typeof v === 'string') return spend(JSON.stringify(v.length > budget.left ? v.slice(0, Math.max(budget.left, 0)) : v))
  if (v === undefined) return spend('undefined')
  if (typeof v === 'function') return spend('a function')
  if (typeof v === 'bigint') return spend(`${v}n`)
  if (typeof v === 'symbol') return spend(v.toString())
  if (typeof v !== 'object' || v === null) return spend(JSON.stringify(v))
  if (open.has(v)) return spend('(cycle)')
  open.add(v)
  const out: string[] = []
  const entries = Array.isArray(v) ? v.entries() : Object.entries(v)[Symbol.iterator]()
  for (const [k, x] of entries) {
    if (budget.left < 0) break
    out.push(Array.isArray(v) ? brief(x, budget, open) : `${spend(JSON.stringify(k))}:${brief(x, budget, open)}`)
  }
  open.delete(v)
  const [a, b] = Array.isArray(v) ? ['[', ']'] : ['{', '}']
  return `${a}${out.join(',')}${budget.left < 0 ? '' : b}`
}

/** Index of the first UTF-16 surrogate without its pair, or -1. */
const loneSurrogate = (s: string): number => s.search(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8')
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const keyPath = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key

export function validateConfig(raw: unknown, ctx: ValidateContext): Validation {
  const errors: Finding[] = []
  const warnings: Finding[] = []
  const err = (path: string, message: string): void => void errors.push({ path, message })
  const warn = (path: string, message: string): void => void warnings.push({ path, message })

  const object = (v: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (!isObject(v)) {
      err(path || '(config)', `${show(v)} is not an object`)
      return undefined
    }
    for (const k of Object.keys(v)) {
      if (keys.includes(k)) continue
      const guess = closest(k, keys)
      err(keyPath(path, k), `unknown key${guess ? `; did you mean "${guess}"?` : `; allowed: ${keys.join(', ')}`}`)
    }
    return v
  }
  const noNul = (v: string, path: string): void => {
    if (v.includes('\0')) err(path, `${show(v)} contains a NUL byte, which no argv or environment can carry`)
    const at = loneSurrogate(v)
    if (at >= 0) err(path, `${show(v)} holds a lone UTF-16 surrogate (\\u${v.charCodeAt(at).toString(16).toUpperCase()} at index ${at}), which UTF-8 cannot carry: it would become U+FFFD; fix the text`)
    else if (utf8Bytes(v) >= MAX_ARG_STRLEN) err(path, `${show(v)} is ${utf8Bytes(v)} bytes; exec refuses any argument or variable of ${MAX_ARG_STRLEN} bytes or more ("Argument list too long"), so the function would not start`)
  }
  const string = (v: unknown, path: string, what = 'a string'): v is string => {
    if (typeof v === 'string') {
      noNul(v, path)
      return true
    }
    err(path, `${show(v)} is not ${what}`)
    return false
  }
  const oneOf = (v: unknown, path: string, allowed: readonly string[]): void => {
    if (v !== undefined && !allowed.includes(v as string)) err(path, `${show(v)} is not allowed; use ${allowed.map((a) => `"${a}"`).join(' or ')}`)
  }
  const stringArray = (v: unknown, path: string, each: (s: string, p: string) => void = () => {}): void => {
    if (v === undefined) return
    if (!Array.isArray(v)) return err(path, `${show(v)} is not an array of strings`)
    v.forEach((s, i) => string(s, keyPath(path, i)) && each(s, keyPath(path, i)))
  }
  const codeCache = (v: unknown): void => {
    if (v === undefined || typeof v === 'boolean') return
    const c = object(v, 'node.codeCache', ['memoryMB'])
    if (!c || c.memoryMB === undefined) return
    if (!Array.isArray(c.memoryMB)) return err('node.codeCache.memoryMB', `${show(c.memoryMB)} is not an array of memory sizes in MB`)
    c.memoryMB.forEach((m: unknown, i) => {
      if (typeof m !== 'number' || !Number.isInteger(m) || m < LAMBDA_MEMORY_MB[0] || m > LAMBDA_MEMORY_MB[1])
        err(`node.codeCache.memoryMB[${i}]`, `${show(m)} is not a Lambda memory size; use a whole number of MB from ${LAMBDA_MEMORY_MB[0]} to ${LAMBDA_MEMORY_MB[1]}`)
    })
  }
  const varName = (name: string, path: string): boolean => {
    if (!VAR_NAME.test(name)) return err(path, `${show(name)} is not a portable variable name (letters, digits, _; not starting with a digit)`), false
    if (WRAPGEN_VARS.includes(name)) return err(path, `${name} is wrapgen's own switch; set it on the function instead`), false
    // The wrapper's own variables are wrapgen_*; IFS would change how it splits its own words.
    if (name.startsWith('wrapgen_')) return err(path, `${name} is a variable of the wrapper itself; choose another name`), false
    if (name === 'IFS') return err(path, 'IFS changes how the wrapper itself reads words; it cannot be set from a wrapper'), false
    const special = SHELL_SPECIAL[name]
    if (special !== undefined) return err(path, `${name} is special to the shells that run the wrapper (${special}); choose another name`), false
    const maintained = SHELL_MAINTAINED[name]
    if (maintained !== undefined) warn(path, maintained)
    if (isReserved(name)) warn(path, `${name} is reserved by Lambda; changing it in a wrapper misleads the runtime`)
    if (name === 'PYTHONPATH') warn(path, 'setting PYTHONPATH makes the python runtime drop /opt/python and the layer site-packages from sys.path; prefer a .pth file or append to sys.path in code')
    return true
  }
  const env = (v: unknown, path: string): void => {
    if (v === undefined) return
    const e = object(v, path, ['set', 'default', 'prepend', 'append', 'unset'])
    if (!e) return
    for (const op of ['set', 'default', 'prepend', 'append'] as const) {
      if (e[op] === undefined) continue
      const map = object(e[op], keyPath(path, op), Object.keys(e[op] ?? {}))
      for (const [name, value] of Object.entries(map ?? {})) {
        const p = keyPath(keyPath(path, op), name)
        if (varName(name, p) && string(value, p) && utf8Bytes(`${name}=${value}`) >= MAX_ARG_STRLEN && utf8Bytes(value) < MAX_ARG_STRLEN)
          err(p, `${name}=${show(value)} is ${utf8Bytes(`${name}=${value}`) + 1} bytes with its name; exec refuses any variable over ${MAX_ARG_STRLEN} bytes, so the function would not start`)
        if ((op === 'prepend' || op === 'append') && value === '') err(p, `"" adds nothing; remove the key`)
      }
    }
    stringArray(e.unset, keyPath(path, 'unset'), (name, p) => void varName(name, p))
  }
  // A flag starts with "-"; only the element after an option that takes a separate value may not.
  const flags = (v: unknown, path: string, family: Family): void => {
    if (Array.isArray(v) && v.length > 0) {
      const last = v[v.length - 1]
      const beforeLast = v[v.length - 2]
      const waiting = (o: unknown): boolean => typeof o === 'string' && ARGV_RULES[family].valueOptions.includes(o)
      if (waiting(last) && !waiting(beforeLast))
        err(keyPath(path, v.length - 1), `${show(last)} takes a value, which must follow it in the list; without one the runtime's entry would become its value`)
    }
    stringArray(v, path, (f, p) => {
      const i = Number(/\[(\d+)\]$/.exec(p)?.[1])
      const prev = Array.isArray(v) ? v[i - 1] : undefined
      if (typeof prev === 'string' && ARGV_RULES[family].valueOptions.includes(prev)) return
      if (f === '-') return err(p, `"-" makes ${family} read the program from stdin instead of the runtime's entry; remove it`)
      if (f === '--') return err(p, `"--" ends ${family}'s options: what follows (the runtime's entry${family === 'node' ? ', and the preload' : ''}) would be read as the program and its arguments; remove it`)
      if (ARGV_RULES[family].entryOptions.includes(f)) return err(p, `${show(f)} makes ${family} run a program of its own instead of the runtime's entry; remove it`)
      if (f.startsWith('-')) return
      err(p, `${show(f)} is not a flag; flags start with "-" (an option's value goes in the same element, "--opt=value", or after an option that takes one, such as ${ARGV_RULES[family].valueOptions.slice(0, 2).map((o) => `"${o}"`).join(' or ')})`)
    })
  }

  // The keys come from the schema's source, so validation, types and schema.json agree ($schema last: it is for editors).
  const root = object(raw, '', [...CONFIG_KEYS.filter((k) => k !== '$schema'), '$schema'])
  if (!root) return { errors, warnings }
  // JSON and YAML configs name wrapgen/schema.json here for editor completion (src/config/schema.ts).
  if (root.$schema !== undefined) string(root.$schema, '$schema')
  validateExtensions(root.extensions, err)
  validateCustomRuntime(root.customRuntime, err)

  if (root.name === undefined) err('name', 'is required: it names the layer zip and the manifest, e.g. "acme-startup"')
  else if (string(root.name, 'name') && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(root.name))
    err('name', `${show(root.name)} must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`)
  oneOf(root.failMode, 'failMode', ['open', 'closed'])
  if (Array.isArray(root.runtimes) && root.runtimes.length === 0)
    err('runtimes', '[] lists no runtime, so the layer would serve none; list the runtimes (e.g. ["nodejs20.x"]) or remove the key for every one in the catalogue')
  stringArray(root.runtimes, 'runtimes', (id, p) => {
    if (id.startsWith('provided')) err(p, `${show(id)} never runs AWS_LAMBDA_EXEC_WRAPPER (OS-only runtime); remove it`)
    else if (!ctx.knownRuntimes.includes(id)) {
      const guess = closest(id, ctx.knownRuntimes, byVersion)
      err(p, `${show(id)} is not a known runtime${guess ? `; did you mean "${guess}"?` : ''} (see docs/runtimes.md)`)
    }
  })
  env(root.env, 'env')
  // A chained wrapper: its absolute path, or { path, allow } (what verify accepts from it).
  const ALLOW = ['handler', 'runtime-api', 'replace-runtime', 'option-change']
  const chainPath = (w: unknown, p: string): void => {
    if (string(w, p) && !w.startsWith('/')) err(p, `${show(w)} must be an absolute path, e.g. "/opt/otel-handler"`)
  }
  if (root.chain !== undefined && !Array.isArray(root.chain)) err('chain', `${show(root.chain)} is not an array`)
  for (const [i, w] of (Array.isArray(root.chain) ? root.chain : []).entries()) {
    const p = keyPath('chain', i)
    if (!isObject(w)) {
      chainPath(w, p)
      continue
    }
    const entry = object(w, p, ['path', 'allow'])
    if (!entry) continue
    if (entry.path === undefined) err(keyPath(p, 'path'), 'is required: the wrapper\'s absolute path, e.g. "/opt/otel-handler"')
    else chainPath(entry.path, keyPath(p, 'path'))
    stringArray(entry.allow, keyPath(p, 'allow'), (a, ap) => {
      if (!ALLOW.includes(a)) err(ap, `${show(a)} is not a change verify can accept; use ${ALLOW.map((x) => `"${x}"`).join(', ')}`)
    })
  }

  for (const family of FAMILIES) {
    const keys = family === 'node' ? ['flags', 'env', 'preloads', 'inject', 'external', 'mainFields', 'codeCache', 'imports'] : ['flags', 'env', ...HOOK_KEYS[family]]
    if (root[family] === undefined) continue
    const rt = object(root[family], family, keys)
    if (!rt) continue
    flags(rt.flags, keyPath(family, 'flags'), family)
    env(rt.env, keyPath(family, 'env'))
    if (family !== 'node') validateHooks(family, rt, err, { isFile: ctx.isFile, warn })
    if (family !== 'node') continue
    oneOf(rt.inject, 'node.inject', ['argv', 'NODE_OPTIONS'])
    stringArray(rt.external, 'node.external')
    stringArray(rt.mainFields, 'node.mainFields', (f, p) => {
      if (!['main', 'module', 'browser'].includes(f)) err(p, `${show(f)} is not a package.json field esbuild reads; use "main", "module" or "browser"`)
    })
    codeCache(rt.codeCache)
    preloads(rt.preloads)
    validateNodeImports(rt.imports, err, { isFile: ctx.isFile })
    if (rt.inject === 'NODE_OPTIONS' && Array.isArray(rt.flags)) {
      rt.flags.forEach((f: unknown, i) => {
        if (typeof f !== 'string' || !f.startsWith('-')) return
        const bare = f.split('=')[0]!
        const p = `node.flags[${i}]`
        if (!ctx.nodeOptionsFlags.has(bare) && !ctx.nodeOptionsFlags.has(bare.replace(/_/g, '-')))
          warn(p, `${show(f)} is not accepted in NODE_OPTIONS (node refuses to start); use inject: "argv"`)
        else if (NODE_ARGV_FLAGS.includes(bare.replace(/_/g, '-')))
          warn(p, f.includes('=')
            ? `${show(f)} in NODE_OPTIONS is overridden by the runtime's own ${bare} on the command line; use inject: "argv" to win`
            : `${show(f)} is already on the runtime's command line; remove it`)
      })
    }
  }

  // What exec must carry, per family: the variables and flags this config adds, each with its NUL and
  // pointer. Over MAX_ADDED_BYTES, exec (with Lambda's own variables) would fail: E2BIG.
  const total = (strings: readonly string[]): number => strings.reduce((n, s) => n + utf8Bytes(s) + 9, 0)
  const tooMuch = (bytes: number, what: string): string =>
    `${what} would carry ${bytes} bytes of configured variables and flags; exec fails ("Argument list too long") near 2 MiB with Lambda's own, and wrapgen allows ${MAX_ADDED_BYTES}: move large data to a file`
  const common = total(envStrings(root.env))
  if (common > MAX_ADDED_BYTES) err('env', tooMuch(common, 'every command'))
  else for (const family of FAMILIES) {
    const strings = [...envStrings(root.env), ...envStrings(isObject(root[family]) ? root[family].env : undefined)]
    const rt = root[family]
    if (isObject(rt) && Array.isArray(rt.flags)) strings.push(...rt.flags.filter((f): f is string => typeof f === 'string'))
    const bytes = total(strings)
    if (bytes > MAX_ADDED_BYTES) err(family, tooMuch(bytes, `the ${family} command`))
  }

  function preloads(v: unknown): void {
    if (v === undefined) return
    if (!Array.isArray(v)) return err('node.preloads', `${show(v)} is not an array`)
    v.forEach((p: unknown, i) => {
      const path = `node.preloads[${i}]`
      if (typeof p === 'string') return void moduleSpec(p, path)
      const spec = object(p, path, ['module', 'options', 'critical', 'budgetMs'])
      if (!spec) return
      if (spec.module === undefined) err(keyPath(path, 'module'), 'is required: a local file, a package specifier or "wrapgen/preloads/<name>"')
      else if (string(spec.module, keyPath(path, 'module'))) moduleSpec(spec.module, keyPath(path, 'module'))
      if (spec.options !== undefined) {
        if (!isObject(spec.options)) err(keyPath(path, 'options'), `${show(spec.options)} is not an object`)
        else {
          const size = jsonSize(spec.options, MAX_OPTIONS_BYTES)
          if (size === 'not-json') err(keyPath(path, 'options'), 'must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is embedded in the bundle')
          else if (size > MAX_OPTIONS_BYTES) err(keyPath(path, 'options'), `is over ${MAX_OPTIONS_BYTES} bytes as JSON (shared parts count each time they appear); it is embedded in the bundle, which node reads on every cold start: load large data at run time instead`)
        }
      }
      if (spec.critical !== undefined && typeof spec.critical !== 'boolean') err(keyPath(path, 'critical'), `${show(spec.critical)} is not true or false`)
      if (spec.budgetMs !== undefined && (typeof spec.budgetMs !== 'number' || !Number.isFinite(spec.budgetMs) || spec.budgetMs <= 0 || spec.budgetMs > 600_000))
        err(keyPath(path, 'budgetMs'), `${show(spec.budgetMs)} is not a number of milliseconds above 0 and at most 600000`)
    })
  }
  function moduleSpec(m: string, path: string): void {
    if (m.trim() === '') err(path, `${show(m)} is not a module; give a file path or a package specifier`)
    // esbuild names inputs by their path: an absolute one would make the bundle differ between checkouts.
    else if (m.startsWith('/')) err(path, `${show(m)} is an absolute path, which would make the layer differ wherever the project is checked out; write it relative to the config's folder ("./preloads/hook.ts") or install it as a package`)
    else {
      const meant = withoutDotSlash(m, { isFile: ctx.isFile })
      if (meant) err(path, `${show(m)} is not a local path (those start with "./" or "../"), but ${meant} is a file beside the config: did you mean ${show(meant)}?`)
    }
    noNul(m, path)
  }
  return { errors, warnings }
}

/** `NAME=value` for every string value of an env edits object. */
function envStrings(e: unknown): string[] {
  if (!isObject(e)) return []
  return (['set', 'default', 'prepend', 'append'] as const).flatMap((op) => {
    const m = e[op]
    return isObject(m) ? Object.entries(m).filter((kv): kv is [string, string] => typeof kv[1] === 'string').map(([k, s]) => `${k}=${s}`) : []
  })
}

/** Hook options are embedded in the bundle: 256 KiB of JSON is far more than any option needs. */
const MAX_OPTIONS_BYTES = 256 * 1024

/**
 * About how many bytes `v` takes as JSON, counting shared parts each time (as JSON.stringify would);
 * stops once over `limit`, so an alias bomb or a huge value costs no more than the limit. `not-json`
 * for anything JSON cannot hold as it is (functions, undefined, class instances, cycles).
 */
function jsonSize(v: unknown, limit: number): number | 'not-json' {
  let size = 0
  const open = new Set<object>()
  const walk = (x: unknown): boolean => {
    if (size > limit) return true
    if (x === null || typeof x === 'boolean') return (size += 5), true
    if (typeof x === 'string') return (size += x.length + 2), true
    if (typeof x === 'number') return (size += 8), Number.isFinite(x)
    if (typeof x !== 'object' || open.has(x)) return false
    const array = Array.isArray(x)
    if (!array && Object.getPrototypeOf(x) !== Object.prototype) return false
    open.add(x)
    size += 2
    for (const [k, y] of Object.entries(x)) {
      size += array ? 1 : k.length + 4
      if (!walk(y)) return false
      if (size > limit) break
    }
    open.delete(x)
    return true
  }
  return walk(v) ? size : 'not-json'
}
