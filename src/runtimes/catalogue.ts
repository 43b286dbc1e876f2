// Reads the runtime catalogue (runtimes/*.json, shipped with the package) and checks its shape.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../errors.js'
import { byVersion, closest } from '../config/suggest.js'
import { packageRoot } from '../package-root.js'
import type { RuntimeFixture } from './types.js'

const FAMILIES = new Set(['node', 'python', 'java', 'dotnet', 'ruby', 'none'])

export interface Catalogue {
  readonly runtimes: readonly RuntimeFixture[]
  readonly commonEnv: Readonly<Record<string, string>>
}

let cached: Catalogue | undefined

/** The catalogue in `dir` (default: the package's runtimes/), sorted by id then mode. */
export function loadCatalogue(dir = join(packageRoot(), 'runtimes')): Catalogue {
  if (cached && dir === join(packageRoot(), 'runtimes')) return cached
  const runtimes: RuntimeFixture[] = []
  let commonEnv: Record<string, string> = {}
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const path = join(dir, file)
    let data: unknown
    try {
      data = JSON.parse(readFileSync(path, 'utf8'))
    } catch (cause) {
      throw new Error(`${path}: not valid JSON: ${(cause as Error).message}`, { cause })
    }
    if (file === 'common-env.json') commonEnv = checkStringMap(data, path)
    else runtimes.push(checkFixture(data, path))
  }
  runtimes.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }) || a.mode.localeCompare(b.mode))
  const result = { runtimes, commonEnv }
  if (dir === join(packageRoot(), 'runtimes')) cached = result
  return result
}

function checkStringMap(data: unknown, where: string): Record<string, string> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`${where}: expected an object of strings`)
  for (const [k, v] of Object.entries(data)) if (typeof v !== 'string') throw new Error(`${where}: "${k}" must be a string`)
  return data as Record<string, string>
}

function checkFixture(data: unknown, path: string): RuntimeFixture {
  const f = data as Partial<RuntimeFixture>
  const bad = (why: string): never => {
    throw new Error(`${path}: ${why} (see docs/runtimes.md)`)
  }
  if (typeof f !== 'object' || f === null) bad('expected an object')
  if (typeof f.id !== 'string' || !f.id) bad('"id" must be a runtime identifier')
  if (typeof f.family !== 'string' || !FAMILIES.has(f.family)) bad(`"family" must be one of ${[...FAMILIES].join(', ')}`)
  if (typeof f.mode !== 'string') bad('"mode" must be a string')
  if (f.status !== 'sourced' && f.status !== 'inferred') bad('"status" must be "sourced" or "inferred"')
  if (typeof f.deprecation !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(f.deprecation)) bad('"deprecation" must be AWS\'s deprecation date, YYYY-MM-DD')
  if (typeof f.source !== 'string') bad('"source" must say where the facts come from')
  if (!Array.isArray(f.argv)) bad('"argv" must be an array')
  for (const el of f.argv ?? []) {
    if (typeof el === 'string') continue
    if (typeof el !== 'object' || el === null || typeof el.arg !== 'string') bad('each "argv" element must be a string or { "arg": ... }')
  }
  if (f.entry !== null && typeof f.entry !== 'string') bad('"entry" must be a string or null')
  checkStringMap(f.env, `${path}: "env"`)
  return f as RuntimeFixture
}

/**
 * Runtimes whose id matches a glob (`*` any text, `?` one character), e.g. `nodejs*` or `java17`;
 * several globs separated by commas. A glob that matches nothing is a UsageError with a "did you
 * mean" (`nodejs20` -> `nodejs20.x`) or, for a misspelt mode, the runtime's modes, so every command
 * that takes `--runtime` explains the same way.
 */
export function selectRuntimes(all: readonly RuntimeFixture[], glob: string, option = '--runtime'): RuntimeFixture[] {
  const parts = glob.split(',').map((g) => g.trim()).filter(Boolean)
  if (parts.length === 0) throw new UsageError(`${option}: give a runtime id or a glob, e.g. nodejs22.x or 'nodejs*'`)
  const selected = new Set<RuntimeFixture>()
  for (const part of parts) {
    const re = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
    const matches = all.filter((r) => re.test(r.id) || re.test(`${r.id}:${r.mode}`))
    if (matches.length === 0) throw new UsageError(`${option} ${part}: ${noMatch(all, part)}`)
    for (const m of matches) selected.add(m)
  }
  return all.filter((r) => selected.has(r))
}

function noMatch(all: readonly RuntimeFixture[], part: string): string {
  const ids = [...new Set(all.map((r) => r.id))]
  const [id, mode] = part.split(':')
  const modes = (of: string): string => all.filter((r) => r.id === of).map((r) => `${r.id}:${r.mode}`).join(', ')
  if (mode !== undefined && ids.includes(id!)) return `${id} has no mode "${mode}"; its modes: ${modes(id!)} (or ${id} for all of them)`
  // A prefix (nodejs20 -> nodejs20.x) or a typo with the same version digits: never another version.
  const digits = (s: string): string => s.replace(/\D/g, '')
  const typo = closest(id!, ids, byVersion)
  const guess = ids.find((known) => known.startsWith(id!)) ?? (typo !== undefined && digits(typo) === digits(id!) ? typo : undefined)
  if (guess) {
    const withModes = all.filter((r) => r.id === guess).length > 1 ? ` (modes: ${modes(guess)})` : ''
    return `no such runtime; did you mean "${mode === undefined ? guess : `${guess}:${mode}`}"?${withModes}`
  }
  return `no such runtime; known: ${ids.join(', ')} (see docs/runtimes.md)`
}
