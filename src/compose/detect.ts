// Which file of a layer is its exec wrapper. A layer does not say; vendors name theirs
// /opt/otel-handler, /opt/datadog_wrapper, /opt/bootstrap... So: an executable shell script (by its #!
// line) near the top of /opt that execs something, outside extensions/ (Lambda starts those itself,
// they are not wrappers) and outside package folders. More than one: the user names it.
import { UsageError, UserError } from '../errors.js'
import type { Tree } from '../layer-tree/types.js'

const SHELL_SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|bash|dash|ash|ksh|mksh|zsh)\b/
/** Folders that hold programs, libraries or extensions, not exec wrappers. */
const NOT_WRAPPERS = /(^|\/)(extensions|node_modules|python|lib|java|ruby|share|include|bin)(\/|$)/

export function wrapperCandidates(tree: Tree): string[] {
  const out: string[] = []
  for (const [path, e] of tree) {
    if (e.kind !== 'file' || (e.mode & 0o111) === 0 || path.split('/').length > 2 || NOT_WRAPPERS.test(path)) continue
    const head = Buffer.from(e.data.subarray(0, 64 * 1024)).toString('utf8')
    if (SHELL_SHEBANG.test(head) && /(^|[\s;&|])exec\s/m.test(head)) out.push(`/opt/${path}`)
  }
  return out
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
  const found = wrapperCandidates(tree)
  if (found.length > 1) throw new UsageError(`${source}: more than one file looks like an exec wrapper (${found.join(', ')}); name it as ${source}=/opt/PATH, or ${source}=none`)
  return found.length ? { wrapper: found[0], from: 'detected' } : { wrapper: undefined, from: 'none' }
}
