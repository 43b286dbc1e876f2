// Startup hooks for python, java and ruby (issue 7), through the built layer and the real interpreters:
// hooks run in order before the entry, in the same process; a failing hook is one stderr line and the
// function still starts, a critical one stops start-up; missing files fail open; the module search
// path is the runtime's; applied once. Hooks are built in setup (javac + jar for the Java agents).
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync, cpSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildLayer, type BuildResult } from '../src/build.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { configProblems } from './fixtures/config-problems.js'
import { writeLayer } from '../src/layer/write.js'
import { simulate } from '../src/plan/simulate.js'
import yazl from 'yazl'
import fc from 'fast-check'
import { agentManifest, manifestAttribute } from '../src/startup-hooks/binary-check.js'
import { JAVA_LIST_STAND_IN, JAVA_TARGET_STAND_IN, decodeModifiedUtf8, encodeModifiedUtf8, premainArgs, replaceConstant } from '../src/startup-hooks/java-class.js'
import { hostedRunnerJar, rewriteManifest } from '../src/startup-hooks/java-hosted.js'
import { javaRunnerClasses } from '../src/startup-hooks/java.js'
import { finishZip } from '../src/layer/zip.js'
import { agentJar } from './fixtures/hook-binaries.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

const dir = t.testdir({
  py: {
    // Each hook appends "name pid" to $HOOK_LOG, so order and process are visible.
    'first.py': "import os\ndef setup(options):\n    open(os.environ['HOOK_LOG'], 'a').write('first %d %s\\n' % (os.getpid(), options['tag']))\n",
    'second.py': "import os, sys\nopen(os.environ['HOOK_LOG'], 'a').write('second %d %s %s\\n' % (os.getpid(), sys.path[0], '/opt/python' in sys.path))\n",
    'boom.py': "raise RuntimeError('boom\\nand a second line')\n",
    'syntax.py': 'def broken(:\n',
    'critical.py': "raise ValueError('no config')\n",
    'exits.py': 'import sys\nsys.exit(7)\n',
    // Names the file its code says it comes from (tracebacks, logging and warnings read it).
    'where.py': "import os\ndef here():\n    return lambda: 0\ndef setup(options):\n    open(os.environ['HOOK_LOG'], 'a').write('where %s %s\\n' % (here.__code__.co_filename, here().__code__.co_filename))\n",
  },
  rb: {
    'first.rb': "File.write(ENV['HOOK_LOG'], \"first #{Process.pid} #{WrapgenHooks.options['tag']}\\n\", mode: 'a')\n",
    'second.rb': "File.write(ENV['HOOK_LOG'], \"second #{Process.pid}\\n\", mode: 'a')\n",
    'boom.rb': "raise ArgumentError, 'boom'\n",
    'syntax.rb': 'def broken(\n',
    'exits.rb': 'exit 3\n',
  },
  runtime: {
    // Stand-ins for the runtimes' entries: print what the program saw, as JSON on stdout.
    'bootstrap.py': 'import json, os, sys\nprint(json.dumps({"pid": os.getpid(), "name": __name__, "file": __file__, "argv": sys.argv, "path": sys.path, "main": sys.modules["__main__"].__dict__ is globals()}))\n',
    'index.rb': "require 'json'\nputs JSON.generate({ pid: Process.pid, argv: ARGV, load_path: $LOAD_PATH, program: $PROGRAM_NAME })\n",
    'raises.py': 'def f():\n    raise ValueError("from the entry")\nf()\n',
    'show.py': 'import json, os, sys\nprint(json.dumps({"argv": sys.argv, "path": sys.path, "file": globals().get("__file__"), "name": __name__, "code": sys._getframe().f_code.co_filename, "main": sys.modules["__main__"].__dict__ is globals()}))\n',
    'showpkg': { '__init__.py': '', '__main__.py': 'import json, sys\nprint(json.dumps({"argv": sys.argv, "path": sys.path, "file": __file__, "name": __name__, "code": sys._getframe().f_code.co_filename}))\n' },
    'pkg': { '__init__.py': '', '__main__.py': 'import json, os, sys\nprint(json.dumps({"pid": os.getpid(), "argv": sys.argv, "path": sys.path}))\n' },
  },
  java: {},
  esm: {
    'setup.mjs': "import { appendFileSync } from 'node:fs'\nexport default async function (options, ctx) {\n  await new Promise((r) => setTimeout(r, 5))\n  appendFileSync(process.env.HOOK_LOG, `setup ${process.pid} ${options.tag} ${ctx.name}\\n`)\n}\n",
    'loader.mjs': "export async function initialize(data) { globalThis.wrapgenData = data }\nexport async function resolve(spec, ctx, next) {\n  if (spec === 'virtual:hello') return { url: 'data:text/javascript,export default \"hello from the loader\"', shortCircuit: true }\n  return next(spec, ctx)\n}\n",
    'broken.mjs': "throw new Error('esm broke\\nmore')\n",
    // Async setups that settle after a wait: one rejects, one resolves.
    'rejects.mjs': "export default async function () {\n  await new Promise((r) => setTimeout(r, 300))\n  throw new Error('setup rejected\\nmore')\n}\n",
    'slow.mjs': "export async function setup() {\n  await new Promise((r) => setTimeout(r, 300))\n}\n",
    'pre.cjs': "module.exports = () => require('node:fs').appendFileSync(process.env.HOOK_LOG, `preload ${process.pid}\\n`)\n",
    'entry.mjs': "const m = await import('virtual:hello')\nconsole.log(JSON.stringify({ pid: process.pid, loaded: m.default, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? null }))\n",
  },
})

let n = 0
async function layer(config: Omit<WrapgenConfig, 'name'>): Promise<{ result: BuildResult; wrapper: string; layerDir: string }> {
  const result = await buildLayer(await openConfig({ cwd: dir, config: { name: 'hooks-test', ...config } }))
  const { layerDir } = writeLayer(result, join(dir, `out-${++n}`))
  return { result, wrapper: join(layerDir, 'wrapgen/exec'), layerDir }
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
  pid: number
  log: string[]
}
/** Runs `argv` through the wrapper with dash, as Lambda's bootstrap execs it; the hook log read back. */
function run(wrapper: string | undefined, argv: string[], env: Record<string, string> = {}, cwd = join(dir, 'runtime')): Run {
  const log = join(dir, `log-${++n}`)
  const r = spawnSync(wrapper ? 'dash' : argv[0]!, wrapper ? [wrapper, ...argv] : argv.slice(1), { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', HOOK_LOG: log, ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid ?? -1, log: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] }
}
const own = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))

t.test('config: hook keys are validated with their key paths', async (t) => {
  const problems = (config: Record<string, unknown>): Promise<string[]> => configProblems(t, dir, { name: 'x', ...config })
  t.same(await problems({ python: { preloads: ['./py/first.py', { module: 'acme_hooks.otel', options: { a: [1] }, critical: true }, '@acme/hooks/python/otel.py'] }, ruby: { preloads: ['acme/hooks', '@acme/hooks/ruby/otel.rb'] }, java: { agents: ['./a.jar', '@acme/hooks/java/otel.jar'], inject: 'JAVA_TOOL_OPTIONS' } }), [], 'valid entries pass (local files, package files, module names)')
  t.same(await problems({ python: { preloads: ['./x.rb', 'not a module', { module: './py/other.py', options: 'v' }, './py/first.py', './py/first.py'] } }), [
    'python.preloads[0]: "./x.rb" does not end in .py; give a local .py file ("./hooks/otel.py") or a module name ("acme_hooks.otel")',
    'python.preloads[1]: "not a module" is neither a local path, a package\'s .py file nor a python module name; give a local .py file ("./hooks/otel.py") or a module name ("acme_hooks.otel")',
    'python.preloads[2].options: "v" is not an object',
    'python.preloads[4]: "./py/first.py" is already python.preloads[3]; a hook runs once',
  ])
  t.same(await problems({ java: { agents: ['otel.jar', { jar: './a.jar', options: 'a b' }, { options: 'x' }], inject: 'env' } }), [
    'java.inject: "env" is not allowed; use "argv" or "JAVA_TOOL_OPTIONS"',
    'java.agents[0]: "otel.jar" must be a local path ("./otel.jar") or a file of a package ("@acme/hooks/otel.jar"): the file is copied into the layer',
    'java.agents[2].jar: is required: the path of an agent jar ("./agents/otel.jar")',
  ])
  t.same(await problems({ java: { inject: 'JAVA_TOOL_OPTIONS', agents: [{ jar: './a.jar', options: 'a b' }] } }), ['java.agents[0].options: "a b" contains white space, which JAVA_TOOL_OPTIONS would split; use inject: "argv"'])
  t.same(await problems({ ruby: { preload: [] } }), ['ruby.preload: unknown key; did you mean "preloads"?'])
  t.same(await problems({ ruby: { preloads: [{ module: './r.rb', critical: 'yes', extra: 1 }] } }), ['ruby.preloads[0].extra: unknown key; allowed: module, options, critical', 'ruby.preloads[0].critical: "yes" is not true or false'])
  // A file that is not there is a user error at build time, naming the key.
  await t.rejects(layer({ python: { preloads: ['./py/nope.py'] } }), { name: 'UserError', message: /^python\.preloads\[0\]: py\/nope\.py is not a file/ })
})

