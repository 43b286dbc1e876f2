// Reads the runtime catalogue (runtimes/*.json, shipped with the package) and checks its shape.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
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

/** Runtimes whose id matches a glob (`*` any text, `?` one character), e.g. `nodejs*` or `java17`. */
export function selectRuntimes(all: readonly RuntimeFixture[], glob: string): RuntimeFixture[] {
  const patterns = glob.split(',').map((g) => new RegExp(`^${g.trim().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`))
  return all.filter((r) => patterns.some((re) => re.test(r.id) || re.test(`${r.id}:${r.mode}`)))
}
