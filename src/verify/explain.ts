// Why a run of a wrapper someone else wrote went wrong, in the user's terms (issue 18), from the
// messages it left and the /opt tree it ran with:
//  - a file of the vendor's own layer that is not here (`source /opt/lib-handler.sh`, `--import
//    /opt/init.mjs`, a bare module found through NODE_PATH): the layer was not given, so say which
//    paths it needed and that --with-layer supplies them;
//  - a file that is here but unusable (an empty stand-in jar): a JVM error that reads like the
//    script's fault is said as what it is;
//  - a runtime replacer's program, the function's own ($LAMBDA_TASK_ROOT/$_HANDLER), which a test
//    folder does not have: name the pattern and --allow replace-runtime.
import { lstatSync, openSync, readSync, closeSync } from 'node:fs'
import { join } from 'node:path'

export interface Explained {
  /** /opt paths the messages name that are not in the tree. */
  readonly missing: readonly string[]
  /** /opt paths the messages name that are in the tree but cannot be what they are named for. */
  readonly unusable: ReadonlyArray<{ readonly path: string; readonly why: string }>
  /** Bare module or package names the interpreter could not find (node, python), with where a layer keeps them. */
  readonly modules: readonly string[]
  /** The function's own program the wrapper tried to run ($LAMBDA_TASK_ROOT/$_HANDLER), if that is what failed. */
  readonly program?: string
}

const OPT_PATH = /\/opt\/[^\s'"`:;,()[\]{}<>|&]+/g

/** Why a file that is here still cannot serve (empty; a jar that is no zip). */
function unusable(file: string, path: string): string | undefined {
  const st = lstatSync(file, { throwIfNoEntry: false })
  if (!st?.isFile()) return undefined
  if (st.size === 0) return 'it is present but empty (0 bytes)'
  if (/\.(jar|zip)$/.test(path)) {
    const head = Buffer.alloc(4)
    const fd = openSync(file, 'r')
    try {
      readSync(fd, head, 0, 4, 0)
    } finally {
      closeSync(fd)
    }
    if (head.toString('latin1', 0, 2) !== 'PK') return 'it is present but not a jar (no zip header)'
  }
  return undefined
}

/**
 * What the lines (a run's stderr) say about files: `optDir` is the /opt the run had, `handlers` the
 * values _HANDLER had (a replacer runs /var/task/<handler>).
 */
export function explainFailure(lines: readonly string[], optDir: string, handlers: readonly string[] = []): Explained {
  const missing = new Set<string>()
  const bad = new Map<string, string>()
  const modules = new Set<string>()
  let program: string | undefined
  for (const line of lines) {
    for (const m of line.matchAll(OPT_PATH)) {
      const path = m[0].replace(/[.]+$/, '')
      const file = join(optDir, path.slice(5))
      const st = lstatSync(file, { throwIfNoEntry: false })
      if (!st) missing.add(path)
      else {
        const why = unusable(file, path)
        if (why) bad.set(path, why)
      }
    }
    const mod = /Cannot find (?:module|package) '([^'./][^']*)'|No module named '([^'.][^']*)'/.exec(line)
    if (mod) modules.add(mod[1] ? `${mod[1]} (under /opt/nodejs/node_modules in its layer)` : `${mod[2]} (under /opt/python in its layer)`)
    for (const h of handlers) if (h && line.includes(`/var/task/${h}`)) program = `/var/task/${h}`
  }
  // A path whose parent folder is missing is named once, by the deepest one the messages gave.
  const paths = [...missing].filter((p) => ![...missing].some((q) => q !== p && q.startsWith(`${p}/`)))
  return { missing: paths.sort(), unusable: [...bad].map(([path, why]) => ({ path, why })), modules: [...modules].sort(), ...(program ? { program } : {}) }
}

const list = (xs: readonly string[]): string => (xs.length <= 4 ? xs.join(', ') : `${xs.slice(0, 4).join(', ')} and ${xs.length - 4} more`)

/** One clause for files of the vendor's layer that are not here, or undefined. */
export function needsLayer(e: Explained): string | undefined {
  const what = [...e.missing, ...e.modules.map((m) => `the module ${m}`)]
  if (!what.length) return undefined
  return `it needs ${list(what)} from its own layer, which is not here: give the unpacked layer with --with-layer DIR`
}

/** One clause for files that are here but unusable, or undefined. */
export function unusableFiles(e: Explained): string | undefined {
  if (!e.unusable.length) return undefined
  return `the wrapper names ${e.unusable.map((u) => `${u.path}, and ${u.why}`).join('; ')}: not a usable file (if it is a stand-in, the real check needs the vendor's real one)`
}

/** One clause for a runtime replacer whose program (the function's own) is not here. */
export function replacerProgram(program: string, accepted: boolean): string {
  return accepted
    ? `the wrapper runs the function's own program ${program} ($LAMBDA_TASK_ROOT/$_HANDLER) instead of the runtime`
    : `the wrapper runs the function's own program ${program} ($LAMBDA_TASK_ROOT/$_HANDLER) instead of the runtime, as a web adapter does: a deliberate change? accept it with --allow replace-runtime (verify then puts a stand-in program there)`
}

/** Everything the lines explain, as clauses to add to a failure (empty when they explain nothing). */
export function explainClauses(e: Explained, acceptedReplacer: boolean): string[] {
  return [...(e.program ? [replacerProgram(e.program, acceptedReplacer)] : []), unusableFiles(e), needsLayer(e)].filter((x): x is string => !!x)
}