t.test('config: a hook path without "./" that names a file beside the config is refused; absolute hook paths are refused', async (t) => {
  const problems = (config: Record<string, unknown>): Promise<string[]> => configProblems(t, dir, { name: 'x', ...config })
  // 'py/first.py' and 'rb/first.rb' are files here: written without "./", python and ruby would look for a module of that name at run time.
  t.same(await problems({ python: { preloads: ['py/first.py'] }, ruby: { preloads: [{ module: 'rb/first.rb' }] }, node: { preloads: ['esm/pre.cjs'], imports: ['esm/setup.mjs'] } }), [
    'node.preloads[0]: "esm/pre.cjs" is not a local path (those start with "./" or "../"), but ./esm/pre.cjs is a file beside the config: did you mean "./esm/pre.cjs"?',
    'node.imports[0]: "esm/setup.mjs" is not a local path (those start with "./" or "../"), but ./esm/setup.mjs is a file beside the config: did you mean "./esm/setup.mjs"?',
    'python.preloads[0]: "py/first.py" is not a local path (those start with "./" or "../"), but ./py/first.py is a file beside the config: did you mean "./py/first.py"?',
    'ruby.preloads[0].module: "rb/first.rb" is not a local path (those start with "./" or "../"), but ./rb/first.rb is a file beside the config: did you mean "./rb/first.rb"?',
  ])
  writeFileSync(join(dir, 'otel.py'), 'pass\n')
  t.teardown(() => rmSync(join(dir, 'otel.py'), { force: true }))
  t.same(await problems({ python: { preloads: ['otel.py'] } }), ['python.preloads[0]: "otel.py" is not a local path (those start with "./" or "../"), but ./otel.py is a file beside the config: did you mean "./otel.py"?'], 'the issue\'s case: otel.py beside the config')
  // No such file: a module name ending in .py is still almost surely a mistake, said as a warning.
  const warnings: string[] = []
  await openConfig({ cwd: dir, config: { name: 'x', python: { preloads: ['tracing.py', 'acme_hooks.otel'] } }, onWarning: (w) => void warnings.push(`${w.path}: ${w.message}`) })
  t.same(warnings, ['python.preloads[0]: "tracing.py" is taken as a python module name (the module "py" of a package "tracing"); a module name has no .py (did you mean "tracing"?), and a local file starts with "./"'])
  // Absolute hook paths would put this machine's path into the layer (run.py, agents.txt, the .NET list), as node.preloads' would.
  t.same(await problems({ python: { preloads: [join(dir, 'py/first.py')] }, ruby: { preloads: ['/srv/hooks/otel.rb'] }, java: { agents: ['/srv/agents/otel.jar'] }, dotnet: { startupHooks: [{ assembly: '/srv/Otel.dll' }] }, node: { imports: ['/srv/loader.mjs'] } }), [
    'node.imports[0]: "/srv/loader.mjs" is an absolute path, which would put this machine\'s path into the layer and make it differ wherever the project is checked out; write it relative to the config\'s folder ("./hooks/loader.mjs")',
    `python.preloads[0]: ${JSON.stringify(join(dir, 'py/first.py'))} is an absolute path, which would put this machine's path into the layer and make it differ wherever the project is checked out; write it relative to the config's folder ("./hooks/first.py")`,
    'java.agents[0]: "/srv/agents/otel.jar" is an absolute path, which would put this machine\'s path into the layer and make it differ wherever the project is checked out; write it relative to the config\'s folder ("./hooks/otel.jar")',
    'dotnet.startupHooks[0].assembly: "/srv/Otel.dll" is an absolute path, which would put this machine\'s path into the layer and make it differ wherever the project is checked out; write it relative to the config\'s folder ("./hooks/Otel.dll")',
    'ruby.preloads[0]: "/srv/hooks/otel.rb" is an absolute path, which would put this machine\'s path into the layer and make it differ wherever the project is checked out; write it relative to the config\'s folder ("./hooks/otel.rb")',
  ])
})

t.test('python: the wrapper puts the runner before the entry; nothing else changes', async (t) => {
  const { result, layerDir } = await layer({ python: { flags: ['-X', 'utf8'], preloads: ['./py/first.py', 'json'] } })
  const files = result.files.map((f) => f.path)
  const pycs = readdirSync(join(repo, 'runners/python/__pycache__')).sort().map((f) => `wrapgen/python/__pycache__/${f}`)
  t.ok(pycs.length > 0, 'the runner\'s committed bytecode')
  t.same(files.filter((f) => f.startsWith('wrapgen/python/')), [...pycs, 'wrapgen/python/hooks/01-first.py', 'wrapgen/python/run.py', 'wrapgen/python/runner.py'], 'the runner (its code and bytecode) and the local hook; a module hook ships nothing')
  const sim = simulate(result.plan, { argv: ['/var/lang/bin/python3.12', '/var/runtime/bootstrap.py'], env: {}, wrapperDir: '/opt/wrapgen' })
  t.same(sim.argv, ['/var/lang/bin/python3.12', '-X', 'utf8', '/opt/wrapgen/python/run.py', '/var/runtime/bootstrap.py'], 'flags, then the runner, right before the entry')
  t.notOk(Object.keys(sim.env).some((k) => k.startsWith('PYTHON')), 'no PYTHON* variable is set (PYTHONPATH would drop /opt/python)')
  const missing = simulate(result.plan, { argv: ['/var/lang/bin/python3.12', '/var/runtime/bootstrap.py'], env: {}, wrapperDir: '/opt/wrapgen', exists: () => false })
  t.same(missing.argv, ['/var/lang/bin/python3.12', '/var/runtime/bootstrap.py'], 'runner missing: the original command (fail open)')
  t.ok(existsSync(join(layerDir, 'wrapgen/python/run.py')))
  const again = await layer({ python: { flags: ['-X', 'utf8'], preloads: ['./py/first.py', 'json'] } })
  t.same(again.result.files, result.files, 'deterministic: same files, same bytes')
})

t.test('python, real interpreter: order, same process, sys.path and __main__ as the runtime has them', { skip: !has('python3') && 'python3 not installed' }, async (t) => {
  const { wrapper } = await layer({ python: { preloads: [{ module: './py/first.py', options: { tag: 'T1' } }, './py/second.py'] } })
  const bare = run(undefined, ['python3', 'bootstrap.py', 'a b', '$x'])
  const got = run(wrapper, ['python3', 'bootstrap.py', 'a b', '$x'])
  t.equal(got.code, 0, got.stderr)
  t.equal(got.stderr, '', 'nothing on stderr')
  const b = JSON.parse(bare.stdout) as Record<string, unknown>
  const w = JSON.parse(got.stdout) as Record<string, unknown>
  t.equal(w.pid, got.pid, 'the entry runs in the process the bootstrap started (exec, no fork)')
  t.same(got.log, [`first ${got.pid} T1`, `second ${got.pid} ${join(dir, 'runtime')} True`], 'hooks in order, in that process, with options; sys.path[0] already the entry\'s folder, /opt/python visible to hooks')
  t.notOk((w.path as string[]).includes('/opt/python'), 'and gone again when the entry runs')
  for (const k of ['name', 'file', 'argv', 'path', 'main'] as const) t.same(w[k], b[k], `${k} as without the layer`)
  t.equal(w.name, '__main__')
  t.equal(w.main, true, 'the entry runs in the real __main__ module')
  // A relative entry through a symlinked folder, and python -m: sys.path[0] as python computes it.
  symlinkSync(join(dir, 'runtime'), join(dir, 'runtime-link'))
  const viaLink = [run(undefined, ['python3', '../runtime-link/bootstrap.py'], {}, join(dir, 'runtime')), run(wrapper, ['python3', '../runtime-link/bootstrap.py'], {}, join(dir, 'runtime'))]
  t.same(JSON.parse(viaLink[1]!.stdout).path, JSON.parse(viaLink[0]!.stdout).path, 'symlinked entry: same sys.path')
  t.same(JSON.parse(viaLink[1]!.stdout).file, JSON.parse(viaLink[0]!.stdout).file, 'symlinked entry: same __file__')
  const m = [run(undefined, ['python3', '-m', 'pkg', 'x']), run(wrapper, ['python3', '-m', 'pkg', 'x'])]
  t.equal(m[1]!.code, 0, m[1]!.stderr)
  t.same(JSON.parse(m[1]!.stdout), { ...JSON.parse(m[0]!.stdout), pid: m[1]!.pid }, 'python -m: same argv and sys.path')
  t.equal(m[1]!.log.length, 2, 'hooks ran before the module')
  // Applied once: the wrapper run through itself.
  const twice = run(wrapper, [wrapper, 'python3', 'bootstrap.py'])
  t.equal(twice.log.length, 2, 'twice through the wrapper, each hook once')
  t.same(JSON.parse(twice.stdout).path, b.path)
  // Timed: one JSON line when asked.
  const timed = run(wrapper, ['python3', 'bootstrap.py'], { WRAPGEN_TIMING: '1' })
  const line = JSON.parse(timed.stderr.trim()) as { runtime: string; hooks: Array<{ name: string; ms: number; ok: boolean }> }
  t.equal(line.runtime, 'python')
  t.same(line.hooks.map((h) => [h.name, h.ok, typeof h.ms]), [['./py/first.py', true, 'number'], ['./py/second.py', true, 'number']])
})

