// The `extensions` and `customRuntime` keys: their checks (called from validate.ts) and their
// resolved form (called from resolve.ts). Kept here so the config files gain one line each.
import { isAbsolute, resolve as resolvePath } from 'node:path'
import type { CustomRuntimeOptions, ExtensionSpec, ResolvedCustomRuntime, ResolvedExtension } from './types.js'

/** A file name Lambda can start from /opt/extensions and an extension can send as Lambda-Extension-Name. */
export const EXTENSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** Where the bootstrap shim looks for the function's own program by default (go1.x's handler name). */
export const DEFAULT_CUSTOM_COMMAND = '/var/task/main'

type Report = (path: string, message: string) => void
const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v))
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function layerPath(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..')
}

/** Checks `extensions` (undefined is fine). */
export function validateExtensions(v: unknown, err: Report): void {
  if (v === undefined) return
  if (!isObject(v)) return err('extensions', `${show(v)} is not an object of name: './path/to/executable' or { entry: './src/ext.ts' }`)
  const names = Object.keys(v)
  if (names.length > 10) err('extensions', `${names.length} extensions: Lambda starts at most 10 per function, counting other layers' ones`)
  for (const [name, spec] of Object.entries(v)) {
    const p = `extensions.${name}`
    if (!EXTENSION_NAME.test(name)) err(p, `${show(name)} is not a usable extension name: 1-64 letters, digits, ".", "_" or "-" (it is the file name in /opt/extensions and the Lambda-Extension-Name)`)
    if (typeof spec === 'string') {
      if (spec.trim() === '') err(p, '"" is not a file; give the path of the executable, e.g. "./bin/my-extension"')
      continue
    }
    if (!isObject(spec)) {
      err(p, `${show(spec)} is not a path or { entry } / { file }`)
      continue
    }
    for (const k of Object.keys(spec)) if (!['entry', 'file', 'files'].includes(k)) err(`${p}.${k}`, 'unknown key; allowed: entry, file, files')
    const has = ['entry', 'file'].filter((k) => spec[k] !== undefined)
    if (has.length !== 1) err(p, 'give exactly one of "entry" (a Node file wrapgen bundles) or "file" (an executable to copy)')
    for (const k of has) if (typeof spec[k] !== 'string' || spec[k] === '') err(`${p}.${k}`, `${show(spec[k])} is not a path`)
    if (spec.files !== undefined) {
      if (!isObject(spec.files)) err(`${p}.files`, `${show(spec.files)} is not an object of { "layer/path": "./local/file" }`)
      else {
        for (const [to, from] of Object.entries(spec.files)) {
          if (!layerPath(to)) err(`${p}.files.${to}`, `${show(to)} is not a path inside the layer (relative, no "..", e.g. "${name}/config.json")`)
          else if (to === 'wrapgen' || to.startsWith('wrapgen/') || to.startsWith('extensions/')) err(`${p}.files.${to}`, `${show(to)} is wrapgen's own place in the layer; choose e.g. "${name}/..."`)
          if (typeof from !== 'string' || from === '') err(`${p}.files.${to}`, `${show(from)} is not a path`)
        }
      }
    }
  }
}

/** Checks `customRuntime`. */
export function validateCustomRuntime(v: unknown, err: Report): void {
  if (v === undefined) return
  if (!isObject(v)) return err('customRuntime', `${show(v)} is not an object like { bootstrap: true }`)
  for (const k of Object.keys(v)) if (!['bootstrap', 'command'].includes(k)) err(`customRuntime.${k}`, 'unknown key; allowed: bootstrap, command')
  if (v.bootstrap !== undefined && typeof v.bootstrap !== 'boolean') err('customRuntime.bootstrap', `${show(v.bootstrap)} is not true or false`)
  if (v.command !== undefined) {
    if (typeof v.command !== 'string' || !v.command.startsWith('/')) err('customRuntime.command', `${show(v.command)} must be an absolute path, e.g. "/var/task/main"`)
    // It is written into /opt/bootstrap (quoted) and named in its comments: a newline there was a way out.
    else if (/[\0-\x1f\x7f]/.test(v.command)) err('customRuntime.command', `${show(v.command)} holds a control character (a newline, a tab); give a plain absolute path, e.g. "/var/task/main"`)
    else if (v.command === '/var/task/bootstrap' || v.command === '/opt/bootstrap') err('customRuntime.command', `${show(v.command)} cannot be the function's program: Lambda runs /var/task/bootstrap before /opt/bootstrap, so the shim would never run (or would run itself); rename the program, e.g. to /var/task/main`)
  }
}

const local = (root: string, p: string): string => (isAbsolute(p) ? p : resolvePath(root, p))

export function resolveExtensions(v: Record<string, ExtensionSpec> | undefined, root: string): ResolvedExtension[] {
  return Object.entries(v ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, spec]) => {
    const s = typeof spec === 'string' ? { file: spec } : spec
    const files = Object.entries(s.files ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, from]) => ({ path, source: local(root, from) }))
    return s.entry !== undefined
      ? { name, kind: 'entry' as const, source: local(root, s.entry), files }
      : { name, kind: 'file' as const, source: local(root, s.file as string), files }
  })
}

export function resolveCustomRuntime(v: CustomRuntimeOptions | undefined): ResolvedCustomRuntime {
  return { bootstrap: v?.bootstrap ?? false, command: v?.command ?? DEFAULT_CUSTOM_COMMAND }
}
