// What `verify --wrapper` checks by default (issue 18): the runtimes the wrapper is plausibly for,
// one runtime per command shape among them, at one memory size, and the reasons, printed.
//  - Plausibly for: a wrapper run by its own interpreter (`#!/usr/bin/env ruby`) works only where
//    that interpreter is (ruby runtimes); a shell wrapper is for the families its code names
//    (NODE_OPTIONS, JAVA_TOOL_OPTIONS, a `*java*` test, python3, ...), in itself or in the files of
//    its layer it sources or runs, and for those whose folders its layer ships (nodejs/, python/,
//    java/, ruby/: where Lambda layers put each runtime's packages). Names nothing: every family.
//  - One per command shape: runtimes of one family and mode whose commands a wrapper cannot tell
//    apart (the same entry position, and the same answer for every argv element or variable the
//    wrapper's code names literally, e.g. -XX:-TieredCompilation) give the same verdict; the newest
//    of each stands for the rest.
//  - One memory size, unless the wrapper reads it (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, heap options).
// `--runtime` and `--memory` override; `--matrix full` checks every runtime at every memory size.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { FAMILIES, type Family } from '../config/types.js'
import type { RuntimeFixture } from '../runtimes/types.js'

/** Code that names a family's runtime (comments and here-documents left out). */
const MARKERS: Readonly<Record<Family, RegExp>> = {
  node: /\bNODE_OPTIONS\b|\bNODE_PATH\b|--(?:require|import)\b|\bnodejs\b|\bnode\b|\.[mc]?js\b/,
  python: /\bPYTHON[A-Z]*\b|\bpython[0-9.]*\b|\.py\b/,
  // ... or a handler that is a java class (io.acme.tracing.TracingRequestWrapper).
  java: /\bJAVA_TOOL_OPTIONS\b|\bJDK_JAVA_OPTIONS\b|\b_JAVA_OPTIONS\b|-javaagent\b|\.jar\b|\bjava\b|-XX:|-Xshare\b|\b(?:io|com|org|net|software)(?:\.[a-z]\w*)+\.[A-Z]\w*\b/,
  dotnet: /\bDOTNET_[A-Z_]+\b|\bCORECLR_[A-Z_]+\b|\bdotnet\b/,
  ruby: /\bRUBYOPT\b|\bRUBYLIB\b|\bGEM_(?:HOME|PATH)\b|\bruby\b|\.rb\b/,
}

/** The folders a layer puts a runtime's packages in (docs: "Layer paths for each Lambda runtime"). */
const LAYER_FOLDERS: Readonly<Record<Family, readonly string[]>> = { node: ['nodejs'], python: ['python'], java: ['java'], dotnet: ['dotnet'], ruby: ['ruby'] }