t.test('python, real interpreter: isolation, critical hooks, missing files', { skip: !has('python3') && 'python3 not installed' }, async (t) => {
  const { wrapper, layerDir } = await layer({ python: { preloads: ['./py/boom.py', './py/syntax.py', 'no_such_module_xyz', './py/second.py'] } })
  const r = run(wrapper, ['python3', 'bootstrap.py'])
  t.equal(r.code, 0, 'the function still starts')
  t.same(own(r.stderr), [
    'wrapgen: preload ./py/boom.py failed: RuntimeError: boom; skipped',
    "wrapgen: preload ./py/syntax.py failed: SyntaxError: invalid syntax (02-syntax.py, line 1); skipped",
    "wrapgen: preload no_such_module_xyz failed: ModuleNotFoundError: No module named 'no_such_module_xyz'; skipped",
  ], 'one line per failed hook')
  t.equal(r.stderr.split('\n').filter(Boolean).length, 3, 'and nothing else (no traceback)')
  t.equal(r.log.length, 1, 'the hook after the failed ones still ran')
  t.ok(JSON.parse(r.stdout).main, 'the entry ran')

  const crit = await layer({ python: { preloads: [{ module: './py/critical.py', critical: true }, './py/second.py'] } })
  const c = run(crit.wrapper, ['python3', 'bootstrap.py'])
  t.equal(c.code, 1, 'a critical hook that fails stops start-up')
  t.same(own(c.stderr), ['wrapgen: preload ./py/critical.py failed: ValueError: no config (critical: stopping start-up)'])
  t.equal(c.stdout, '', 'the entry never ran')
  t.same(c.log, [], 'nor the later hooks')

  const exits = await layer({ python: { preloads: ['./py/exits.py'] } })
  t.equal(run(exits.wrapper, ['python3', 'bootstrap.py']).code, 7, 'a hook that calls sys.exit ends the process, as it would anywhere')

  // A hook file missing from the layer: that hook fails (one line), the function starts.
  rmSync(join(layerDir, 'wrapgen/python/hooks/04-second.py'))
  const gone = run(wrapper, ['python3', 'bootstrap.py'])
  t.equal(gone.code, 0)
  t.match(own(gone.stderr)[3], /^wrapgen: preload \.\/py\/second\.py failed: FileNotFoundError: .*04-second\.py.*; skipped$/)
  // The runner itself missing: the wrapper runs the original command (failMode open).
  rmSync(join(layerDir, 'wrapgen/python/run.py'))
  const noRunner = run(wrapper, ['python3', 'bootstrap.py'])
  t.equal(noRunner.code, 0)
  t.same(own(noRunner.stderr), [`wrapgen: ${join(layerDir, 'wrapgen')}/python/run.py is missing; running the function without wrapgen (failMode "open")`])
  t.same(JSON.parse(noRunner.stdout).argv, ['bootstrap.py'])
})

/** Every python 3.9+ installed (pyenv's, and python3 on PATH), each once. */
function pythons(): string[] {
  const root = process.env.PYENV_ROOT ?? join(process.env.HOME ?? '/root', '.pyenv')
  const found = existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')).filter((v) => /^3\.(9|\d\d)\./.test(v)).map((v) => join(root, 'versions', v, 'bin/python3')).filter((p) => existsSync(p)) : []
  return found.length ? found : has('python3') ? ['python3'] : []
}

t.test('python runner on every installed python: argv, sys.path and code names of -c, -m, stdin and script entries; committed bytecode', { skip: !pythons().length && 'no python 3.9+' }, async (t) => {
  const { wrapper, layerDir } = await layer({ python: { preloads: ['./py/where.py'] } })
  const code = 'import json, sys; print(json.dumps({"argv": sys.argv, "path": sys.path, "code": sys._getframe().f_code.co_filename, "name": __name__}))'
  for (const py of pythons()) {
    const version = spawnSync(py, ['-c', 'import sys; print(sys.implementation.cache_tag)'], { encoding: 'utf8' }).stdout.trim()
    const same = (label: string, argv: string[], input?: string): void => {
      const opts = { cwd: join(dir, 'runtime'), encoding: 'utf8' as const, input, env: { PATH: process.env.PATH!, HOOK_LOG: join(dir, `log-py-${++n}`) } }
      const bare = spawnSync(py, argv, opts)
      const got = spawnSync('dash', [wrapper, py, ...argv], opts)
      t.equal(got.status, 0, `${version} ${label}: ${got.stderr}`)
      t.same(JSON.parse(got.stdout), JSON.parse(bare.stdout), `${version} ${label}: argv, sys.path, __file__ and the code's file name as python gives them`)
      const log = readFileSync(opts.env.HOOK_LOG, 'utf8').trim().split('\n')
      const hook = join(layerDir, 'wrapgen/python/hooks/01-where.py')
      t.same(log, [`where ${hook} ${hook}`], `${version} ${label}: the hook's functions (nested ones too) carry its file name`)
    }
    same('script', ['show.py', 'a b', '-c'])
    same('-c', ['-c', code, 'a', '-c'])
    same('-m', ['-m', 'showpkg', 'x'])
    same('stdin', ['-', 'a'], code)
    // A traceback from the entry names its file and line, as without the layer.
    const tb = spawnSync('dash', [wrapper, py, 'raises.py'], { cwd: join(dir, 'runtime'), encoding: 'utf8', env: { PATH: process.env.PATH!, HOOK_LOG: join(dir, 'log-tb') } })
    t.match(tb.stderr, `File "${join(dir, 'runtime/raises.py')}", line 2, in f`, `${version}: the entry's traceback names its file`)
    t.match(tb.stderr, 'ValueError: from the entry')
  }
})

t.test('python runner: the committed bytecode is runner.py compiled; without it, runner.py runs from source', { skip: !pythons().length && 'no python 3.9+' }, async (t) => {
  const source = join(repo, 'runners/python/runner.py')
  for (const py of pythons()) {
    // The source hash in an unchecked-hash pyc's header is importlib's hash of the source it was compiled from.
    const r = spawnSync(py, ['-c', `import importlib.util, sys
tag = sys.implementation.cache_tag
data = open(${JSON.stringify(join(repo, 'runners/python/__pycache__'))} + '/runner.' + tag + '.pyc', 'rb').read()
print(tag, data[:4] == importlib.util.MAGIC_NUMBER, data[4:8] == b'\\x01\\x00\\x00\\x00', data[8:16] == importlib.util.source_hash(open(${JSON.stringify(source)}, 'rb').read()))`], { encoding: 'utf8' })
    t.match(r.stdout.trim(), /^cpython-\d+ True True True$/, `${r.stdout.trim()}: magic, unchecked hash, hash of runner.py (run runners/python/build.sh after changing it)${r.stderr}`)
  }
  // A python whose bytecode is not shipped (a newer one): run.py falls back to runner.py's source.
  const { wrapper, layerDir } = await layer({ python: { preloads: [{ module: './py/first.py', options: { tag: 'S' } }] } })
  rmSync(join(layerDir, 'wrapgen/python/__pycache__'), { recursive: true })
  chmodSync(join(layerDir, 'wrapgen/python'), 0o555) // read-only, as /opt is: nothing is cached there
  const got = run(wrapper, ['python3', 'bootstrap.py'])
  chmodSync(join(layerDir, 'wrapgen/python'), 0o755)
  t.equal(got.code, 0, got.stderr)
  t.same(got.log, [`first ${got.pid} S`])
  t.ok(JSON.parse(got.stdout).main)
})

t.test('ruby, real interpreter: -r runner, order, $LOAD_PATH, isolation, critical', { skip: !has('ruby') && 'ruby not installed' }, async (t) => {
  const { wrapper, result } = await layer({ ruby: { preloads: [{ module: './rb/first.rb', options: { tag: 'R1' } }, './rb/boom.rb', './rb/syntax.rb', 'set', './rb/second.rb'] } })
  const sim = simulate(result.plan, { argv: ['/var/lang/bin/ruby', '/var/runtime/index.rb'], env: {}, wrapperDir: '/opt/wrapgen' })
  t.same(sim.argv, ['/var/lang/bin/ruby', '-r/opt/wrapgen/ruby/run.rb', '/var/runtime/index.rb'])
  const bare = run(undefined, ['ruby', 'index.rb', 'a b'])
  const got = run(wrapper, ['ruby', 'index.rb', 'a b'])
  t.equal(got.code, 0, got.stderr)
  const w = JSON.parse(got.stdout) as Record<string, unknown>
  const b = JSON.parse(bare.stdout) as Record<string, unknown>
  t.equal(w.pid, got.pid, 'same process')
  t.same(got.log, [`first ${got.pid} R1`, `second ${got.pid}`], 'in order, with options, failed ones skipped')
  t.same(w.load_path, b.load_path, '$LOAD_PATH as without the layer')
  t.same([w.argv, w.program], [b.argv, b.program])
  t.same(own(got.stderr), ['wrapgen: preload ./rb/boom.rb failed: ArgumentError: boom; skipped', `wrapgen: preload ./rb/syntax.rb failed: SyntaxError: ${own(got.stderr)[1]?.split('SyntaxError: ')[1]?.replace('; skipped', '')}; skipped`])
  t.match(own(got.stderr)[1], /03-syntax\.rb/)
  t.equal(got.stderr.split('\n').filter(Boolean).length, 2, 'one line per failure, no backtrace')
  const crit = await layer({ ruby: { preloads: [{ module: './rb/boom.rb', critical: true }, './rb/second.rb'] } })
  const c = run(crit.wrapper, ['ruby', 'index.rb'])
  t.equal(c.code, 1)
  t.same(own(c.stderr), ['wrapgen: preload ./rb/boom.rb failed: ArgumentError: boom (critical: stopping start-up)'])
  t.equal(c.stdout, '')
  const twice = run(wrapper, [wrapper, 'ruby', 'index.rb'])
  t.equal(twice.log.length, 2, 'applied once')
  // Guards against a runner that rescues SystemExit with the other exceptions: `exit` in a hook would
  // become a "failed; skipped" line and the function would start anyway.
  const exits = await layer({ ruby: { preloads: ['./rb/exits.rb', './rb/second.rb'] } })
  const e = run(exits.wrapper, ['ruby', 'index.rb'])
  t.equal(e.code, 3, 'a hook that calls exit 3 ends the process with 3, as it would anywhere')
  t.equal(e.stdout, '', 'the entry never ran')
  t.same([own(e.stderr), e.log], [[], []], 'no wrapgen line, no later hook')
})

