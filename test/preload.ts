// The preload bundle end to end: real esbuild builds it, the real wrapper (sh) inserts it, real node runs
// it before an entry script. Hooks are small local files that append what they received to a JSON-lines
// file named by WRAPGEN_TEST_LOG; the entry appends its own record, so order and options can be checked.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { transformSync } from 'esbuild'
import t from 'tap'
import { buildLayer } from '../src/build.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { writeLayer } from '../src/layer/write.js'
import { renderInitReport } from '../src/invoke/report.js'
import { initReport } from '../src/invoke/timing.js'
import { scaled } from '../src/limits/time-limit.js'
import { MODULE_HEAD, MODULE_TAIL } from '../src/render/preload-loader.js'
import { v8FlagsOf } from '../src/layer/code-cache.js'

interface LogRecord {
  name: string
  seq: number
  time: string
  pid: number
  options?: Record<string, unknown>
  ctxName?: string
  execArgv?: string[]
  nodeOptions?: string | null
  sourceMapsEnabled?: boolean
  stack?: string
  gc?: string
  isFunctionProcess?: boolean
  title?: string
}

// Shared by every hook (bundled into the preload) and the entry (loaded by node): one line per call.
const RECORD = `const { appendFileSync } = require('node:fs')
module.exports = function record(name, fields) {
  globalThis.__wrapgenTestSeq = (globalThis.__wrapgenTestSeq || 0) + 1
  const line = { name, seq: globalThis.__wrapgenTestSeq, time: process.hrtime.bigint().toString(), pid: process.pid, ...fields }
  appendFileSync(process.env.WRAPGEN_TEST_LOG, JSON.stringify(line) + '\\n')
}
`

// A TypeScript file compiled with an inline source map: with source maps on, its stack names mapped.ts.
const MAPPED = transformSync(['// padding so mapped and unmapped lines differ', '', '', '', 'export function where(): string {', '  return new Error("where").stack ?? ""', '}', ''].join('\n'), {
  loader: 'ts',
  format: 'cjs',
  sourcemap: 'inline',
  sourcefile: 'mapped.ts',
  minifyWhitespace: true,
}).code

const ENTRY = `const record = require('../hooks/record.cjs')
const { join } = require('node:path')
if (process.env._HANDLER) require(join(process.env.LAMBDA_TASK_ROOT, 'handler.cjs'))
const { where } = require('./mapped.cjs')
record('entry', {
  execArgv: process.execArgv,
  nodeOptions: process.env.NODE_OPTIONS ?? null,
  sourceMapsEnabled: process.sourceMapsEnabled,
  stack: where(),
  gc: typeof globalThis.gc,
})
process.stdout.write('ENTRY-OUTPUT\\n')
if (process.env.EXIT_AT_END) process.exit(Number(process.env.EXIT_AT_END))
if (process.env.START_WORKER) new (require('node:worker_threads').Worker)('1', { eval: true }).on('exit', () => record('worker-exit'))
`

const hook = (name: string): string =>
  `const record = require('./record.cjs')\nmodule.exports = (options, ctx) => record(${JSON.stringify(name)}, { options, ctxName: ctx.name })\n`