/** A script's code without comments and here-document bodies (a block of docs in `: <<'END'`). */
export function codeOf(text: string): string {
  const out: string[] = []
  let heredoc: string | undefined
  for (const line of text.split('\n')) {
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined
      continue
    }
    const h = /<<-?\s*['"]?(\w+)['"]?/.exec(line)
    if (h && /^\s*:/.test(line)) {
      heredoc = h[1]
      continue
    }
    if (/^\s*#/.test(line)) continue
    out.push(line.replace(/\s#.*$/, ''))
  }
  return out.join('\n')
}

/** The family whose interpreter a `#!` line names, if any (`#!/usr/bin/env python`, `#!/usr/bin/ruby`). */
export function shebangFamily(shebang: string): Family | undefined {
  const words = shebang.replace(/^#!\s*/, '').split(/\s+/)
  const name = (words[0]?.endsWith('/env') ? words.find((w, i) => i > 0 && !w.startsWith('-')) : words[0])?.split('/').pop() ?? ''
  return /^python/.test(name) ? 'python' : /^node/.test(name) ? 'node' : /^ruby/.test(name) ? 'ruby' : name === 'java' ? 'java' : name === 'dotnet' ? 'dotnet' : undefined
}

/**
 * The files of its layer a shell wrapper sources or runs (`source /opt/x`, `. "$dir/x"`,
 * `exec "${here}/x"`), found in the trees given: the code verify reads with the wrapper's own.
 */
export function companions(file: string, lambdaPath: string, trees: readonly string[]): string[] {
  const seen = new Set<string>([file])
  const queue: Array<[string, string]> = [[file, lambdaPath]]
  const out: string[] = []
  while (queue.length && out.length < 8) {
    const [host, at] = queue.shift()!
    const code = codeOf(readFileSync(host, 'utf8'))
    for (const m of code.matchAll(/(?:^|[\s;&|(])(?:source|\.|exec)\s+(?:--\s+)?["']?([^\s"';&|)]+)/g)) {
      const word = m[1]!
      const name = word.startsWith('/opt/') ? word : /^\$\{?\w+\}?\/[\w.-]+$|^\$\(dirname[^)]*\)\/[\w.-]+$/.test(word) ? join(dirname(at), word.slice(word.lastIndexOf('/') + 1)) : undefined
      if (!name?.startsWith('/opt/')) continue
      const found = trees.map((t) => join(t, name.slice(5))).find((p) => existsSync(p) && statSync(p).isFile() && statSync(p).size < 1024 * 1024)
      if (!found || seen.has(found)) continue
      seen.add(found)
      out.push(found)
      queue.push([found, name])
    }
  }
  return out
}

export interface ScopeInput {
  readonly file: string
  /** Its path on Lambda (/opt/...). */
  readonly lambdaPath: string
  readonly shebang: string
  /** The /opt trees (the placed wrapper's, --with-layer ones). */
  readonly trees: readonly string[]
  readonly runtimes: readonly RuntimeFixture[]
}

export interface Scope {
  readonly fixtures: RuntimeFixture[]
  /** Whether the wrapper reads the memory size (then every memory size is checked). */
  readonly memorySensitive: boolean
  /** What was chosen and why, and what was left out: printed with the report. */
  readonly lines: string[]
}

const familyList = (fs: readonly Family[]): string => fs.join(', ')

/** Families the wrapper is plausibly for, with the reason. */
function families(input: ScopeInput, code: string): { chosen: Family[]; why: string } {
  const own = shebangFamily(input.shebang)
  if (own) return { chosen: [own], why: `its #! line runs ${own === 'dotnet' ? '.NET' : own}, which only ${own} runtimes have` }
  const named = FAMILIES.filter((f) => MARKERS[f].test(code))
  const shipped = FAMILIES.filter((f) => input.trees.some((t) => LAYER_FOLDERS[f].some((d) => existsSync(join(t, d)) && statSync(join(t, d)).isDirectory())))
  const chosen = FAMILIES.filter((f) => named.includes(f) || shipped.includes(f))
  if (!chosen.length) return { chosen: [...FAMILIES], why: 'its code names no runtime in particular' }
  const what = (f: Family): string => {
    const token = MARKERS[f].exec(code)![0].trim()
    return token === f ? f : `${f} (${token})`
  }
  const parts = [...(named.length ? [`its code names ${named.map(what).join(', ')}`] : []), ...(shipped.length ? [`its layer ships ${shipped.map((f) => `${LAYER_FOLDERS[f][0]}/`).join(', ')}`] : [])]
  return { chosen, why: parts.join(' and ') }
}

/** argv elements and variables of the runtimes that the wrapper's code names literally. */
function namedLiterals(code: string, runtimes: readonly RuntimeFixture[]): string[] {
  const literals = new Set<string>()
  for (const r of runtimes) {
    for (const el of r.argv) {
      const text = typeof el === 'string' ? el : el.arg.split(/[=$]/)[0]!
      if (text.length > 3 && !text.includes('<')) literals.add(text)
    }
    for (const k of Object.keys(r.env)) literals.add(k)
  }
  return [...literals].filter((l) => code.includes(l)).sort()
}

/** The wrapper's command shape on a runtime: what it can tell apart. */
function shapeOf(r: RuntimeFixture, literals: readonly string[]): string {
  const argv = r.argv.map((el) => (typeof el === 'string' ? el : el.arg))
  const entryAt = r.entry === null ? -1 : argv.indexOf(r.entry)
  const has = literals.map((l) => (argv.some((a) => a.includes(l)) || l in r.env ? '1' : '0')).join('')
  return `${r.family}|${r.mode}|${entryAt < 0 ? 'none' : argv.length - entryAt}|${has}`
}

/** The default runtimes and memory sizes for a wrapper someone else wrote. */
export function chooseScope(input: ScopeInput): Scope {
  const text = readFileSync(input.file, 'utf8')
  const code = [codeOf(text), ...companions(input.file, input.lambdaPath, input.trees).map((f) => codeOf(readFileSync(f, 'utf8')))].join('\n')
  const { chosen, why } = families(input, code)
  const wrapped = input.runtimes.filter((r) => r.family !== 'none')
  const inScope = wrapped.filter((r) => chosen.includes(r.family as Family))
  const literals = namedLiterals(code, inScope)
  const groups = new Map<string, RuntimeFixture[]>()
  for (const r of inScope) groups.set(shapeOf(r, literals), [...(groups.get(shapeOf(r, literals)) ?? []), r])
  // The newest of each shape stands for the others (catalogue order is oldest first).
  const fixtures = [...groups.values()].map((g) => g[g.length - 1]!)
  const memorySensitive = /\bAWS_LAMBDA_FUNCTION_MEMORY_SIZE\b|MaxHeapSize|-Xmx|max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size/.test(code)
  const id = (r: RuntimeFixture): string => (r.mode === 'default' ? r.id : `${r.id}:${r.mode}`)
  const stands = [...groups.values()].map((g) => (g.length > 1 ? `${id(g[g.length - 1]!)} (for ${g.slice(0, -1).map(id).join(', ')}: the same command shape)` : id(g[0]!)))
  const leftOut = FAMILIES.filter((f) => !chosen.includes(f))
  const lines = [
    `runtimes: ${familyList(chosen)}, because ${why}; checked on ${stands.join(', ')}`,
    ...(leftOut.length ? [`left out: ${familyList(leftOut)} (${shebangFamily(input.shebang) ? `no ${shebangFamily(input.shebang)} there` : 'nothing in the wrapper or its layer is for them'}); --runtime or --matrix full checks them too`] : []),
    memorySensitive ? 'memory sizes: all, because the wrapper reads the memory size or heap options' : 'memory size: 1024 MB only (the wrapper does not read the memory size); --memory or --matrix full checks others',
  ]
  return { fixtures, memorySensitive, lines }
}