// Java: agents compiled and packed in setup (once, for the tests that need them), a main class
// standing in for the runtime client.
let javaBuilt: { ok: boolean; main: string } | undefined
function javaFixtures(): { ok: boolean; main: string } {
  return (javaBuilt ??= buildJavaFixtures())
}
function buildJavaFixtures(): { ok: boolean; main: string } {
  const j = join(dir, 'java')
  const src: Record<string, string> = {
    // Errors thrown outside premain, where the runner loads the agent's class: its static initialiser
    // throws (ExceptionInInitializerError), or the class was built for a newer JVM (see below).
    'Init.java': 'public class Init { static final int X = Integer.parseInt("not a number"); public static void premain(String a) { System.out.println("init " + X); } }\n',
    'Newer.java': 'public class Newer { public static void premain(String a) { System.out.println("newer"); } }\n',
    'A1.java': 'import java.lang.instrument.Instrumentation;\npublic class A1 { public static void premain(String a, Instrumentation i) { Log.add("a1 " + a + " " + i.isRetransformClassesSupported()); } }\n',
    'A2.java': 'public class A2 { public static void premain(String a) { Log.add("a2 " + a); } }\n',
    'Boom.java': 'public class Boom { public static void premain(String a) { throw new IllegalStateException("agent broke\\nsecond"); } }\n',
    'Gone.java': 'public class Gone { public static void premain(String a) { System.out.println("gone"); } }\n',
    'Log.java': 'public class Log { static void add(String s) { try { java.nio.file.Files.write(java.nio.file.Paths.get(System.getenv("HOOK_LOG")), (s + " " + ProcessHandle.current().pid() + "\\n").getBytes(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND); } catch (Exception e) { throw new RuntimeException(e); } } }\n',
    // The first agent's class comes from the runner's jar (the layer's copy of its own, hosting the
    // runner): where it says it was loaded from, and an agent that appends its jar to the boot class
    // path, as OpenTelemetry's does (the runner's classes are in that jar too).
    'Where.java': 'public class Where { public static void premain(String a, java.lang.instrument.Instrumentation i) { Log.add("where " + Where.class.getProtectionDomain().getCodeSource().getLocation().getPath()); } }\n',
    'SelfBoot.java': 'public class SelfBoot { public static void premain(String a, java.lang.instrument.Instrumentation i) throws Exception { i.appendToBootstrapClassLoaderSearch(new java.util.jar.JarFile(new java.io.File(SelfBoot.class.getProtectionDomain().getCodeSource().getLocation().toURI()))); System.out.println("selfboot"); } }\n',
    // Signed in setup. In a package: the runner's classes, unsigned, are in the unnamed one, and a
    // class loader takes a package's classes from jars of one signer only.
    'Signed.java': 'package acme; public class Signed { public static void premain(String a) { System.out.println("signed " + a); } }\n',
    'Main.java': 'public class Main { public static void main(String[] a) { System.out.println("{\\"pid\\":" + ProcessHandle.current().pid() + ",\\"cp\\":\\"" + System.getProperty("java.class.path") + "\\",\\"args\\":\\"" + String.join("|", a) + "\\"}"); } }\n',
  }
  for (const [f, s] of Object.entries(src)) writeFileSync(join(j, f), s)
  if (spawnSync('javac', ['-d', join(j, 'classes'), ...Object.keys(src).map((f) => join(j, f))]).status !== 0) return { ok: false, main: '' }
  // Class file version 99 (bytes 6-7): what a class compiled for a JVM newer than this one carries.
  const newer = readFileSync(join(j, 'classes/Newer.class'))
  newer.writeUInt16BE(99, 6)
  writeFileSync(join(j, 'classes/Newer.class'), newer)
  for (const [jar, cls, extra] of [['a1', 'A1', ['Log.class']], ['a2', 'A2', ['Log.class']], ['boom', 'Boom', []], ['init', 'Init', []], ['newer', 'Newer', []], ['notagent', 'Gone', []], ['where', 'Where', ['Log.class']], ['selfboot', 'SelfBoot', []]] as const) {
    writeFileSync(join(j, `${jar}.mf`), `Premain-Class: ${cls}\n`)
    if (spawnSync('jar', ['cfm', join(j, `${jar}.jar`), join(j, `${jar}.mf`), '-C', join(j, 'classes'), `${cls}.class`, ...extra.flatMap((e) => ['-C', join(j, 'classes'), e])]).status !== 0) return { ok: false, main: '' }
  }
  mkdirSync(join(j, 'app'))
  cpSync(join(j, 'classes/Main.class'), join(j, 'app/Main.class'))
  // A jar without Premain-Class is refused at build time: the layer is built with an agent in its
  // place (notagent.jar, whose Premain-Class Gone is nowhere else), and the real one (notagent-real.jar)
  // put into the built layer after.
  spawnSync('jar', ['cf', join(j, 'notagent-real.jar'), '-C', join(j, 'classes'), 'Main.class'])
  // A signed agent: the runner cannot be written into it (its signature covers the manifest).
  writeFileSync(join(j, 'signed.mf'), 'Premain-Class: acme.Signed\n')
  spawnSync('jar', ['cfm', join(j, 'signed.jar'), join(j, 'signed.mf'), '-C', join(j, 'classes'), 'acme/Signed.class'])
  if (spawnSync('keytool', ['-genkeypair', '-keystore', join(j, 'keys.p12'), '-storepass', 'secret', '-keypass', 'secret', '-alias', 'k', '-dname', 'CN=wrapgen test', '-keyalg', 'RSA', '-keysize', '2048']).status !== 0) return { ok: false, main: '' }
  if (spawnSync('jarsigner', ['-keystore', join(j, 'keys.p12'), '-storepass', 'secret', join(j, 'signed.jar'), 'k']).status !== 0) return { ok: false, main: '' }
  return { ok: true, main: join(j, 'app') }
}