const dir = t.testdir({
  'package.json': JSON.stringify({ name: 'preload-fixture', private: true, type: 'commonjs' }),
  hooks: {
    'record.cjs': RECORD,
    'plain.cjs': hook('plain'),
    'defined.ts': [
      "import { definePreload } from 'wrapgen/preload'",
      "import record from './record.cjs'",
      'export default definePreload<{ label: string }>({',
      '  setup(options, ctx) {',
      "    record('defined', { options, ctxName: ctx.name })",
      '  },',
      '})',
      '',
    ].join('\n'),
    'default-cjs.cjs': "const record = require('./record.cjs')\nmodule.exports = { default: (options, ctx) => record('default-cjs', { options, ctxName: ctx.name }) }\n",
    'throws.cjs': "module.exports = () => { throw new Error('setup exploded') }\n",
    'load-throws.cjs': "throw new Error('module load exploded')\n",
    'rejects.cjs': "module.exports = async () => { await null; throw new Error('async nope') }\n",
    'critical.cjs': "module.exports = () => { throw new Error('cannot continue') }\n",
    // Thenables that are not promises: one whose then throws, one whose then returns nothing.
    'bad-then.cjs': "module.exports = () => ({ then() { throw new Error('then broke') } })\n",
    'odd-then.cjs': "module.exports = () => ({ then(ok) { ok() } })\n",
    'exits.cjs': "module.exports = () => { process.exit(3) }\n",
    'wraps-exit.cjs': "const record = require('./record.cjs')\nmodule.exports = () => { const exit = process.exit; process.exit = (code) => { record('exit-wrapped', { options: { code } }); return exit.call(process, code) } }\n",
    'busy.cjs': "module.exports = () => { const end = Date.now() + 60; while (Date.now() < end); }\n",
    'slow-async.cjs': "module.exports = () => new Promise((resolve) => setTimeout(resolve, 150))\n",
    'dyn-import.cjs': "const record = require('./record.cjs')\nmodule.exports = async () => { const os = await import('node:os'); record('dyn-import', { options: { cpus: typeof os.cpus } }) }\n",
    'no-hook.cjs': "module.exports = { name: 'not a hook' }\n",
    'throws-odd.cjs': "module.exports = () => { throw Object.create(null) }\n",
    // CommonJS hooks whose code the runner gets as a function of its own (src/layer/bundle.ts, hookBodyFiles).
    'this.cjs': "const record = require('./record.cjs')\nconst self = this === module.exports && this === exports\nmodule.exports = (options) => record('this', { options: { ...options, self } })\nreturn\nthrow new Error('ran past a top-level return')\n",
    'shared.cjs': "const record = require('./record.cjs')\nmodule.exports = () => { module.exports.calls = (module.exports.calls || 0) + 1; record('shared', { options: { calls: module.exports.calls } }) }\n",
    'uses-shared.cjs': "const record = require('./record.cjs')\nconst shared = require('./shared.cjs')\nmodule.exports = () => record('uses-shared', { options: { calls: shared.calls } })\n",
    'count-loads.cjs': "const record = require('./record.cjs')\nglobalThis.__loads = (globalThis.__loads || 0) + 1\nmodule.exports = (options) => record('count-loads', { options: { ...options, loads: globalThis.__loads } })\n",
    // Sloppy mode's function declared in a block: visible to the whole module, as node runs it; and a #! line.
    'block-fn.cjs': "#!/usr/bin/env node\nif (true) { function where() { return 'module scope' } }\nmodule.exports = () => require('./record.cjs')('block-fn', { options: { where: where() } })\n",
    'which.cjs': "const record = require('./record.cjs')\nmodule.exports = (options, ctx) => record('which', { isFunctionProcess: ctx.isFunctionProcess, title: process.title })\n",
  },
  // What only sloppy mode allows (esbuild reads the function form as an ES module: strict), in a folder
  // whose tsconfig.json does not make esbuild read every file as strict (the repository's does).
  sloppy: {
    'tsconfig.json': '{}',
    'delete.cjs': "var y = 8\ndelete y\nmodule.exports = () => require('../hooks/record.cjs')('sloppy', { options: { y } })\n",
  },
  node_modules: {
    'fake-hooks': {
      'package.json': JSON.stringify({ name: 'fake-hooks', version: '1.0.0', exports: { './hook': './hook.js' } }),
      'hook.js': "const { appendFileSync } = require('node:fs')\nmodule.exports = { setup(options, ctx) { globalThis.__wrapgenTestSeq = (globalThis.__wrapgenTestSeq || 0) + 1; appendFileSync(process.env.WRAPGEN_TEST_LOG, JSON.stringify({ name: 'fake-hooks', seq: globalThis.__wrapgenTestSeq, time: process.hrtime.bigint().toString(), pid: process.pid, options, ctxName: ctx.name }) + '\\n') } }\n",
    },
  },
  // What OpenTelemetry's ESM support does: NODE_OPTIONS=--import registering module hooks (a worker thread on node 20).
  'register-hooks.mjs': "import { register } from 'node:module'\nregister('data:text/javascript,export async function resolve(s, c, next) { return next(s, c) }')\n",
  task: {
    'entry.cjs': ENTRY,
    'handler.cjs': "for (let i = 0; i < 1e5; i++);\nexports.handler = async () => 'ok'\n",
    'mapped.cjs': MAPPED,
    // Like Lambda's /var/runtime/index.mjs: an ESM entry (loaded asynchronously) that require()s a
    // CommonJS handler, or import()s an ESM one.
    'index.mjs': [
      "import { createRequire } from 'node:module'",
      "const file = process.env.LAMBDA_TASK_ROOT + '/' + process.env._HANDLER.split('.')[0]",
      "if (process.env.ESM_HANDLER) await import(file + '.mjs')",
      "else createRequire(import.meta.url)(file + '.cjs')",
      "process.stdout.write('ESM-ENTRY\\n')",
      '',
    ].join('\n'),
    'esm-handler.mjs': 'export const handler = async () => 1\n',
    // The function forks a node child (inheriting execArgv) and spawns another (inheriting NODE_OPTIONS).
    'forks.cjs': [
      "const { fork, spawnSync } = require('node:child_process')",
      "const record = require('../hooks/record.cjs')",
      "record('entry', { execArgv: process.execArgv })",
      "spawnSync(process.execPath, [__dirname + '/child.cjs'], { stdio: 'inherit' })",
      "fork(__dirname + '/child.cjs').on('exit', () => record('fork-exit'))",
      '',
    ].join('\n'),
    'child.cjs': "require('../hooks/record.cjs')('child', { execArgv: process.execArgv })\nif (process.send) process.disconnect()\n",
    // Whether the runner required preload-rare.cjs before the entry ran.
    'rare-entry.cjs': "require('../hooks/record.cjs')('entry', { options: { rare: Object.keys(require.cache).some((f) => f.endsWith('/preload-rare.cjs')) } })\nprocess.stdout.write('ENTRY-OUTPUT\\n')\n",
  },
})
const task = join(dir, 'task')

/** Builds the config into DIR/out-NAME and returns the wrapper's path. */
async function layer(name: string, node: WrapgenConfig['node']): Promise<{ exec: string; preload: string }> {
  const config = await openConfig({ cwd: dir, config: { name, runtimes: ['nodejs20.x'], node } })
  const written = writeLayer(await buildLayer(config), join(dir, `out-${name}`))
  return { exec: join(written.layerDir, 'wrapgen/exec'), preload: join(written.layerDir, 'wrapgen/preload.cjs') }
}

let runs = 0
/** Runs `exec node --expose-gc entry.cjs` as Lambda's bootstrap would; returns the result and the log. */
function run(exec: string | undefined, env: Record<string, string> = {}, entry = join(task, 'entry.cjs'), flags = ['--expose-gc']): { r: SpawnSyncReturns<string>; log: LogRecord[]; stderr: string[] } {
  const log = join(dir, `log-${++runs}.jsonl`)
  writeFileSync(log, '')
  const argv = [process.execPath, ...flags, entry]
  // A clean environment: nothing of an outer wrapgen leaks in, and tap's coverage loader, which it adds to
  // every child's NODE_OPTIONS, is dropped by a shell in between: NODE_OPTIONS is exactly what the test says.
  const { NODE_OPTIONS, ...rest } = env
  const r = spawnSync('/bin/sh', ['-c', 'if [ -n "$TEST_NODE_OPTIONS" ]; then NODE_OPTIONS=$TEST_NODE_OPTIONS; export NODE_OPTIONS; else unset NODE_OPTIONS; fi; unset TEST_NODE_OPTIONS; exec "$@"', 'sh', ...(exec ? [exec] : []), ...argv], {
    cwd: task,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WRAPGEN_TEST_LOG: log, LAMBDA_TASK_ROOT: task, TEST_NODE_OPTIONS: NODE_OPTIONS ?? '', ...rest },
    timeout: scaled(15_000),
  })
  const records = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogRecord)
  return { r, log: records, stderr: r.stderr.split('\n').filter(Boolean) }
}

