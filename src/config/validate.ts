// Checks a raw config against the schema; reports every problem at once, each with its key path.
import { closest } from './suggest.js'
import { isReserved, VAR_NAME, WRAPGEN_VARS } from './env-vars.js'
import { ARGV_RULES } from '../plan/argv-rules.js'
import { FAMILIES, type Family } from './types.js'

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
}

/** Node flags the Lambda node runtime passes on its own command line: a NODE_OPTIONS copy loses to them. */
const NODE_ARGV_FLAGS = ['--max-old-space-size', '--max-semi-space-size', '--expose-gc', '--max-http-header-size']

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v))
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
  const varName = (name: string, path: string): boolean => {
    if (!VAR_NAME.test(name)) return err(path, `${show(name)} is not a portable variable name (letters, digits, _; not starting with a digit)`), false
    if (WRAPGEN_VARS.includes(name)) return err(path, `${name} is wrapgen's own switch; set it on the function instead`), false
    // The wrapper's own variables are wrapgen_*; IFS would change how it splits its own words.
    if (name.startsWith('wrapgen_')) return err(path, `${name} is a variable of the wrapper itself; choose another name`), false
    if (name === 'IFS') return err(path, 'IFS changes how the wrapper itself reads words; it cannot be set from a wrapper'), false
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
        if (varName(name, p)) string(value, p)
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
      if (f.startsWith('-') || (typeof prev === 'string' && ARGV_RULES[family].valueOptions.includes(prev))) return
      err(p, `${show(f)} is not a flag; flags start with "-" (an option's value goes in the same element, "--opt=value", or after an option that takes one, such as ${ARGV_RULES[family].valueOptions.slice(0, 2).map((o) => `"${o}"`).join(' or ')})`)
    })
  }

  const root = object(raw, '', ['name', 'failMode', 'runtimes', 'env', 'node', 'python', 'java', 'dotnet', 'ruby', 'chain'])
  if (!root) return { errors, warnings }

  if (root.name === undefined) err('name', 'is required: it names the layer zip and the manifest, e.g. "acme-startup"')
  else if (string(root.name, 'name') && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(root.name))
    err('name', `${show(root.name)} must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`)
  oneOf(root.failMode, 'failMode', ['open', 'closed'])
  stringArray(root.runtimes, 'runtimes', (id, p) => {
    if (id.startsWith('provided')) err(p, `${show(id)} never runs AWS_LAMBDA_EXEC_WRAPPER (OS-only runtime); remove it`)
    else if (!ctx.knownRuntimes.includes(id)) {
      const guess = closest(id, ctx.knownRuntimes)
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
    const keys = family === 'node' ? ['flags', 'env', 'preloads', 'inject', 'external', 'mainFields'] : ['flags', 'env']
    if (root[family] === undefined) continue
    const rt = object(root[family], family, keys)
    if (!rt) continue
    flags(rt.flags, keyPath(family, 'flags'), family)
    env(rt.env, keyPath(family, 'env'))
    if (family !== 'node') continue
    oneOf(rt.inject, 'node.inject', ['argv', 'NODE_OPTIONS'])
    stringArray(rt.external, 'node.external')
    stringArray(rt.mainFields, 'node.mainFields', (f, p) => {
      if (!['main', 'module', 'browser'].includes(f)) err(p, `${show(f)} is not a package.json field esbuild reads; use "main", "module" or "browser"`)
    })
    preloads(rt.preloads)
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

  function preloads(v: unknown): void {
    if (v === undefined) return
    if (!Array.isArray(v)) return err('node.preloads', `${show(v)} is not an array`)
    v.forEach((p: unknown, i) => {
      const path = `node.preloads[${i}]`
      if (typeof p === 'string') return void moduleSpec(p, path)
      const spec = object(p, path, ['module', 'options', 'critical'])
      if (!spec) return
      if (spec.module === undefined) err(keyPath(path, 'module'), 'is required: a local file, a package specifier or "wrapgen/preloads/<name>"')
      else if (string(spec.module, keyPath(path, 'module'))) moduleSpec(spec.module, keyPath(path, 'module'))
      if (spec.options !== undefined) {
        if (!isObject(spec.options)) err(keyPath(path, 'options'), `${show(spec.options)} is not an object`)
        else if (!isJson(spec.options)) err(keyPath(path, 'options'), 'must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is embedded in the bundle')
      }
      if (spec.critical !== undefined && typeof spec.critical !== 'boolean') err(keyPath(path, 'critical'), `${show(spec.critical)} is not true or false`)
    })
  }
  function moduleSpec(m: string, path: string): void {
    if (m.trim() === '') err(path, `${show(m)} is not a module; give a file path or a package specifier`)
    noNul(m, path)
  }
  return { errors, warnings }
}

function isJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every(isJson)
  if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every(isJson)
  return false
}