t.test('java, real JVM: one runner agent starts the configured agents in order, isolated', { skip: !(has('javac') && has('jar')) && 'no JDK (javac, jar)' }, async (t) => {
  const fx = javaFixtures()
  t.ok(fx.ok, 'agents compiled and packed')
  const { wrapper, result, layerDir } = await layer({ java: { flags: ['-Xshare:auto'], agents: [{ jar: './java/a1.jar', options: 'k=v,x=1' }, './java/boom.jar', './java/notagent.jar', './java/a2.jar'] } })
  await t.rejects(layer({ java: { agents: ['./java/notagent-real.jar'] } }), { name: 'UserError', message: /^java\.agents\[0\]: \.\/java\/notagent-real\.jar has no Premain-Class in its manifest/ }, 'a jar that is not an agent: refused at build time')
  // At run time (a jar replaced after the build, so the class agents.txt names is not in it), the
  // runner skips it with one line.
  cpSync(join(dir, 'java/notagent-real.jar'), join(layerDir, 'wrapgen/java/agents/03-notagent.jar'))
  const sim = simulate(result.plan, { argv: ['/var/lang/bin/java', '-XX:+UseSerialGC', '-classpath', '/var/runtime/lib/*', 'com.amazonaws.Main', 'example.App::handle'], env: {}, wrapperDir: '/opt/wrapgen' })
  t.same(sim.argv, ['/var/lang/bin/java', '-XX:+UseSerialGC', '-classpath', '/var/runtime/lib/*', '-Xshare:auto', '-javaagent:/opt/wrapgen/java/wrapgen-agents.jar=/opt/wrapgen/java', 'com.amazonaws.Main', 'example.App::handle'], 'one -javaagent (its option string: its folder), before the main class; the handler stays last')
  const argv = ['java', '-XX:+UseSerialGC', '-classpath', fx.main, 'Main', 'example.App::handle']
  const bare = run(undefined, argv)
  const got = run(wrapper, argv)
  t.equal(got.code, 0, got.stderr)
  const w = JSON.parse(got.stdout) as { pid: number; cp: string; args: string }
  t.equal(w.pid, got.pid, 'same process')
  t.same(w, { ...(JSON.parse(bare.stdout) as object), pid: got.pid }, 'the classpath and the program arguments as without the layer')
  t.same(got.log, [`a1 k=v,x=1 true ${got.pid}`, `a2 null ${got.pid}`], 'in order, with options (null when none, as the JVM passes), sharing the runner\'s capabilities')
  t.same(own(got.stderr), [
    'wrapgen: agent ./java/boom.jar failed: java.lang.IllegalStateException: agent broke; skipped',
    'wrapgen: agent ./java/notagent.jar failed: java.lang.ClassNotFoundException: Gone; skipped',
  ])
  t.same(readFileSync(join(layerDir, 'wrapgen/java/agents.txt'), 'utf8').split('\n').slice(1), [
    'isolated\t\t./java/a1.jar\tk=v,x=1\tA1\t\t2', 'isolated\tagents/02-boom.jar\t./java/boom.jar\t\tBoom\t\t', 'isolated\tagents/03-notagent.jar\t./java/notagent.jar\t\tGone\t\t', 'isolated\tagents/04-a2.jar\t./java/a2.jar\t\tA2\t\t', '',
  ], 'agents.txt: each agent\'s Premain-Class read at build time, so the runner reads no manifest; the first one\'s file empty (in the runner\'s jar), its premain(String, Instrumentation) called straight')
  t.notOk(existsSync(join(layerDir, 'wrapgen/java/agents/01-a1.jar')), 'the first agent has no copy of its own: the runner is in it')
  const hostJar = join(layerDir, 'wrapgen/java/wrapgen-agents.jar')
  t.same(spawnSync('unzip', ['-Z1', hostJar], { encoding: 'utf8' }).stdout.split('\n'), ['META-INF/', 'META-INF/MANIFEST.MF', 'A1.class', 'Log.class', 'WrapgenAgents.class', 'WrapgenAgentsRare.class', ''], 'the runner\'s jar: the first agent\'s entries, the manifest first, and the runner\'s classes')
  t.notMatch(spawnSync('unzip', ['-v', hostJar], { encoding: 'utf8' }).stdout, /Defl/, 'every entry stored (no inflater on a cold start)')
  t.match(spawnSync('unzip', ['-p', hostJar, 'META-INF/MANIFEST.MF'], { encoding: 'utf8' }).stdout, /^Manifest-Version: 1\.0\r\n(.+\r\n)*Premain-Class: WrapgenAgents\r\n(.+\r\n)*Can-Set-Native-Method-Prefix: true\r\n\r\n$/, 'its Premain-Class the runner, with the runner\'s capabilities')
  // Attached by hand, without its option string (or by a wrapper of an older build): it finds its
  // folder (where the other agents' jars are) from its jar.
  const byHand = run(undefined, ['java', `-javaagent:${join(layerDir, 'wrapgen/java/wrapgen-agents.jar')}`, ...argv.slice(1)])
  t.equal(byHand.code, 0, byHand.stderr)
  t.same(byHand.log, [`a1 k=v,x=1 true ${byHand.pid}`, `a2 null ${byHand.pid}`], 'the same agents, their jars found beside its own')
  t.same(own(byHand.stderr), own(got.stderr), 'the same failures')
  const twice = run(wrapper, [wrapper, ...argv])
  t.equal(twice.log.length, 2, 'applied once')
  const timed = run(wrapper, argv, { WRAPGEN_TIMING: '1' })
  const line = JSON.parse(timed.stderr.split('\n').find((l) => l.startsWith('{'))!) as { runtime: string; hooks: Array<{ name: string; ok: boolean; ms: unknown }> }
  t.same(line.hooks.map((h) => [h.name, h.ok]), [['./java/a1.jar', true], ['./java/boom.jar', false], ['./java/notagent.jar', false], ['./java/a2.jar', true]])
  t.ok(line.hooks.every((h) => typeof h.ms === 'number' && h.ms >= 0), 'each agent timed in ms (formatted without java\'s number formatting)')
  t.notOk(got.stderr.includes('"wrapgen":"hooks"'), 'no timing line unless WRAPGEN_TIMING=1')

  const crit = await layer({ java: { agents: [{ jar: './java/boom.jar', critical: true }, './java/a1.jar'] } })
  const c = run(crit.wrapper, argv)
  t.equal(c.code, 1, 'a critical agent that fails stops the JVM')
  t.same(own(c.stderr), ['wrapgen: agent ./java/boom.jar failed: java.lang.IllegalStateException: agent broke (critical: stopping start-up)'])
  t.equal(c.stdout, '')

  // JAVA_TOOL_OPTIONS: the same agents, and the JVM's "Picked up" line (the cost of that way).
  const jto = await layer({ java: { inject: 'JAVA_TOOL_OPTIONS', agents: ['./java/a1.jar', './java/a2.jar'] } })
  const viaEnv = run(jto.wrapper, argv, { JAVA_TOOL_OPTIONS: '-Dfrom.user=1' })
  t.equal(viaEnv.code, 0, viaEnv.stderr)
  t.same(viaEnv.log, [`a1 null true ${viaEnv.pid}`, `a2 null ${viaEnv.pid}`])
  t.match(viaEnv.stderr, /^Picked up JAVA_TOOL_OPTIONS: -javaagent:(\S+)\/wrapgen\/java\/wrapgen-agents\.jar=\1\/wrapgen\/java -Dfrom\.user=1\n$/, 'prepended to the user\'s options, with the runner\'s folder as its option string; the JVM says so on stderr')

  // Missing files: an agent jar (that agent fails, one line) and the runner (original command).
  rmSync(join(layerDir, 'wrapgen/java/agents/04-a2.jar'))
  const gone = run(wrapper, argv)
  t.equal(gone.code, 0)
  t.match(own(gone.stderr)[2], /^wrapgen: agent \.\/java\/a2\.jar failed: java\.io\.FileNotFoundException: .*04-a2\.jar is missing from the layer; skipped$/)
  // The list is in the runner's class (java-class.ts): agents.txt edited by hand changes nothing.
  const listFile = join(layerDir, 'wrapgen/java/agents.txt')
  const cutList = `${readFileSync(listFile, 'utf8')}critical\tagents/05-cut.jar\n`
  writeFileSync(listFile, cutList)
  const edited = run(wrapper, argv)
  t.same([edited.code, edited.log], [0, [`a1 k=v,x=1 true ${edited.pid}`]], 'agents.txt edited by hand: the list in the runner\'s class holds')
  // A line cut short, in the class's list or in agents.txt (read by a runner whose class holds no
  // list, as when the list is too long for a class file's constant): that agent fails alone, with one line.
  for (const [where, list] of [['in the class', cutList], ['in agents.txt', undefined]] as const) {
    writeFileSync(hostJar, (await hostedRunnerJar(readFileSync(join(dir, 'java/a1.jar')), () => javaRunnerClasses({ list, target: 'A1' }))) as Uint8Array)
    const cut = run(wrapper, argv)
    t.equal(cut.code, 1, `critical, as the line says (${where})`)
    t.match(own(cut.stderr).at(-1), /^wrapgen: agent  failed: java\.io\.FileNotFoundException: .*05-cut\.jar is missing from the layer \(critical: stopping start-up\)$/)
    t.same(cut.log, [`a1 k=v,x=1 true ${cut.pid}`], 'the agents before it started')
  }
  rmSync(join(layerDir, 'wrapgen/java/wrapgen-agents.jar'))
  const noRunner = run(wrapper, argv)
  t.equal(noRunner.code, 0)
  t.same(own(noRunner.stderr), [`wrapgen: ${join(layerDir, 'wrapgen')}/java/wrapgen-agents.jar is missing; running the function without wrapgen (failMode "open")`])
  t.same(noRunner.log, [])
})

// The runner hosted in the first agent's jar (src/startup-hooks/java-hosted.ts): what that agent sees,
// its failures, an agent that puts its own jar (and so the runner's classes) on the boot class path,
// and the jars it cannot be written into.
t.test('java, real JVM: the runner in the first agent\'s jar', { skip: !(has('javac') && has('jar') && has('jarsigner')) && 'no JDK (javac, jar, jarsigner)' }, async (t) => {
  const fx = javaFixtures()
  t.ok(fx.ok, 'agents compiled, packed and signed')
  const argv = ['java', '-XX:+UseSerialGC', '-classpath', fx.main, 'Main', 'example.App::handle']
  const where = await layer({ java: { agents: ['./java/where.jar', './java/a2.jar'] } })
  const got = run(where.wrapper, argv)
  t.equal(got.code, 0, got.stderr)
  t.same(got.log, [`where ${join(where.layerDir, 'wrapgen/java/wrapgen-agents.jar')} ${got.pid}`, `a2 null ${got.pid}`], 'the first agent\'s class comes from the layer\'s copy of its jar, as with -javaagent: of that copy')
  t.ok(readFileSync(join(where.layerDir, 'wrapgen/java/wrapgen-agents.jar')).equals(readFileSync(join((await layer({ java: { agents: ['./java/where.jar', './java/a2.jar'] } })).layerDir, 'wrapgen/java/wrapgen-agents.jar'))), 'the same config, the same jar, byte for byte')

  const boom = await layer({ java: { agents: ['./java/boom.jar', './java/a2.jar'] } })
  const b = run(boom.wrapper, argv)
  t.equal(b.code, 0, 'a failing first agent is isolated like the others')
  t.same(own(b.stderr), ['wrapgen: agent ./java/boom.jar failed: java.lang.IllegalStateException: agent broke; skipped'])
  t.same(b.log, [`a2 null ${b.pid}`])

  // The failure after SelfBoot (no WRAPGEN_TIMING: the runner's rare class is loaded only then, by the
  // boot loader now): one line, not a JVM aborted by an IllegalAccessError.
  const sb = await layer({ java: { agents: ['./java/selfboot.jar', './java/boom.jar', './java/a2.jar'] } })
  for (const env of [{}, { WRAPGEN_TIMING: '1' }] as Array<Record<string, string>>) {
    const s = run(sb.wrapper, argv, env)
    t.equal(s.code, 0, s.stderr)
    t.same(own(s.stderr), ['wrapgen: agent ./java/boom.jar failed: java.lang.IllegalStateException: agent broke; skipped'], 'an agent that puts its jar on the boot class path: the failure after it reported as before')
    t.same([s.stdout.split('\n')[0], s.log], ['selfboot', [`a2 null ${s.pid}`]])
    t.equal(s.stderr.includes('{"wrapgen":"hooks"'), 'WRAPGEN_TIMING' in env, 'timed when asked')
  }

  const signed = await layer({ java: { agents: ['./java/signed.jar', './java/a1.jar'] } })
  const java = join(signed.layerDir, 'wrapgen/java')
  t.ok(readFileSync(join(java, 'agents/01-signed.jar')).equals(readFileSync(join(dir, 'java/signed.jar'))), 'a signed first agent: copied as it is')
  t.same(spawnSync('unzip', ['-Z1', join(java, 'wrapgen-agents.jar')], { encoding: 'utf8' }).stdout.split('\n'), ['META-INF/MANIFEST.MF', 'WrapgenAgents.class', 'WrapgenAgentsRare.class', ''], 'and the runner in its own jar')
  t.equal(readFileSync(join(java, 'agents.txt'), 'utf8').split('\n')[1], 'isolated\tagents/01-signed.jar\t./java/signed.jar\t\tacme.Signed\t\t1', 'its premain(String) called straight from the runner\'s own jar')
  const sg = run(signed.wrapper, argv)
  t.equal(sg.code, 0, sg.stderr)
  t.same([sg.stdout.split('\n')[0], sg.log], ['signed null', [`a1 null true ${sg.pid}`]], 'both started')
})