const failLine = (name: string, message: string): string => `wrapgen: preload ${name} failed: ${message}; skipped`

t.test('hooks run in order, isolated, before the entry; built-ins report timing and enable source maps', async (t) => {
  const { exec, preload } = await layer('main', {
    preloads: [
      'wrapgen/preloads/timing',
      'wrapgen/preloads/source-maps',
      { module: './hooks/plain.cjs', options: { label: 'one', n: 1 } },
      './hooks/throws.cjs',
      { module: './hooks/defined.ts', options: { label: 'two', nested: { list: [1, 'x'] } } },
      './hooks/load-throws.cjs',
      { module: './hooks/default-cjs.cjs', options: { label: 'three' } },
      './hooks/rejects.cjs',
      { module: 'fake-hooks/hook', options: { label: 'pkg' } },
    ],
  })
  const { r, log, stderr } = run(exec, { _HANDLER: 'handler.handler' })
  t.equal(r.error, undefined, 'spawned')
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`)
  t.equal(r.stdout, 'ENTRY-OUTPUT\n', "stdout carries only the entry's output")

  t.same(log.map((l) => l.name), ['plain', 'defined', 'default-cjs', 'fake-hooks', 'entry'], 'the working hooks ran in the configured order, then the entry')
  t.ok(log.every((l, i) => l.seq === i + 1 && l.pid === r.pid), 'all in the one process (sh and the wrapper exec node)')
  t.ok(log.every((l, i) => i === 0 || BigInt(l.time) >= BigInt(log[i - 1]!.time)), 'times rise with the order')
  const by = Object.fromEntries(log.map((l) => [l.name, l]))
  t.same(by.plain!.options, { label: 'one', n: 1 }, 'a plain function gets its options')
  t.equal(by.plain!.ctxName, './hooks/plain.cjs', 'and its name in the context')
  t.same(by.defined!.options, { label: 'two', nested: { list: [1, 'x'] } }, 'definePreload({ setup }) gets its options')
  t.same(by['default-cjs']!.options, { label: 'three' }, 'a CommonJS { default: fn } gets its options')
  t.same(by['fake-hooks']!.options, { label: 'pkg' }, 'a package-specifier hook from node_modules gets its options')
  t.equal(by['fake-hooks']!.ctxName, 'fake-hooks/hook')

  const e = by.entry!
  t.same(e.execArgv, ['--expose-gc', '--require', preload], 'the runtime flag stays, --require of the preload sits just before the entry')
  t.equal(e.gc, 'function', '--expose-gc still took effect')
  t.equal(e.sourceMapsEnabled, true, 'wrapgen/preloads/source-maps turned source maps on')
  t.match(e.stack, /mapped\.ts:6:\d+/, 'a stack trace is mapped through the inline source map')

  // Each failure: exactly one line, the rest still ran (checked above).
  for (const [name, message] of [
    ['./hooks/throws.cjs', 'setup exploded'],
    ['./hooks/load-throws.cjs', 'module load exploded'],
    ['./hooks/rejects.cjs', 'async nope'],
  ] as const) {
    t.equal(stderr.filter((l) => l.startsWith(`wrapgen: preload ${name} `)).length, 1, `one line for ${name}`)
    t.ok(stderr.includes(failLine(name, message)), `${name}: ${failLine(name, message)}`)
  }

  const json = stderr.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const timing = json.filter((j) => j.message === 'wrapgen init timing')
  t.equal(timing.length, 1, 'timing writes one JSON line on stderr')
  const tl = timing[0] as { hooks: Array<{ name: string; ms: number; ok: boolean }>; handler: { module: string; loadMs: unknown }; nodeStartEpochMs: number; preloadStartMs: number }
  t.same(
    tl.hooks.map((h) => h.name),
    ['wrapgen/preloads/timing', 'wrapgen/preloads/source-maps', './hooks/plain.cjs', './hooks/throws.cjs', './hooks/defined.ts', './hooks/load-throws.cjs', './hooks/default-cjs.cjs', './hooks/rejects.cjs', 'fake-hooks/hook'],
    'it lists every hook',
  )
  t.ok(tl.hooks.every((h) => typeof h.ms === 'number' && h.ms >= 0), 'each with a time')
  t.same(
    tl.hooks.filter((h) => !h.ok).map((h) => h.name),
    ['./hooks/throws.cjs', './hooks/load-throws.cjs', './hooks/rejects.cjs'],
    'every failure is marked ok: false, the rejected async setup too (the line waits for it)',
  )
  const rejected = tl.hooks.find((h) => h.name === './hooks/rejects.cjs') as { error?: string; settledMs?: number } | undefined
  t.equal(rejected?.error, 'async nope', 'with its reason')
  t.type(rejected?.settledMs, 'number', 'and when it settled')
  t.match(renderInitReport(reportOf(r.stderr), 'wrapgen'), /hook \.\/hooks\/rejects\.cjs .*\(async, settled after \d+\.\d\d ms; failed: async nope\)\]/, "the init report shows the rejected hook failed, not ok")
  t.equal(tl.handler.module, join(task, 'handler.cjs'), 'the CommonJS handler named by _HANDLER was observed')
  t.type(tl.handler.loadMs, 'number', 'handler.loadMs is a number')
  t.type(tl.nodeStartEpochMs, 'number')
  t.equal(stderr.length, 4, `nothing else on stderr: ${JSON.stringify(stderr)}`)

  // Control: the same entry without the wrapper has neither source maps nor hooks.
  const plain = run(undefined)
  t.equal(plain.r.status, 0)
  t.same(plain.log.map((l) => l.name), ['entry'])
  t.equal(plain.log[0]!.sourceMapsEnabled, false, 'node 20 has source maps off by default')
  t.notMatch(plain.log[0]!.stack, /mapped\.ts/, 'and the stack is not mapped without the hook')
})

t.test('a critical hook that throws stops start-up', async (t) => {
  const { exec } = await layer('critical', {
    preloads: ['./hooks/plain.cjs', { module: './hooks/critical.cjs', critical: true }, './hooks/default-cjs.cjs'],
  })
  const { r, log, stderr } = run(exec)
  t.not(r.status, 0, 'non-zero exit')
  t.equal(r.stdout, '', 'the entry wrote nothing')
  t.same(log.map((l) => l.name), ['plain'], 'the hooks after it and the entry never ran')
  t.ok(stderr.includes('wrapgen: preload ./hooks/critical.cjs failed: cannot continue (critical: stopping start-up)'), 'stderr says critical')
  t.notOk(stderr.some((l) => l.endsWith('; skipped')), 'not reported as skipped')
})

t.test('a thenable whose then throws fails at once (a critical one stops start-up); one whose then returns nothing is fine', async (t) => {
  const { exec } = await layer('thenables', { preloads: ['./hooks/bad-then.cjs', './hooks/odd-then.cjs', './hooks/plain.cjs'] })
  const { r, log, stderr } = run(exec)
  t.equal(r.status, 0, r.stderr)
  t.same(stderr.filter((l) => l.startsWith('wrapgen:')), [failLine('./hooks/bad-then.cjs', 'then broke')])
  t.same(log.map((l) => l.name), ['plain', 'entry'])
  const crit = await layer('thenables-critical', { preloads: [{ module: './hooks/bad-then.cjs', critical: true }, './hooks/plain.cjs'] })
  const c = run(crit.exec)
  t.not(c.r.status, 0)
  t.same(c.log.map((l) => l.name), [], 'the hooks after it and the entry never ran')
  t.ok(c.stderr.includes('wrapgen: preload ./hooks/bad-then.cjs failed: then broke (critical: stopping start-up)'))
})

t.test('a module that exports no hook, and a hook throwing a value with no string form, each fail alone', async (t) => {
  const { exec } = await layer('odd-failures', { preloads: ['./hooks/no-hook.cjs', './hooks/throws-odd.cjs', './hooks/plain.cjs'] })
  const { r, log, stderr } = run(exec)
  t.equal(r.status, 0, r.stderr)
  t.same(log.map((l) => l.name), ['plain', 'entry'], 'the next hook and the entry ran')
  t.same(stderr, [
    failLine('./hooks/no-hook.cjs', 'the module exports no hook; export default definePreload({ setup(options) { ... } })'),
    failLine('./hooks/throws-odd.cjs', 'a value with no string form'),
  ], 'one line each')
})

t.test('a critical hook whose async setup rejects ends the process too', async (t) => {
  const { exec } = await layer('critical-async', { preloads: ['./hooks/plain.cjs', { module: './hooks/rejects.cjs', critical: true }] })
  const { r, stderr } = run(exec)
  t.equal(r.status, 1, 'exit 1: the start failed')
  t.ok(stderr.includes('wrapgen: preload ./hooks/rejects.cjs failed: async nope (critical: stopping start-up)'), 'stderr says critical')
})

t.test('what only failing, exiting, async or slow hooks need is in preload-rare.cjs, required only when one does', async (t) => {
  const rareEntry = join(task, 'rare-entry.cjs')
  const ok = await layer('rare-ok', { preloads: ['./hooks/plain.cjs', './hooks/defined.ts'] })
  t.ok(existsSync(join(dirname(ok.preload), 'preload-rare.cjs')), 'the layer has it beside preload.cjs')
  const quiet = run(ok.exec, {}, rareEntry)
  t.equal(quiet.r.status, 0, quiet.r.stderr)
  t.same(quiet.log.map((l) => [l.name, l.options?.rare]), [['plain', undefined], ['defined', undefined], ['entry', false]], 'hooks that succeed synchronously: never required')
  for (const [name, hook] of [['fails', './hooks/throws.cjs'], ['exits', './hooks/exits.cjs'], ['async', './hooks/slow-async.cjs'], ['slow', { module: './hooks/busy.cjs', budgetMs: 1 }]] as const) {
    const { exec } = await layer(`rare-${name}`, { preloads: [hook, './hooks/plain.cjs'] })
    const { r, log } = run(exec, {}, rareEntry)
    t.equal(r.status, 0, r.stderr)
    t.same(log.map((l) => [l.name, l.options?.rare]), [['plain', undefined], ['entry', true]], `a hook that ${name}: required`)
  }
})

t.test("a CommonJS hook's code runs as the runner's own function, with node's module semantics; other hooks keep the bundled require", async (t) => {
  const { exec, preload } = await layer('bodies', {
    preloads: [
      { module: './hooks/this.cjs', options: { a: 1 } },
      './hooks/shared.cjs',
      './hooks/uses-shared.cjs',
      { module: './hooks/count-loads.cjs', options: { n: 1 } },
      { module: './hooks/count-loads.cjs', options: { n: 2 } },
      'fake-hooks/hook',
      './hooks/load-throws.cjs',
      './hooks/block-fn.cjs',
      './hooks/defined.ts',
    ],
  })
  const text = readFileSync(preload, 'utf8')
  // Guards against a function copy of a module that other code requires (two module objects), or of
  // one file named twice (its code run twice), and against the function form for an ES module.
  t.same([...text.matchAll(/^\/\/ wrapgen-hook-body:(.*)$/gm)].map((m) => m[1]), ['hooks/this.cjs', 'hooks/uses-shared.cjs', 'node_modules/fake-hooks/hook.js', 'hooks/load-throws.cjs', 'hooks/block-fn.cjs'], 'only files named once, required by nothing else, and CommonJS')
  const { r, log, stderr } = run(exec)
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, 'ENTRY-OUTPUT\n')
  t.same(log.map((l) => [l.name, l.options]), [
    ['this', { a: 1, self: true }],
    ['shared', { calls: 1 }],
    ['uses-shared', { calls: 1 }],
    ['count-loads', { n: 1, loads: 1 }],
    ['count-loads', { n: 2, loads: 1 }],
    ['fake-hooks', {}],
    ['block-fn', { where: 'module scope' }],
    ['defined', {}],
    ['entry', undefined],
  ], 'this is module.exports, a top-level return ends the module, one module object per file, a file named twice loads once')
  t.same(stderr, [failLine('./hooks/load-throws.cjs', 'module load exploded')], 'a throwing module body is isolated as before')
  // Code esbuild cannot read as a function body: the build keeps the bundled require for every hook.
  const odd = await layer('bodies-odd', { preloads: ['./sloppy/delete.cjs', './hooks/plain.cjs'] })
  t.notMatch(readFileSync(odd.preload, 'utf8'), 'wrapgen-hook-body', 'the first build kept')
  const o = run(odd.exec)
  t.equal(o.r.status, 0, o.r.stderr)
  t.same(o.log.map((l) => [l.name, l.options]), [['sloppy', { y: 8 }], ['plain', {}], ['entry', undefined]])
})

t.test('a layer that lost preload-rare.cjs still starts the function, with one line, and runs every hook', async (t) => {
  const { exec, preload } = await layer('rare-missing', {
    preloads: ['./hooks/throws.cjs', './hooks/rejects.cjs', './hooks/exits.cjs', { module: './hooks/busy.cjs', budgetMs: 1 }, { module: './hooks/critical.cjs', critical: true }, './hooks/plain.cjs'],
  })
  const rare = join(dirname(preload), 'preload-rare.cjs')
  rmSync(rare)
  const { r, log, stderr } = run(exec)
  t.equal(r.status, 0, `the function started and ended normally (stderr: ${r.stderr})`)
  t.equal(r.stdout, 'ENTRY-OUTPUT\n')
  t.same(log.map((l) => l.name), ['plain', 'entry'], 'the hooks after the failing ones and the entry ran')
  t.equal(stderr.length, 1, `one line on stderr: ${r.stderr}`)
  t.match(stderr[0], `wrapgen: ${rare} cannot be loaded (Error: Cannot find module '${rare}'); hooks run without failure, exit, budget or async reports`)
  // Hooks that never need it: nothing said at all.
  const ok = await layer('rare-missing-ok', { preloads: ['./hooks/plain.cjs'] })
  rmSync(join(dirname(ok.preload), 'preload-rare.cjs'))
  const quiet = run(ok.exec)
  t.equal(quiet.r.status, 0, quiet.r.stderr)
  t.same(quiet.stderr, [], 'not a line')
  t.same(quiet.log.map((l) => l.name), ['plain', 'entry'])
})

t.test("inject: 'NODE_OPTIONS' loads the preload through NODE_OPTIONS, not argv", async (t) => {
  const { exec, preload } = await layer('nodeopts', { inject: 'NODE_OPTIONS', preloads: [{ module: './hooks/plain.cjs', options: { via: 'NODE_OPTIONS' } }] })
  const { r, log } = run(exec)
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`)
  t.equal(r.stdout, 'ENTRY-OUTPUT\n')
  t.same(log.map((l) => l.name), ['plain', 'entry'], 'the hook ran before the entry')
  t.same(log[0]!.options, { via: 'NODE_OPTIONS' })
  const e = log[1]!
  t.same(e.execArgv, ['--expose-gc'], 'process.execArgv has no --require')
  t.equal(e.nodeOptions, `--require ${preload}`, 'NODE_OPTIONS carries it')
  t.ok(existsSync(preload))
})

