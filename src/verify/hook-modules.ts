// verify's hooks column, for hooks named by module (python.preloads: ['acme_hooks.otel'], ruby.preloads:
// ['acme/hooks']): the layer ships nothing for them and the runtime looks them up at every cold start,
// so a name that is not there (or a local file written without its "./", taken as a module name)
// fails there, not at build. Each name is looked up as the runtime would, where the runtime would look:
// the function's code (the config's folder stands in for /var/task), the layer's and the --with-layer
// trees' python/ and ruby/ folders, and the interpreter's own library. Looked up, never imported or
// required: the module is not wrapgen's code, and this runs on the host.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { retryOnTimeoutSync } from '../limits/time-limit.js'

/** Python's PathFinder finds a dotted name package by package without running any package's code. */
const PYTHON_LOOKUP = `
import importlib.machinery as m, json, sys
dirs, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def found(name):
    parts = name.split('.')
    if len(parts) == 1 and name in sys.builtin_module_names:
        return True
    path = dirs + sys.path
    for i in range(len(parts)):
        spec = m.PathFinder.find_spec('.'.join(parts[:i + 1]), path)
        if spec is None:
            return False
        path = spec.submodule_search_locations or []
    return True
print(json.dumps([n for n in names if not found(n)]))
`

/** Ruby resolves a feature on its load path without loading it. */
const RUBY_LOOKUP = `
require 'json'
dirs, names = JSON.parse(ARGV[0]), JSON.parse(ARGV[1])
$LOAD_PATH.unshift(*dirs)
missing = names.reject do |n|
  begin
    $LOAD_PATH.resolve_feature_path(n)
  rescue LoadError
    nil
  end
end
puts JSON.generate(missing)
`

const subdirs = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)) : [])

/** Where the runtime looks for a module, as host folders: /var/task, then each tree's /opt folders. */
function searchDirs(family: 'python' | 'ruby', root: string, trees: readonly string[]): string[] {
  if (family === 'python') {
    // /opt/python and /opt/python/lib/python3.X/site-packages, as Lambda's python runtime puts them on sys.path.
    return [root, ...trees.flatMap((t) => [join(t, 'python'), ...subdirs(join(t, 'python/lib')).map((d) => join(d, 'site-packages'))])].filter(existsSync)
  }
  // /var/task/lib, /opt/ruby/lib, and the lib folders of the gems in /opt/ruby/gems/3.X.
  return [root, join(root, 'lib'), ...trees.flatMap((t) => [join(t, 'ruby/lib'), ...subdirs(join(t, 'ruby/gems')).flatMap((v) => subdirs(join(v, 'gems')).map((g) => join(g, 'lib')))])].filter(existsSync)
}

/**
 * The hooks of `family` named by module that the runtime would not find, as one line naming each and
 * where it looked; undefined when every one is found (or the family names none). `trees`: the layer and
 * the --with-layer trees (what Lambda unpacks into /opt).
 */
export function missingHookModules(family: 'python' | 'ruby', config: ResolvedConfig, trees: readonly string[]): string | undefined {
  const hooks = config[family].preloads.map((h, i) => ({ h, i })).filter(({ h }) => h.file === undefined && !h.package)
  if (!hooks.length) return undefined
  const dirs = searchDirs(family, config.root, trees)
  const names = JSON.stringify(hooks.map(({ h }) => h.name))
  // -I -S: python's own library only (not this host's site-packages, which Lambda does not have).
  const argv = family === 'python' ? ['python3', '-I', '-S', '-c', PYTHON_LOOKUP, JSON.stringify(dirs), names] : ['ruby', '--disable-gems', '-e', RUBY_LOOKUP, JSON.stringify(dirs), names]
  const { result: r } = retryOnTimeoutSync(30_000, (timeout) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout }), (x) => (x.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
  let missing: string[]
  try {
    missing = JSON.parse(r.stdout) as string[]
  } catch {
    return undefined // The interpreter could not look (the hooks probe below says why it does not run).
  }
  if (!missing.length) return undefined
  const where = family === 'python'
    ? "the config's folder (for /var/task), /opt/python and its site-packages in the layer and --with-layer trees, and python's standard library"
    : "the config's folder and its lib/ (for /var/task), /opt/ruby/lib and /opt/ruby/gems in the layer and --with-layer trees, and ruby's own library"
  const named = hooks.filter(({ h }) => missing.includes(h.name)).map(({ h, i }) => `${family}.preloads[${i}] ${JSON.stringify(h.name)}`)
  return `${named.join(', ')}: no such ${family === 'python' ? 'module' : 'library'} where the runtime looks at cold start (${where}), so the hook would fail to load on every start; fix the name (a local file starts with "./"), or give the layer that ships it with --with-layer`
}