t.test('java: the jar the runner is written into', async (t) => {
  const runner = (): ReturnType<typeof javaRunnerClasses> => javaRunnerClasses()
  const hosted = await hostedRunnerJar(await agentJar(), runner)
  t.type(hosted, Uint8Array, 'an agent jar hosts the runner')
  t.equal(await hostedRunnerJar(await agentJar('WrapgenAgents'), runner), 'it has a class of the runner\'s name (WrapgenAgents.class)')
  const clash = new yazl.ZipFile()
  clash.addBuffer(Buffer.from('Manifest-Version: 1.0\r\nPremain-Class: A\r\n\r\n'), 'META-INF/MANIFEST.MF')
  clash.addBuffer(Buffer.from('x'), 'A.class')
  clash.addBuffer(Buffer.from('x'), 'META-INF/versions/11/WrapgenAgentsRare.class')
  clash.addBuffer(Buffer.from('x'), 'META-INF/ACME.SF')
  t.equal(await hostedRunnerJar(await finishZip(clash, ''), runner), 'it has a class of the runner\'s name (META-INF/versions/11/WrapgenAgentsRare.class)')
  const grants = [['Premain-Class', 'WrapgenAgents'], ['Can-Retransform-Classes', 'true']] as const
  t.equal(rewriteManifest('Manifest-Version: 1.0\nPremain-Class: io.example.Agent\nboot-class-path: a.jar\n  b.jar\ncan-retransform-classes: false\n\nName: x/\nSealed: true\n', grants),
    'Manifest-Version: 1.0\r\nPremain-Class: WrapgenAgents\r\nboot-class-path: a.jar b.jar\r\nCan-Retransform-Classes: true\r\n\r\nName: x/\r\nSealed: true\r\n', 'replaced where they are (names in any case), continuations joined, the sections after kept')
  t.equal(rewriteManifest('Premain-Class: A', grants), 'Premain-Class: WrapgenAgents\r\nCan-Retransform-Classes: true\r\n\r\n', 'missing attributes added; a last line without its newline read')
  const long = rewriteManifest(`Premain-Class: A\r\nImplementation-Title: ${'é'.repeat(50)}\r\n\r\n`, grants).split('\r\n')
  t.same(long.map((l) => Buffer.byteLength(l) <= 72), long.map(() => true), 'lines wrapped at 72 bytes')
  t.equal(long.slice(1, 3).map((l, i) => (i ? l.slice(1) : l)).join(''), `Implementation-Title: ${'é'.repeat(50)}`, 'never inside a character')
})

// Guards against the runner catching only Exception around an agent's start: the Errors the JVM throws
// while loading an agent's class (not from premain, which reflection wraps in an Exception) would then
// escape the runner's premain, and a JVM whose -javaagent fails aborts: the function never starts.
t.test('java, real JVM: an agent failing with an Error outside premain is isolated like an Exception', { skip: !(has('javac') && has('jar')) && 'no JDK (javac, jar)' }, async (t) => {
  const fx = javaFixtures()
  t.ok(fx.ok, 'agents compiled and packed')
  const { wrapper } = await layer({ java: { agents: ['./java/init.jar', './java/newer.jar', './java/a2.jar'] } })
  const got = run(wrapper, ['java', '-classpath', fx.main, 'Main', 'example.App::handle'])
  t.equal(got.code, 0, `the function still starts: ${got.stderr}`)
  t.equal((JSON.parse(got.stdout) as { pid: number }).pid, got.pid, 'the entry ran, in the same process')
  t.same(own(got.stderr), [
    'wrapgen: agent ./java/init.jar failed: java.lang.ExceptionInInitializerError; skipped',
    `wrapgen: agent ./java/newer.jar failed: java.lang.UnsupportedClassVersionError: ${own(got.stderr)[1]?.split('UnsupportedClassVersionError: ')[1]?.replace(/; skipped$/, '')}; skipped`,
  ], 'one line each: the static initialiser\'s error, the class built for a newer JVM')
  t.match(own(got.stderr)[1], /Newer .*class file version 99/, 'which class, and why')
  t.equal(got.stderr.split('\n').filter(Boolean).length, 2, 'nothing else on stderr (no stack trace)')
  t.same(got.log, [`a2 null ${got.pid}`], 'the agent after them still started')
})

// wrapgen's build reads each agent's manifest into agents.txt (the runner reads none on a cold start),
// and the runner looks premain up in the JVM's order: both must read what the JVM reads.
t.test('java: manifest attributes are read as java.util.jar.Manifest reads them', async (t) => {
  t.equal(manifestAttribute('Manifest-Version: 1.0\r\nPremain-Class: a.b.\r\n C\r\n\r\n', 'Premain-Class'), 'a.b.C', 'CRLF lines, one continued after a space')
  t.equal(manifestAttribute('Manifest-Version: 1.0\rpremain-class:  X \r', 'Premain-Class'), 'X', 'CR lines; the name in any case; the value trimmed')
  t.equal(manifestAttribute('Manifest-Version: 1.0\n\nName: x/Y.class\nPremain-Class: Y\n', 'Premain-Class'), undefined, 'not from a per-entry section (after the first empty line)')
  t.equal(manifestAttribute('Premain-Class-Extra: Z\nBoot-Class-Path: a.jar\n  b.jar\n', 'Premain-Class'), undefined, 'a longer name is another attribute')
  t.equal(manifestAttribute('Boot-Class-Path: a.jar\n  b.jar\n', 'Boot-Class-Path'), 'a.jar b.jar', 'a continuation keeps the space after the first')
})

t.test('java, real JVM: the build reads a manifest and the runner finds premain as the JVM does', { skip: !(has('javac') && has('jar')) && 'no JDK (javac, jar)' }, async (t) => {
  const fx = javaFixtures()
  t.ok(fx.ok, 'agents compiled and packed')
  const j = join(dir, 'java-manifest')
  const pkg = 'com.example.agents.named.at.length.to.wrap'
  const src: Record<string, string> = {
    // A long name in a package: jar wraps its manifest line at 72 bytes, continued after one space.
    'TheAgentWhoseNameRunsPastTheLine.java': `package ${pkg};\npublic class TheAgentWhoseNameRunsPastTheLine { public static void premain(String a) { System.out.println("long " + a + " boot=" + (Boot.class.getClassLoader() == null)); } }\n`,
    'Boot.java': `package ${pkg};\npublic class Boot {}\n`,
    // Both premain forms, one inherited: the JVM takes the class's own premain(String) first.
    'Base.java': 'public class Base { public static void premain(String a, java.lang.instrument.Instrumentation i) { System.out.println("inherited"); } }\n',
    'Child.java': 'public class Child extends Base { public static void premain(String a) { System.out.println("own " + a); } }\n',
    'OnlyBase.java': 'public class OnlyBase extends Base {}\n',
    // Not public, in a package: the JVM starts it past the access check.
    'Hidden.java': `package ${pkg};\nclass Hidden { public static void premain(String a, java.lang.instrument.Instrumentation i) { System.out.println("hidden " + a); } }\n`,
    // No premain: the JVM loads the class but never initialises it.
    'NoPremain.java': 'public class NoPremain { static { System.out.println("initialised"); } }\n',
  }
  mkdirSync(join(j, 'classes'), { recursive: true })
  for (const [f, s] of Object.entries(src)) writeFileSync(join(j, f), s)
  t.equal(spawnSync('javac', ['-d', join(j, 'classes'), ...Object.keys(src).map((f) => join(j, f))], { encoding: 'utf8' }).stderr, '', 'compiled')
  const path = pkg.replace(/\./g, '/')
  spawnSync('jar', ['cf', join(j, 'boot.jar'), '-C', join(j, 'classes'), `${path}/Boot.class`])
  // Lower-case attribute names, CRLF lines, the boot jar by absolute path.
  writeFileSync(join(j, 'long.mf'), `premain-class: ${pkg}.TheAgentWhoseNameRunsPastTheLine\r\nboot-class-path: ${join(j, 'boot.jar')}\r\n`)
  spawnSync('jar', ['cfm', join(j, 'long.jar'), join(j, 'long.mf'), '-C', join(j, 'classes'), `${path}/TheAgentWhoseNameRunsPastTheLine.class`])
  t.match(spawnSync('unzip', ['-p', join(j, 'long.jar'), 'META-INF/MANIFEST.MF'], { encoding: 'utf8' }).stdout ?? '', /\r?\n [^\r\n]+/, 'the manifest holds a continued line')
  for (const [jar, cls, extra] of [['child', 'Child', ['Base.class']], ['onlybase', 'OnlyBase', ['Base.class']], ['hidden', `${pkg}.Hidden`, []], ['nopremain', 'NoPremain', []]] as const) {
    writeFileSync(join(j, `${jar}.mf`), `Premain-Class: ${cls}\n`)
    spawnSync('jar', ['cfm', join(j, `${jar}.jar`), join(j, `${jar}.mf`), '-C', join(j, 'classes'), `${cls.replace(/\./g, '/')}.class`, ...extra.flatMap((e) => ['-C', join(j, 'classes'), e])])
  }
  const { wrapper, layerDir } = await layer({ java: { agents: [{ jar: './java-manifest/long.jar', options: 'x' }, { jar: './java-manifest/child.jar', options: 'y' }, './java-manifest/onlybase.jar', { jar: './java-manifest/hidden.jar', options: 'z' }, './java-manifest/nopremain.jar'] } })
  t.same(readFileSync(join(layerDir, 'wrapgen/java/agents.txt'), 'utf8').split('\n')[1]!.split('\t').slice(4), [`${pkg}.TheAgentWhoseNameRunsPastTheLine`, join(j, 'boot.jar'), '1'], 'agents.txt: the continued Premain-Class and the Boot-Class-Path (its premain(String) called straight)')
  const argv = ['java', '-classpath', fx.main, 'Main', 'example.App::handle']
  const got = run(wrapper, argv)
  t.equal(got.code, 0, got.stderr)
  t.same(got.stdout.split('\n').filter((l) => !l.startsWith('{')), ['long x boot=true', 'own y', 'inherited', 'hidden z', ''], 'the continued Premain-Class and the Boot-Class-Path, the class\'s own premain first, an inherited one last, a class that is not public, and a class without premain not initialised')
  const later = await layer({ java: { agents: ['./java-manifest/nopremain.jar', { jar: './java-manifest/long.jar', options: 'x' }] } })
  const boot = run(later.wrapper, argv)
  t.same(boot.stdout.split('\n').filter((l) => !l.startsWith('{')), ['long x boot=true', ''], 'a Boot-Class-Path of an agent after the first (the runner adds it, not the JVM)')
  t.same(own(got.stderr), ['wrapgen: agent ./java-manifest/nopremain.jar failed: java.lang.NoSuchMethodException: NoPremain.premain(String[, Instrumentation]) is not a public static method; skipped'], 'only the agent without premain failed')
  // Straight through -javaagent: (what the runner stands for) they print the same. (An inherited
  // premain, as Java 8's JVM takes it: this JVM may refuse it and abort, the runner takes it; without
  // premain the JVM aborts.)
  const direct = spawnSync('java', ['-javaagent:' + join(j, 'long.jar') + '=x', '-javaagent:' + join(j, 'child.jar') + '=y', '-javaagent:' + join(j, 'hidden.jar') + '=z', ...argv.slice(1)], { encoding: 'utf8' })
  t.same(direct.stdout.split('\n').filter((l) => !l.startsWith('{')), ['long x boot=true', 'own y', 'hidden z', ''], 'as the JVM itself does')
})

