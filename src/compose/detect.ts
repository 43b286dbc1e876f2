// Which file of a layer is its exec wrapper: the file Lambda runs (AWS_LAMBDA_EXEC_WRAPPER). A layer
// does not say; vendors name theirs /opt/otel-handler, /opt/datadog_wrapper, /opt/bootstrap... So:
// an executable shell script (by its #! line) near the top of /opt that execs something (or runs
// "$@" as a child: a wrapper, if a bad one), or that
// `source`s a file of the layer (ADOT's /opt/otel-handler sets its variables, then sources
// /opt/otel-handler-upstream, which execs), outside extensions/ (Lambda starts those itself, they are
// not wrappers) and outside package folders. Of several, the one no other candidate runs or sources
// (the upstream script is a part of the one that sources it, not a wrapper of its own), then the one
// the layer documents as AWS_LAMBDA_EXEC_WRAPPER. More than one left: the user names it.
import { UsageError, UserError } from '../errors.js'
import type { Tree } from '../layer-tree/types.js'
import { codeOf } from '../verify/index.js'

const SHELL_SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|bash|dash|ash|ksh|mksh|zsh)\b/
/** Folders that hold programs, libraries or extensions, not exec wrappers. */
const NOT_WRAPPERS = /(^|\/)(extensions|node_modules|python|lib|java|ruby|share|include|bin)(\/|$)/
/** The command passed on without exec (`"$@"` as a command: a wrapper that forks is still one). */
const RUNS_COMMAND = /(^|[\s;&|(])"\$(?:@|\{@[^}]*\})"/m
/** A shell line that sources a file of the layer: `source /opt/x`, `. "$dir/x"`. */
const SOURCES = /(^|[\s;&|])(?:source|\.)\s+["']?(?:\/opt\/|\$)/m

const text = (data: Uint8Array): string => Buffer.from(data.subarray(0, 64 * 1024)).toString('utf8')


export function wrapperCandidates(tree: Tree): string[] {
  const out: string[] = []
  for (const [path, e] of tree) {
    if (e.kind !== 'file' || (e.mode & 0o111) === 0 || path.split('/').length > 2 || NOT_WRAPPERS.test(path)) continue
    const head = text(e.data)
    const src = codeOf(head)
    if (SHELL_SHEBANG.test(head) && (/(^|[\s;&|])exec\s/m.test(src) || RUNS_COMMAND.test(src) || SOURCES.test(src))) out.push(`/opt/${path}`)
  }
  return out
}

/** Whether the script at `from` runs or sources `to` (by its /opt path, or by name beside itself). */
function runs(tree: Tree, from: string, to: string): boolean {
  const e = tree.get(from.slice(5))
  if (e?.kind !== 'file') return false
  const src = codeOf(text(e.data))
  const name = to.slice(to.lastIndexOf('/') + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const sameDir = from.slice(0, from.lastIndexOf('/')) === to.slice(0, to.lastIndexOf('/'))
  return src.includes(to) || (sameDir && new RegExp(`(?:\\}|\\)|\\$\\w+|"|')/${name}(?![\\w.-])`).test(src))
}

/** The /opt paths a layer's files document as AWS_LAMBDA_EXEC_WRAPPER (`=`, `: ` or ` = `). */
function documented(tree: Tree): Set<string> {
  const out = new Set<string>()
  for (const [path, e] of tree) {
    if (e.kind !== 'file' || e.data.byteLength > 256 * 1024 || path.split('/').length > 3) continue
    for (const m of text(e.data).matchAll(/AWS_LAMBDA_EXEC_WRAPPER["'`]?\s*[:=]\s*["'`]?(\/opt\/[\w./-]+)/g)) out.add(m[1]!)
  }
  return out
}

/** The candidate Lambda would run: not run or sourced by another candidate; then the documented one. */
export function entryCandidates(tree: Tree): string[] {
  const found = wrapperCandidates(tree)
  const roots = found.filter((c) => !found.some((o) => o !== c && runs(tree, o, c)))
  if (roots.length <= 1) return roots.length ? roots : found
  const docs = documented(tree)
  const named = roots.filter((r) => docs.has(r))
  return named.length === 1 ? named : roots
}

/** The wrapper of a layer: the one named (`/opt/...`), `none`, or the single detected candidate. */
export function findWrapper(tree: Tree, source: string, named: string | undefined): { wrapper: string | undefined; from: 'named' | 'detected' | 'none' } {
  if (named === 'none') return { wrapper: undefined, from: 'none' }
  if (named !== undefined) {
    const rel = named.slice('/opt/'.length)
    let e = tree.get(rel)
    // A symlinked wrapper (vendors ship /opt/wrapper -> vendor/wrapper.sh): judge what it points to.
    for (let hops = 0; e?.kind === 'symlink' && hops < 8; hops++) {
      const target: string = e.target.startsWith('/opt/') ? e.target.slice(5) : e.target.startsWith('/') ? '' : [...rel.split('/').slice(0, -1), e.target].join('/')
      e = tree.get(target.split('/').reduce<string[]>((acc, p) => (p === '..' ? acc.slice(0, -1) : p === '.' || p === '' ? acc : [...acc, p]), []).join('/'))
    }
    if (!e || e.kind !== 'file') throw new UsageError(`${source}=${named}: the layer has no file ${named}; name a file it ships (under /opt/)`)
    if ((e.mode & 0o111) === 0) throw new UserError(`${source}: its wrapper ${named} has no exec bit (mode 0${e.mode.toString(8)}); Lambda would refuse it with exit 126`)
    return { wrapper: named, from: 'named' }
  }
  const found = entryCandidates(tree)
  if (found.length > 1) throw new UsageError(`${source}: more than one file looks like an exec wrapper (${found.join(', ')}); name it as ${source}=/opt/PATH, or ${source}=none`)
  return found.length ? { wrapper: found[0], from: 'detected' } : { wrapper: undefined, from: 'none' }
}