t.test('hooks run once, on the main thread, even with module hooks in NODE_OPTIONS and worker threads', async (t) => {
  const { exec } = await layer('threads', { preloads: ['wrapgen/preloads/timing', './hooks/plain.cjs'] })
  const { r, log, stderr } = run(exec, { NODE_OPTIONS: `--import=${join(dir, 'register-hooks.mjs')}`, START_WORKER: '1', _HANDLER: 'handler.handler' })
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`)
  t.same(log.map((l) => l.name), ['plain', 'entry', 'worker-exit'], 'not again in the module-hooks thread or the worker')
  const timing = stderr.filter((l) => l.includes('"wrapgen init timing"'))
  t.equal(timing.length, 1, 'one timing line')
  t.type((JSON.parse(timing[0] ?? '{}') as { handler?: { loadMs?: unknown } }).handler?.loadMs, 'number')
})

t.test('timing observes a CommonJS handler required from an ESM entry, and says so when it cannot', async (t) => {
  const { exec } = await layer('timing', { preloads: ['wrapgen/preloads/timing'] })
  const timingOf = (stderr: string[]): { handler: { module: string | null; loadMs: unknown; note?: string } } => {
    const lines = stderr.filter((l) => l.includes('"wrapgen init timing"'))
    t.equal(lines.length, 1, 'one timing line')
    return JSON.parse(lines[0] ?? '{}')
  }
  const cjs = run(exec, { _HANDLER: 'handler.handler' }, join(task, 'index.mjs'))
  t.equal(cjs.r.status, 0, cjs.r.stderr)
  t.equal(cjs.r.stdout, 'ESM-ENTRY\n')
  const c = timingOf(cjs.stderr).handler
  t.equal(c.module, join(task, 'handler.cjs'), 'the CommonJS handler was observed')
  t.type(c.loadMs, 'number')

  const esm = run(exec, { _HANDLER: 'esm-handler.handler', ESM_HANDLER: '1' }, join(task, 'index.mjs'))
  t.equal(esm.r.status, 0, esm.r.stderr)
  const e = timingOf(esm.stderr).handler
  t.equal(e.loadMs, null, 'an import()ed handler is not timed')
  t.match(e.note, /import\(\)/, 'and the line says why')
})

t.test("inject: 'NODE_OPTIONS' goes in front of the function's own NODE_OPTIONS", async (t) => {
  const { exec, preload } = await layer('nodeopts-own', { inject: 'NODE_OPTIONS', preloads: ['./hooks/plain.cjs'] })
  const { r, log } = run(exec, { NODE_OPTIONS: '--no-deprecation' })
  t.equal(r.status, 0, r.stderr)
  t.equal(log.at(-1)?.nodeOptions, `--require ${preload} --no-deprecation`)
  t.same(log.map((l) => l.name), ['plain', 'entry'])
})

/** wrapgen invoke's init report from a run's stderr (no Runtime API here: only the hook rows matter). */
const reportOf = (stderr: string): ReturnType<typeof initReport> =>
  initReport({ spawnedAt: { hr: 0, epochMs: Date.now() - 1000 }, stderr, reportLines: [], initDoneAt: undefined, firstResponseAt: undefined })

/** The timing preload's one line among the stderr lines. */
const timingLine = (stderr: string[]): { hooks: Array<{ name: string; ms: number; ok: boolean; error?: string; overBudget?: boolean; budgetMs?: number; settledMs?: number; pending?: boolean }> } => {
  const lines = stderr.filter((l) => l.includes('"wrapgen init timing"'))
  if (lines.length !== 1) throw new Error(`expected one timing line: ${JSON.stringify(stderr)}`)
  return JSON.parse(lines[0]!)
}

t.test('a non-critical hook calling process.exit is reported and does not end start-up; a critical one may', async (t) => {
  const { exec } = await layer('exits', { preloads: ['wrapgen/preloads/timing', './hooks/exits.cjs', './hooks/plain.cjs'] })
  const { r, log, stderr } = run(exec, { _HANDLER: 'handler.handler' })
  t.equal(r.status, 0, `the function started and ended normally (stderr: ${r.stderr})`)
  t.equal(r.stdout, 'ENTRY-OUTPUT\n')
  t.same(log.map((l) => l.name), ['plain', 'entry'], 'the next hook and the entry ran')
  t.ok(stderr.includes(failLine('./hooks/exits.cjs', 'called process.exit(3) during setup')), 'one line names the hook and the call')
  const h = timingLine(stderr).hooks.find((x) => x.name === './hooks/exits.cjs')
  t.equal(h?.ok, false, 'the timing line marks it failed')
  t.equal(h?.error, 'called process.exit(3) during setup')
  t.match(renderInitReport(reportOf(r.stderr), 'wrapgen'), /hook \.\/hooks\/exits\.cjs .*\(failed: called process\.exit\(3\) during setup\)\]/, 'the init report says failed, and why')

  // After setup, process.exit is the function's again, even under a hook's own wrapper of it.
  const wrapped = await layer('exits-later', { preloads: ['./hooks/exits.cjs', './hooks/wraps-exit.cjs'] })
  const w = run(wrapped.exec, { EXIT_AT_END: '7' })
  t.equal(w.r.status, 7, "the entry's own process.exit(7) ends the process with 7")
  t.same(w.log.map((l) => [l.name, l.options]), [['entry', undefined], ['exit-wrapped', { code: 7 }]], "through the hook's wrapper")
  t.same(w.stderr, [failLine('./hooks/exits.cjs', 'called process.exit(3) during setup')], 'one line, for the hook that exited during setup')

  const critical = await layer('exits-critical', { preloads: [{ module: './hooks/exits.cjs', critical: true }, './hooks/plain.cjs'] })
  const c = run(critical.exec)
  t.equal(c.r.status, 3, 'a critical hook ends start-up with its own code')
  t.same(c.log, [], 'nothing after it ran')
  t.ok(c.stderr.includes('wrapgen: preload ./hooks/exits.cjs called process.exit(3) during setup (critical: start-up ends)'), 'with one line')
})

t.test('a hook over its time budget is reported (it is not stopped), synchronously and while its async setup runs', async (t) => {
  const { exec } = await layer('budget', {
    preloads: ['wrapgen/preloads/timing', { module: './hooks/busy.cjs', budgetMs: 20 }, { module: './hooks/slow-async.cjs', budgetMs: 40 }, './hooks/plain.cjs', { module: './hooks/default-cjs.cjs', budgetMs: 5000 }],
  })
  const { r, log, stderr } = run(exec, { _HANDLER: 'handler.handler' })
  t.equal(r.status, 0, r.stderr)
  t.same(log.map((l) => l.name), ['plain', 'default-cjs', 'entry'], 'every hook and the entry ran')
  t.ok(stderr.some((l) => /^wrapgen: preload \.\/hooks\/busy\.cjs took \d+(\.\d+)? ms, over its budget of 20 ms$/.test(l)), 'the busy hook: one line')
  t.ok(stderr.includes('wrapgen: preload ./hooks/slow-async.cjs is still running, over its budget of 40 ms'), 'the slow async hook: one line')
  const hooks = timingLine(stderr).hooks
  const busy = hooks.find((h) => h.name === './hooks/busy.cjs')
  t.equal(busy?.overBudget, true, 'busy: over budget in the timing line')
  t.ok((busy?.ms ?? 0) >= 55, `busy: its time (${busy?.ms} ms)`)
  t.equal(busy?.ok, true, 'but not failed')
  const slow = hooks.find((h) => h.name === './hooks/slow-async.cjs')
  t.equal(slow?.overBudget, true, 'slow async: over budget')
  t.equal(slow?.pending, true, 'and still running when the line was written (at its budget, not after 150 ms)')
  t.equal(hooks.find((h) => h.name === './hooks/default-cjs.cjs')?.budgetMs, 5000, 'each hook carries its budget')
  // wrapgen invoke's init report reads the same line.
  const report = renderInitReport(reportOf(r.stderr), 'wrapgen')
  t.match(report, /hook \.\/hooks\/busy\.cjs .*\[\d+\.\d\d ms \(over its budget of 20 ms\)\]/, 'the init report: busy over budget')
  t.match(report, /hook \.\/hooks\/slow-async\.cjs .*\(async, still running; over its budget of 40 ms\)\]/, 'the init report: slow async still running, over budget')
  t.equal(hooks.find((h) => h.name === './hooks/plain.cjs')?.budgetMs, 1000, 'the default budget is 1000 ms')
  t.notOk(hooks.find((h) => h.name === './hooks/plain.cjs')?.overBudget, 'a fast hook is not over budget')
})

t.test('hooks know whether they run in the function process or in a node child that inherited the preload', async (t) => {
  for (const inject of ['argv', 'NODE_OPTIONS'] as const) {
    const { exec } = await layer(`which-${inject.toLowerCase().replace("_", "-")}`, { inject, preloads: ['./hooks/which.cjs'] })
    const { r, log } = run(exec, {}, join(task, 'forks.cjs'))
    t.equal(r.status, 0, r.stderr)
    const main = log.find((l) => l.name === 'entry')
    t.ok(main, `${inject}: the function ran`)
    const which = log.filter((l) => l.name === 'which')
    const mainHook = which.find((l) => l.pid === main?.pid)
    t.equal(mainHook?.isFunctionProcess, true, `${inject}: in the function process, isFunctionProcess is true`)
    const children = log.filter((l) => l.name === 'child')
    t.equal(children.length, 2, `${inject}: a spawned and a forked child ran`)
    const forked = children[1]!
    if (inject === 'argv') {
      t.ok(forked.execArgv?.includes('--require'), 'argv: the forked child inherited --require through execArgv (documented)')
      t.equal(which.filter((l) => l.pid === children[0]!.pid).length, 0, 'argv: a spawned node child does not run the hooks')
    } else t.equal(which.filter((l) => l.pid === children[0]!.pid)[0]?.isFunctionProcess, false, 'NODE_OPTIONS: a spawned child runs the hooks, and knows it is a child')
    t.equal(which.filter((l) => l.pid === forked.pid)[0]?.isFunctionProcess, false, `${inject}: the forked child runs the hooks, and knows it is a child`)
  }
})

t.test("inject: 'NODE_OPTIONS' with a flag holding a space, from a layer folder holding a space", async (t) => {
  const config = await openConfig({ cwd: dir, config: { name: 'spaced', runtimes: ['nodejs20.x'], node: { inject: 'NODE_OPTIONS', flags: ['--title=my app'], preloads: ['./hooks/which.cjs'] } } })
  const written = writeLayer(await buildLayer(config), join(dir, 'out dir with space'))
  const exec = join(written.layerDir, 'wrapgen/exec')
  const { r, log } = run(exec)
  t.equal(r.status, 0, r.stderr)
  t.same(log.map((l) => l.name), ['which', 'entry'], 'the preload ran from the folder with a space')
  t.equal(log[0]?.title, 'my app', 'the flag arrived whole')
  t.equal(log[1]?.nodeOptions, `"--title=my app" --require "${join(written.layerDir, 'wrapgen/preload.cjs')}"`, 'NODE_OPTIONS in node\'s quoted form')
})

/** Whether this node's V8 accepts a layer's cache, asked as the loader asks it, in a node started with `flags`. */
function acceptsCache(folder: string, cache: string, flags: string[]): boolean {
  const check = `const vm = require('node:vm'), fs = require('node:fs'); const s = new vm.Script(${JSON.stringify(MODULE_HEAD)} + fs.readFileSync(${JSON.stringify(join(folder, 'preload.bundle.cjs'))}, 'utf8') + ${JSON.stringify(MODULE_TAIL)}, { cachedData: fs.readFileSync(${JSON.stringify(join(folder, cache))}) }); process.stdout.write(String(!s.cachedDataRejected))`
  const r = spawnSync(process.execPath, [...flags, '-e', check], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  return r.stdout === 'true'
}

t.test('node.codeCache: the hooks run the same whether V8 accepts the cache, rejects it, or finds none; the build is byte-identical', async (t) => {
  const node: WrapgenConfig['node'] = {
    preloads: ['wrapgen/preloads/timing', { module: './hooks/plain.cjs', options: { label: 'one' } }, './hooks/throws.cjs', { module: './hooks/defined.ts', options: { label: 'two' } }, './hooks/dyn-import.cjs'],
  }
  const plain = await layer('uncached', node)
  const cached = await layer('cached', { ...node, codeCache: { memoryMB: [1024] } })
  const folder = dirname(cached.preload)
  t.same(readdirSync(folder).filter((f) => f.startsWith('preload')).sort(), ['preload-rare.cjs', 'preload.1024.v8cache', 'preload.bundle.cjs', 'preload.cjs', 'preload.v8cache'])
  t.notMatch(readFileSync(join(folder, 'preload.bundle.cjs'), 'utf8'), /import\("node:os"\)/, "a hook's import() of a built-in is bundled as a require")

  const accepts = (cache: string, flags: string[]): boolean => acceptsCache(folder, cache, flags)
  const lambda1024 = ['--expose-gc', '--max-semi-space-size=51', '--max-old-space-size=922']
  t.ok(accepts('preload.v8cache', []), 'node without flags accepts the plain cache')
  t.ok(accepts('preload.1024.v8cache', lambda1024), "node with Lambda's flags for 1024 MB accepts that cache")
  t.notOk(accepts('preload.v8cache', lambda1024), 'and rejects the plain one (the flags are part of the check)')

  const outcome = (x: ReturnType<typeof run>) => ({
    status: x.r.status,
    stdout: x.r.stdout,
    names: x.log.map((l) => l.name),
    options: x.log.filter((l) => l.name !== 'entry').map((l) => l.options),
    failures: x.stderr.filter((l) => l.startsWith('wrapgen: ')),
    timed: x.stderr.filter((l) => l.includes('wrapgen init timing')).map((l) => (JSON.parse(l) as { hooks: Array<{ name: string; ok: boolean }> }).hooks.map((h) => [h.name, h.ok])),
  })
  const env = { _HANDLER: 'handler.handler' }
  const want = outcome(run(plain.exec, env))
  t.same(want.names, ['plain', 'defined', 'entry', 'dyn-import'], 'without the cache: the hooks ran (import() in a hook too)')
  t.equal(want.failures.length, 1, 'one line for the throwing hook')
  t.equal(want.timed.length, 1, 'and the timing line')
  t.same(outcome(run(cached.exec, { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }, undefined, lambda1024)), want, 'cache accepted: the same')
  t.same(outcome(run(cached.exec, env, undefined, [])), want, 'cache accepted (node without flags): the same')
  t.same(outcome(run(cached.exec, env)), want, "rejected (--expose-gc is not in the plain cache's flags): the same")
  t.same(outcome(run(cached.exec, { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048' }, undefined, [])), want, 'no cache for that memory size: the same')
  const bytes = readFileSync(join(folder, 'preload.v8cache'))
  writeFileSync(join(folder, 'preload.v8cache'), Buffer.alloc(bytes.length, 7))
  t.same(outcome(run(cached.exec, env, undefined, [])), want, 'a corrupt cache: the same')
  rmSync(join(folder, 'preload.v8cache'))
  t.same(outcome(run(cached.exec, env, undefined, [])), want, 'a missing cache: the same')
  const bundle = readFileSync(join(folder, 'preload.bundle.cjs'))
  rmSync(join(folder, 'preload.bundle.cjs'))
  const open = run(cached.exec, env, undefined, [])
  t.equal(open.r.status, 0, 'a missing bundle: the function still starts (failMode open)')
  t.same(open.log.map((l) => l.name), ['entry'], 'without the hooks')
  t.same(open.stderr, [`wrapgen: ${folder}/preload.bundle.cjs is missing; running the function without wrapgen (failMode "open")`], 'and one line says why')
  writeFileSync(join(folder, 'preload.bundle.cjs'), bundle)

  const again = await buildLayer(await openConfig({ cwd: dir, config: { name: 'cached', runtimes: ['nodejs20.x'], node: { ...node, codeCache: { memoryMB: [1024] } } } }))
  const first = await buildLayer(await openConfig({ cwd: dir, config: { name: 'cached', runtimes: ['nodejs20.x'], node: { ...node, codeCache: { memoryMB: [1024] } } } }))
  t.same(again.files.map((f) => f.path), first.files.map((f) => f.path))
  t.ok(again.files.every((f, i) => Buffer.from(f.contents).equals(Buffer.from(first.files[i]!.contents))), 'two builds of the config: every file byte-identical, the caches too')
  t.ok(Buffer.from(again.zip).equals(Buffer.from(first.zip)), 'and the zip')
  t.ok(Buffer.from(again.files.find((f) => f.path === 'wrapgen/preload.v8cache')!.contents).equals(bytes), 'the same cache as the layer written above')
})

t.test("node.codeCache: the caches are made under the V8 flags of node.flags, in the order node applies them", async (t) => {
  const options = new Map([['max-old-space-size', true], ['expose-gc', false], ['stack-size', true]])
  t.same(v8FlagsOf(['--enable-source-maps', '--max-old-space-size=400', '--no-expose-gc', '--stack-size', '900', '--max_old_space_size', '500', '--title=x'], options), ['--max-old-space-size=400', '--no-expose-gc', '--stack-size=900', '--max-old-space-size=500'], "V8's own flags only, a separate value joined")
  const lambda1024 = ['--expose-gc', '--max-semi-space-size=51', '--max-old-space-size=922']
  for (const inject of ['argv', 'NODE_OPTIONS'] as const) {
    const { preload } = await layer(`flags-${inject.toLowerCase()}`, { preloads: ['./hooks/plain.cjs'], flags: ['--enable-source-maps', '--max-old-space-size=400'], inject, codeCache: { memoryMB: [1024] } })
    const folder = dirname(preload)
    t.ok(acceptsCache(folder, 'preload.v8cache', ['--max-old-space-size=400']), `${inject}: node with the config's flag accepts the plain cache`)
    t.notOk(acceptsCache(folder, 'preload.v8cache', []), `${inject}: node without it does not`)
    // argv: the config's flags come after Lambda's and win; NODE_OPTIONS: Lambda's command line wins.
    const effective = inject === 'argv' ? [...lambda1024.slice(0, 2), '--max-old-space-size=400'] : lambda1024
    t.ok(acceptsCache(folder, 'preload.1024.v8cache', effective), `${inject}: node with the flags it will have at 1024 MB accepts that cache`)
  }
})