t.test('java: the committed runner classes are their source compiled (runners/java/build.sh)', { skip: !has('javac') && 'javac not installed' }, async (t) => {
  const out = join(dir, 'rebuilt')
  const r = spawnSync('javac', ['--release', '8', '-Xlint:-options', '-d', out, ...['WrapgenAgents', 'WrapgenAgentsRare', 'WrapgenAgentTarget'].map((c) => join(repo, `runners/java/src/${c}.java`))], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.same(readdirSync(out).sort(), ['WrapgenAgentTarget.class', 'WrapgenAgents.class', 'WrapgenAgentsRare.class'], 'the two classes the layer\'s runner jar packs, and the stand-in for the first agent\'s class (never packed)')
  for (const c of ['WrapgenAgents.class', 'WrapgenAgentsRare.class']) {
    t.equal(readFileSync(join(repo, 'runners/java', c)).readUInt16BE(6), 52, `${c}: Java 8 bytecode, for java8.al2`)
    t.ok(readFileSync(join(out, c)).equals(readFileSync(join(repo, 'runners/java', c))), `${c}: run runners/java/build.sh after changing the source`)
  }
})

// The runner calls the first agent's premain straight only where the JVM would call that same one and
// the runner may (java-class.ts). Guards against reading the wrong method (a two-slot constant miscounted
// shifts every index after it), calling a premain the JVM would not (an inherited one, a non-static one
// declared beside a good one), and a class name written in plain UTF-8 where a class file wants modified
// UTF-8 (the JVM refuses the runner's class and aborts: the function never starts).
t.test('java: which premain the runner calls straight, read from the class file; names and lists written into the runner', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => decodeModifiedUtf8(encodeModifiedUtf8(s)) === s), { numRuns: 2000 })
  t.same([...encodeModifiedUtf8('\0é𝔄')], [0xc0, 0x80, 0xc3, 0xa9, 0xed, 0xa0, 0xb5, 0xed, 0xb4, 0x84], 'U+0000 in two bytes, a character outside the BMP as its two surrogates')
  const runner = javaRunnerClasses()[0]!.bytes
  fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (name) => {
    const renamed = replaceConstant(runner, 'class', JAVA_TARGET_STAND_IN, name)
    return renamed.length === runner.length - JAVA_TARGET_STAND_IN.length + encodeModifiedUtf8(name).length && replaceConstant(renamed, 'class', name, JAVA_TARGET_STAND_IN).every((b, i) => b === runner[i])
  }), { numRuns: 300 })
  t.throws(() => replaceConstant(runner, 'string', JAVA_TARGET_STAND_IN, 'x'), /0 string constants/, 'a class name is not taken for a string constant')
  t.throws(() => replaceConstant(runner, 'string', JAVA_LIST_STAND_IN, 'x'.repeat(70000)), RangeError, 'nor a list longer than a constant holds')
  t.same(javaRunnerClasses({ list: 'é'.repeat(40000) }).map((c) => c.bytes), javaRunnerClasses().map((c) => c.bytes), 'such a list stays in agents.txt (the runner reads it there)')
  t.equal(premainArgs(Buffer.from('not a class')), undefined, 'not a class file')
  t.equal(premainArgs(runner.subarray(0, 300)), undefined, 'a class file cut short')
  await t.test('compiled classes', { skip: !has('javac') && 'javac not installed' }, async (t) => {
    const j = join(dir, 'java-premain')
    const src: Record<string, string> = {
      'P2.java': 'public class P2 { public static void premain(String a, java.lang.instrument.Instrumentation i) {} }\n',
      'P1.java': 'public class P1 { public static void premain(String a) {} }\n',
      'Both.java': 'public class Both { public static void premain(String a) {} public static void premain(String a, java.lang.instrument.Instrumentation i) {} }\n',
      // Long and double constants take two slots each before the methods' names.
      'Consts.java': 'public class Consts { static final long L = 1L << 40; static final double D = 1.5; public static void premain(String a) { System.out.println(L + D + a); } }\n',
      'NotStatic.java': 'public class NotStatic { public void premain(String a, java.lang.instrument.Instrumentation i) {} public static void premain(String a) {} }\n',
      'Inherits.java': 'public class Inherits extends P2 {}\n',
      'Hidden.java': 'class Hidden { public static void premain(String a) {} }\n',
      'Iface.java': 'public interface Iface { static void premain(String a) {} }\n',
    }
    mkdirSync(join(j, 'classes'), { recursive: true })
    for (const [f, code] of Object.entries(src)) writeFileSync(join(j, f), code)
    t.equal(spawnSync('javac', ['-d', join(j, 'classes'), ...Object.keys(src).map((f) => join(j, f))], { encoding: 'utf8' }).stderr, '', 'compiled')
    const args = (c: string): 1 | 2 | undefined => premainArgs(readFileSync(join(j, 'classes', `${c}.class`)))
    t.same(Object.fromEntries(['P2', 'P1', 'Both', 'Consts', 'NotStatic', 'Inherits', 'Hidden', 'Iface'].map((c) => [c, args(c)])),
      { P2: 2, P1: 1, Both: 2, Consts: 1, NotStatic: undefined, Inherits: undefined, Hidden: undefined, Iface: undefined },
      'the JVM\'s order; looked up as the JVM does where it must be (a non-static form the JVM would pick, an inherited premain, a class that is not public, an interface)')
    // A multi-release jar may give a newer JVM another version of the class: not read.
    const jar = async (versioned: boolean): Promise<Uint8Array> => {
      const zip = new yazl.ZipFile()
      zip.addBuffer(Buffer.from('Manifest-Version: 1.0\r\nPremain-Class: P2\r\nMulti-Release: true\r\n\r\n'), 'META-INF/MANIFEST.MF')
      zip.addBuffer(readFileSync(join(j, 'classes/P2.class')), 'P2.class')
      if (versioned) zip.addBuffer(readFileSync(join(j, 'classes/P1.class')), 'META-INF/versions/11/P2.class')
      return finishZip(zip, '')
    }
    t.same([await agentManifest(await jar(false)), await agentManifest(await jar(true))], [{ premainClass: 'P2', bootClassPath: '', premainArgs: 2 }, { premainClass: 'P2', bootClassPath: '' }], 'a multi-release jar with a version of the class: looked up')
  })
})

// A name that is not plain ASCII, and one outside the BMP, written into the runner's class: the JVM loads
// the runner and the runner calls the agent (modified UTF-8, as the JVM reads it).
t.test('java, real JVM: a first agent whose class name is not ASCII is called straight', { skip: !(has('javac') && has('jar')) && 'no JDK (javac, jar)' }, async (t) => {
  const fx = javaFixtures()
  t.ok(fx.ok, 'agents compiled and packed')
  const j = join(dir, 'java-unicode')
  const cls = 'été.𝔄gent'
  mkdirSync(join(j, 'classes'), { recursive: true })
  writeFileSync(join(j, '𝔄gent.java'), 'package été;\npublic class 𝔄gent { public static void premain(String a, java.lang.instrument.Instrumentation i) { System.out.println("unicode " + a.equals("\\u00fc=1")); } }\n')
  t.equal(spawnSync('javac', ['-encoding', 'UTF-8', '-d', join(j, 'classes'), join(j, '𝔄gent.java')], { encoding: 'utf8' }).stderr, '', 'compiled')
  writeFileSync(join(j, 'u.mf'), `Premain-Class: ${cls}\n`)
  spawnSync('jar', ['cfm', join(j, 'u.jar'), join(j, 'u.mf'), '-C', join(j, 'classes'), 'été/𝔄gent.class'])
  const { wrapper, layerDir } = await layer({ java: { agents: [{ jar: './java-unicode/u.jar', options: 'ü=1' }, './java/a2.jar'] } })
  t.equal(readFileSync(join(layerDir, 'wrapgen/java/agents.txt'), 'utf8').split('\n')[1], `isolated\t\t./java-unicode/u.jar\tü=1\t${cls}\t\t2`)
  const got = run(wrapper, ['java', '-classpath', fx.main, 'Main', 'example.App::handle'])
  t.equal(got.code, 0, got.stderr)
  t.equal(got.stdout.split('\n')[0], 'unicode true', 'called, with its options (not ASCII either)')
  t.same(got.log, [`a2 null ${got.pid}`], 'and the agent after it')
})

t.test('node.imports, real node: --import after the preload, loader hooks registered, isolated', async (t) => {
  const config = { node: { preloads: ['./esm/pre.cjs'], imports: [{ module: './esm/setup.mjs', options: { tag: 'E1' } }, './esm/broken.mjs', './esm/loader.mjs'] } }
  const { wrapper, result, layerDir } = await layer(config)
  t.same(result.files.map((f) => f.path).filter((p) => p.includes('import')), ['wrapgen/import.mjs', 'wrapgen/imports/01-setup.mjs', 'wrapgen/imports/02-broken.mjs', 'wrapgen/imports/03-loader.mjs'])
  const sim = simulate(result.plan, { argv: ['/var/lang/bin/node', '--expose-gc', '/var/runtime/index.mjs'], env: {}, wrapperDir: '/opt/wrapgen' })
  t.same(sim.argv, ['/var/lang/bin/node', '--expose-gc', '--require', '/opt/wrapgen/preload.cjs', '--import', '/opt/wrapgen/import.mjs', '/var/runtime/index.mjs'])
  const runtime = join(dir, 'esm')
  const got = run(wrapper, [process.execPath, '--expose-gc', 'entry.mjs'], {}, runtime)
  t.equal(got.code, 0, got.stderr)
  const out = JSON.parse(got.stdout) as { pid: number; loaded: string }
  t.equal(out.loaded, 'hello from the loader', 'the loader hooks resolve the handler\'s imports')
  t.equal(out.pid, got.pid, 'same process')
  t.same(got.log, [`preload ${got.pid}`, `setup ${got.pid} E1 ./esm/setup.mjs`], 'the --require preload first, then the import hooks in order; async setup awaited')
  t.same(own(got.stderr), ['wrapgen: import ./esm/broken.mjs failed: esm broke; skipped'], 'one line, and the rest still ran')
  t.equal(got.stderr.split('\n').filter(Boolean).length, 1)
  const twice = run(wrapper, [wrapper, process.execPath, 'entry.mjs'], {}, runtime)
  t.equal(twice.log.length, 2, 'applied once')
  const timed = run(wrapper, [process.execPath, 'entry.mjs'], { WRAPGEN_TIMING: '1' }, runtime)
  const line = JSON.parse(timed.stderr.split('\n').find((l) => l.includes('"kind":"import"'))!) as { hooks: Array<{ name: string; ok: boolean }> }
  t.same(line.hooks.map((h) => [h.name, h.ok]), [['./esm/setup.mjs', true], ['./esm/broken.mjs', false], ['./esm/loader.mjs', true]])

  const crit = await layer({ node: { imports: [{ module: './esm/broken.mjs', critical: true }, './esm/setup.mjs'] } })
  const c = run(crit.wrapper, [process.execPath, 'entry.mjs'], {}, runtime)
  t.equal(c.code, 1, 'a critical import hook that fails stops start-up')
  t.same(own(c.stderr), ['wrapgen: import ./esm/broken.mjs failed: esm broke (critical: stopping start-up)'])
  t.equal(c.stdout, '')

  // Guards against a runner that calls setup() without awaiting it: a rejection after an await would
  // then be unhandled (node ends the process with a stack trace) and no timing would cover the wait.
  const later = await layer({ node: { imports: ['./esm/rejects.mjs', './esm/slow.mjs', './esm/loader.mjs'] } })
  const l = run(later.wrapper, [process.execPath, 'entry.mjs'], { WRAPGEN_TIMING: '1' }, runtime)
  t.equal(l.code, 0, `an async setup that rejects: the function still starts: ${l.stderr}`)
  t.equal((JSON.parse(l.stdout) as { loaded: string }).loaded, 'hello from the loader', 'the hooks after it ran')
  t.same(own(l.stderr), ['wrapgen: import ./esm/rejects.mjs failed: setup rejected; skipped'], 'one line')
  const lines = l.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 2, 'and the timing line, nothing else (no stack trace)')
  const timing = JSON.parse(lines.find((x) => x.includes('"kind":"import"')) ?? '{}') as { hooks?: Array<{ name: string; ok: boolean; ms: number }> }
  t.same(timing.hooks?.map((h) => [h.name, h.ok]), [['./esm/rejects.mjs', false], ['./esm/slow.mjs', true], ['./esm/loader.mjs', true]])
  // A lower bound only: each setup awaits 300 ms before it settles, however fast or slow the machine.
  for (const h of timing.hooks?.slice(0, 2) ?? []) t.ok(h.ms >= 299, `${h.name}: its ${h.ms} ms cover the awaited 300 ms`)

  const env = await layer({ node: { inject: 'NODE_OPTIONS', imports: ['./esm/loader.mjs'] } })
  const e = run(env.wrapper, [process.execPath, 'entry.mjs'], { NODE_OPTIONS: '--no-warnings' }, runtime)
  t.equal(e.code, 0, e.stderr)
  const eo = JSON.parse(e.stdout) as { loaded: string; execArgv: string[]; nodeOptions: string }
  t.equal(eo.loaded, 'hello from the loader')
  t.same(eo.execArgv, [], 'NODE_OPTIONS: argv untouched')
  // (tap adds its own --import to NODE_OPTIONS of the processes a test spawns, after the function's.)
  t.ok(eo.nodeOptions.startsWith(`--import ${join(env.layerDir, 'wrapgen')}/import.mjs `), 'prepended to NODE_OPTIONS')
  t.match(eo.nodeOptions, /^\S+ \S+ "?--no-warnings/, 'the function\'s own options kept after it')

  rmSync(join(layerDir, 'wrapgen/imports/01-setup.mjs'))
  const gone = run(wrapper, [process.execPath, 'entry.mjs'], {}, runtime)
  t.equal(gone.code, 0)
  t.match(own(gone.stderr)[0], /^wrapgen: import \.\/esm\/setup\.mjs failed: Cannot find module .*01-setup\.mjs.*; skipped$/)
  rmSync(join(layerDir, 'wrapgen/import.mjs'))
  const noRunner = run(wrapper, [process.execPath, 'entry.mjs'], {}, runtime)
  t.equal(noRunner.code, 1, 'without the runner no loader resolves virtual:hello: the original command ran')
  t.match(own(noRunner.stderr)[0], /import\.mjs is missing; running the function without wrapgen/)
})

t.test('verify: the hooks check runs probe hooks through the built layer with the real interpreters', async (t) => {
  const { runHookChecks } = await import('../src/verify/hooks.js')
  const { loadCatalogue, selectRuntimes } = await import('../src/runtimes/catalogue.js')
  const fixtures = selectRuntimes(loadCatalogue().runtimes, 'python3.12,ruby3.3,java17,nodejs20.x')
  const config = await openConfig({ cwd: dir, config: { name: 'verify-hooks', python: { preloads: ['./py/first.py', 'json'] }, ruby: { preloads: ['set'] }, java: { agents: ['./java/a1.jar'] }, node: { imports: ['./esm/loader.mjs'] } } })
  const rows = await runHookChecks({ config, fixtures, memories: [1024] })
  const by = Object.fromEntries(rows.map((r) => [r.runtime, r]))
  t.same(Object.keys(by).sort(), ['java17', 'nodejs20.x', 'python3.12', 'ruby3.3'])
  for (const r of rows) t.equal(r.status, has(r.runtime.startsWith('python') ? 'python3' : r.runtime.replace(/[\d.x]+$/, '').replace('nodejs', 'node')) ? 'pass' : 'skip', `${r.runtime}: ${r.detail}`)
  // It can fail: python flags that change the module search path (-S: no site-packages) are caught.
  const noSite = await openConfig({ cwd: dir, config: { name: 'verify-hooks', python: { flags: ['-S'], preloads: ['./py/first.py'] } } })
  const bad = await runHookChecks({ config: noSite, fixtures: selectRuntimes(loadCatalogue().runtimes, 'python3.12'), memories: [1024] })
  t.equal(bad[0]?.status, has('python3') ? 'fail' : 'skip')
  if (has('python3')) t.match(bad[0]?.detail, /^sys\.path is .*, without the layer /)
  t.same(await runHookChecks({ config: await openConfig({ cwd: dir, config: { name: 'none' } }), fixtures, memories: [1024] }), [], 'no hooks, no rows')
  // Hooks named by module: looked up where the runtime looks at cold start, so a missing one fails
  // verify (before, the probes stood in for it and verify passed a layer whose hook never loads).
  const named = await openConfig({ cwd: dir, config: { name: 'named', python: { preloads: ['json', 'acme_hooks.otel', 'py.first'] }, ruby: { preloads: ['set', 'acme/otel'] } } })
  const both = selectRuntimes(loadCatalogue().runtimes, 'python3.12,ruby3.3')
  const missing = await runHookChecks({ config: named, fixtures: both, memories: [1024] })
  if (has('python3')) t.match(missing.find((r) => r.runtime === 'python3.12'), { status: 'fail', detail: /^python\.preloads\[1\] "acme_hooks\.otel": no such module where the runtime looks at cold start \(the config's folder \(for \/var\/task\), \/opt\/python/ }, 'python: the missing module fails; json (standard library) and py.first (the config\'s folder) are found')
  if (has('ruby')) t.match(missing.find((r) => r.runtime === 'ruby3.3'), { status: 'fail', detail: /^ruby\.preloads\[1\] "acme\/otel": no such library where the runtime looks/ })
  // The layer that ships them, given with --with-layer (its /opt/python, /opt/ruby/lib): found.
  const vendor = join(dir, 'vendor-layer')
  mkdirSync(join(vendor, 'python/acme_hooks'), { recursive: true })
  writeFileSync(join(vendor, 'python/acme_hooks/__init__.py'), 'raise SystemExit("a lookup never runs the module")\n')
  writeFileSync(join(vendor, 'python/acme_hooks/otel.py'), '')
  mkdirSync(join(vendor, 'ruby/lib/acme'), { recursive: true })
  writeFileSync(join(vendor, 'ruby/lib/acme/otel.rb'), 'exit 9\n')
  const found = await runHookChecks({ config: named, fixtures: both, memories: [1024], trees: [vendor] })
  for (const r of found) t.equal(r.status, has(r.runtime.startsWith('python') ? 'python3' : 'ruby') ? 'pass' : 'skip', `${r.runtime}: found in the --with-layer tree: ${r.detail}`)
})
