// wrapgen compose end to end, with real processes: vendors' layers built in setup the way vendors ship
// them (zip -ry, a bash wrapper, a folder), merged in Lambda's order, their wrappers run in bubblewrap,
// the composed wrapper run by dash and bash with a stand-in interpreter, and a real invoke through it.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { main } from '../src/cli/main.js'
import { compose, type ComposeResult } from '../src/compose/compose.js'
import { sandboxAvailable, type Observed } from '../src/compose/classify.js'
import { attribute, chainOrder, classify, contribution, effectsOf } from '../src/compose/effects.js'
import type { ComposeManifest } from '../src/layer-tree/compose-manifest.js'
import { mergeLayers } from '../src/layer-tree/merge.js'
import { readLayer, sha256 } from '../src/layer-tree/read.js'
import { writeComposed } from '../src/compose/write.js'
import { openConfig } from '../src/config/open.js'
import { FAMILIES } from '../src/config/types.js'
import { UserError } from '../src/errors.js'
import { loadCatalogue } from '../src/runtimes/catalogue.js'
import { expandRuntime } from '../src/runtimes/expand.js'
import { scaled } from '../src/limits/time-limit.js'
import { needsRic } from './fixtures/ric.js'
import { agentJar, startupHookAssembly } from './fixtures/hook-binaries.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const fixtures = join(repo, 'test/fixtures/compose')
const sandboxed = sandboxAvailable()
const hasZip = spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0
const skip = !sandboxed ? 'compose runs vendors\' wrappers only inside bubblewrap, which is not available here' : !hasZip ? 'the zip command builds the vendor layers' : false

// The vendors' layers, built now: git keeps no 0750 mode, and a vendor's zip comes from `zip -ry`.
const work = t.testdir({})
const vendor = join(work, 'vendors')
cpSync(fixtures, vendor, { recursive: true, verbatimSymlinks: true })
chmodSync(join(vendor, 'tracer/tracer/bin/agent'), 0o750)
for (const w of ['tracer/tracer/wrapper', 'handler/handler-wrap/wrapper', 'adapter/bootstrap', 'adapter/adapter/bin/run', 'adapter2/other-bootstrap', 'adapter2/other/bin/serve']) chmodSync(join(vendor, w), 0o755)
const zipOf = (name: string): string => {
  const file = join(work, `${name}.zip`)
  if (hasZip) spawnSync('zip', ['-qry', file, '.'], { cwd: join(vendor, name), stdio: 'inherit' })
  return file
}
const tracerZip = zipOf('tracer')
const handlerZip = zipOf('handler')
const adapterDir = join(vendor, 'adapter')
const adapter2Dir = join(vendor, 'adapter2')

const config = await openConfig({ cwd: vendor, config: { name: 'composed-test', env: { set: { COMPOSED_BY: 'wrapgen' } }, node: { preloads: ['./wrapgen-hook.cjs'] } } })
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// The runtimes compose checks on, from the catalogue (which grows): per family the config supports,
// its highest version, named with its first mode when that is not the default.
const newest = Object.fromEntries(
  FAMILIES.flatMap((family) => {
    const fixtures = loadCatalogue().runtimes.filter((r) => r.family === family && config.runtimes.includes(r.id))
    const id = fixtures.map((r) => r.id).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)
    const mode = fixtures.find((r) => r.id === id)?.mode
    return id ? [[family, mode === 'default' ? id : `${id}:${mode}`]] : []
  }),
) as Record<string, string>
const nodeRt = newest.node!
/** The _HANDLER Lambda sets for a runtime (`id` or `id:mode`), as the catalogue says. */
const handlerOf = (rt: string): string | undefined => {
  const [id, mode = 'default'] = rt.split(':')
  const fixture = loadCatalogue().runtimes.find((r) => r.id === id && r.mode === mode)
  return fixture && expandRuntime(fixture, { memory: 1024, commonEnv: loadCatalogue().commonEnv }).env._HANDLER
}

/** Runs main() with captured output. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), cwd: work })
  return { code, out, err }
}

/**
 * Runs DIR/layer/wrapgen/exec with `shell` inside bubblewrap (the tree at /opt, read-only) as Lambda's
 * node bootstrap would, with a stand-in /var/lang/bin/node that prints what it received.
 */
function runComposed(layerDir: string, shell: string): { argv: string[]; env: Record<string, string>; stderr: string; code: number | null } {
  const bin = join(work, 'standin-bin')
  if (!existsSync(bin)) {
    mkdirSync(bin)
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nfor a do printf \'arg:%s\\n\' "$a"; done\nprintf \'env:\\n\'\n/bin/cat "/proc/$$/environ"\n')
    chmodSync(join(bin, 'node'), 0o755)
  }
  const env = { PATH: '/var/lang/bin:/usr/bin:/bin', _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: '/var/task', AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_LAMBDA_EXEC_WRAPPER: '/opt/wrapgen/exec' }
  const argv = ['/var/lang/bin/node', '--expose-gc', '--max-http-header-size', '81920', '/var/runtime/index.mjs']
  const r = spawnSync('bwrap', ['--ro-bind', '/', '/', '--tmpfs', '/var', '--ro-bind', layerDir, '/opt', '--ro-bind', bin, '/var/lang/bin', '--dir', '/var/task', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--chdir', '/var/task', '--clearenv', ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]), shell, '/opt/wrapgen/exec', ...argv], { encoding: 'utf8', timeout: scaled(10_000) })
  const [args = '', envText = ''] = r.stdout.split('env:\n')
  return {
    argv: args.split('\n').filter(Boolean).map((l) => l.slice(4)),
    env: Object.fromEntries(envText.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    stderr: r.stderr,
    code: r.status,
  }
}

t.test('merge: Lambda order, the later layer wins; conflicts say who and whether it breaks the loser', { skip: !hasZip && 'no zip command' }, async (t) => {
  const [tracer, handler] = [await readLayer(tracerZip), await readLayer(handlerZip)]
  t.equal(tracer.format, 'zip')
  t.equal(tracer.size, statSync(tracerZip).size)
  t.equal(tracer.sha256, sha(tracerZip))
  const agent = tracer.tree.get('tracer/bin/agent')
  t.equal(agent?.kind === 'file' && agent.mode, 0o750, 'the zip keeps the mode')
  t.same(tracer.tree.get('tracer/current'), { kind: 'symlink', target: 'hook.cjs' }, 'and the symlink')
  const ok = mergeLayers([{ tree: tracer.tree, wrapper: '/opt/tracer/wrapper' }, { tree: handler.tree, wrapper: '/opt/handler-wrap/wrapper' }])
  t.same(ok.conflicts.map((c) => [c.path, c.layers, c.winner, c.differs, c.breaks]), [['init.mjs', [0, 1], 1, 'contents', []]], 'the tracer\'s copy is unused: reported, not a break')
  const won = ok.tree.get('init.mjs')
  t.match(won?.kind === 'file' && Buffer.from(won.data).toString(), /from = 'handler-wrap'/, 'the later layer\'s file is the one in /opt')
  const swapped = mergeLayers([{ tree: handler.tree, wrapper: '/opt/handler-wrap/wrapper' }, { tree: tracer.tree, wrapper: '/opt/tracer/wrapper' }])
  t.same(swapped.conflicts[0]?.winner, 1)
  t.same(swapped.conflicts[0]?.breaks, [{ layer: 0, reason: 'its /opt/handler-wrap/index.mjs names /opt/init.mjs' }])
  // A layer whose wrapper another layer's file replaces.
  const shadow = new Map(tracer.tree)
  shadow.set('handler-wrap/wrapper', { kind: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\nexec "$@"\n'), sha256: 'other' })
  const lost = mergeLayers([{ tree: handler.tree, wrapper: '/opt/handler-wrap/wrapper' }, { tree: shadow, wrapper: '/opt/tracer/wrapper' }])
  t.match(lost.conflicts.find((c) => c.path === 'handler-wrap/wrapper')?.breaks, [{ layer: 0, reason: /its exec wrapper \/opt\/handler-wrap\/wrapper is replaced/ }])
  // A sibling named by file name; a copy that only loses its exec bit.
  const f = (text: string, mode = 0o755) => ({ kind: 'file' as const, mode, data: Buffer.from(text), sha256: sha256(text) })
  const x = new Map([['v/wrapper', f('#!/bin/sh\nexec "$(dirname "$0")/helper.sh" "$@"\n')], ['v/helper.sh', f('#!/bin/sh\nexec "$@"\n')]])
  const other = mergeLayers([{ tree: x, wrapper: '/opt/v/wrapper' }, { tree: new Map([['v/helper.sh', f('#!/bin/sh\nexit 1\n')]]), wrapper: undefined }])
  t.same(other.conflicts[0]?.breaks, [{ layer: 0, reason: 'its /opt/v/wrapper names helper.sh beside it' }])
  const noExec = mergeLayers([{ tree: x, wrapper: '/opt/v/wrapper' }, { tree: new Map([['v/helper.sh', f('#!/bin/sh\nexec "$@"\n', 0o644)]]), wrapper: undefined }])
  t.match(noExec.conflicts[0], { differs: 'mode', breaks: [{ layer: 0 }] }, 'losing the exec bit breaks it')
  const gainsExec = mergeLayers([{ tree: new Map([['v/helper.sh', f('#!/bin/sh\nexec "$@"\n', 0o644)], ['v/w', f('. ./helper.sh')]]), wrapper: undefined }, { tree: x, wrapper: '/opt/v/wrapper' }])
  t.match(gainsExec.conflicts[0], { differs: 'mode', breaks: [] }, 'gaining it does not')
  // A file replacing a folder takes the folder's contents with it.
  const folder = mergeLayers([{ tree: tracer.tree, wrapper: undefined }, { tree: new Map([['tracer', { kind: 'file', mode: 0o644, data: Buffer.from('x'), sha256: 'x' }]]), wrapper: undefined }])
  t.notOk([...folder.tree.keys()].some((k) => k.startsWith('tracer/')), 'nothing left under the replaced folder')
  t.match(folder.conflicts.find((c) => c.path === 'tracer'), { differs: 'kind', breaks: [{ layer: 0 }] })
})

t.test('merge and read: a symlink\'s target and a file\'s mode are part of what a layer ships', async (t) => {
  // Guards against comparing two layers' symlinks by kind only: a link that points elsewhere in the
  // later layer silently redirects the earlier layer's path, and must be reported like a changed file.
  const link = (target: string) => ({ kind: 'symlink' as const, target })
  const two = (a: string, b: string) => mergeLayers([{ tree: new Map([['vendor/current', link(a)]]), wrapper: undefined }, { tree: new Map([['vendor/current', link(b)]]), wrapper: undefined }])
  t.same(two('v1/hook.cjs', 'v2/hook.cjs').conflicts.map((c) => [c.path, c.layers, c.winner, c.differs]), [['vendor/current', [0, 1], 1, 'contents']], 'the same link path, different targets: a conflict')
  t.same(two('v1/hook.cjs', 'v1/hook.cjs').conflicts, [], 'the same target: none')

  // Guards against a folder input's hash that leaves modes out: compose.json's sha256 must change
  // when only a mode does (the exec bit decides whether a wrapper runs at all).
  const folder = t.testdir({ vendor: { wrapper: '#!/bin/sh\nexec "$@"\n' } })
  chmodSync(join(folder, 'vendor/wrapper'), 0o755)
  const before = (await readLayer(folder)).sha256
  t.equal((await readLayer(folder)).sha256, before, 'read twice: the same hash')
  chmodSync(join(folder, 'vendor/wrapper'), 0o644)
  t.not((await readLayer(folder)).sha256, before, 'the exec bit dropped: another hash')
  chmodSync(join(folder, 'vendor/wrapper'), 0o755)
  chmodSync(join(folder, 'vendor'), 0o700)
  t.not((await readLayer(folder)).sha256, before, 'a folder\'s mode changed: another hash')
  chmodSync(join(folder, 'vendor'), 0o755)
  t.equal((await readLayer(folder)).sha256, before, 'modes back: the first hash again')
})

t.test('effects: what a wrapper did, the chain order, and attribution (pure)', async (t) => {
  const baseArgv = ['/var/lang/bin/node', '--expose-gc', '/var/runtime/index.mjs']
  const baseEnv = { _HANDLER: 'index.handler', NODE_OPTIONS: '--max-old-space-size=100', PATH: '/var/lang/bin:/usr/bin' }
  const obs = (o: Partial<Observed>): Observed => ({ ran: true, argv: baseArgv, env: { ...baseEnv, SHLVL: '1' }, code: 0, stderr: '', baseArgv, baseEnv, ...o })
  const env = effectsOf(obs({ env: { ...baseEnv, NODE_OPTIONS: '--max-old-space-size=100 --require /opt/a.cjs', SHLVL: '2', _: '/bin/sh', GONE: 'x' } }))
  t.same(env, { ran: true, argv: baseArgv, keptArgs: true, addedArgs: [], env: { NODE_OPTIONS: '--max-old-space-size=100 --require /opt/a.cjs', GONE: 'x' }, exitCode: 0, stderr: '' }, 'shell variables are not effects')
  const flags = effectsOf(obs({ argv: ['/var/lang/bin/node', '--expose-gc', '-r', '/opt/b.cjs', '/var/runtime/index.mjs'] }))
  t.same([flags.keptArgs, flags.addedArgs], [true, ['-r', '/opt/b.cjs']])
  const dropped = effectsOf(obs({ argv: ['/var/lang/bin/node', '/opt/server.js'] }))
  t.equal(dropped.keptArgs, false)
  const never = effectsOf(obs({ ran: false, argv: [], env: {}, code: 3, stderr: 'W: mksh: setlocale\nadapter: no port\n' }))
  t.same([never.ran, never.stderr], [false, 'adapter: no port'])

  const a = classify(0, '/opt/a', { 'nodejs24.x': env })
  const b = classify(1, '/opt/b', { 'nodejs24.x': flags })
  const c = classify(2, '/opt/c', { 'nodejs24.x': env })
  const d = classify(3, '/opt/d', { 'nodejs24.x': never, 'python3.13': dropped })
  t.same([a.kind, b.kind, b.editsArgv, d.kind], ['passes', 'passes', true, 'replaces'])
  t.match(d.reason, /^on nodejs24\.x the runtime's interpreter never started \(the wrapper ended with exit 3: adapter: no port\)/)
  const name = (i: number): string => `layer${i}`
  t.same(chainOrder([d, b, a, c], name).map((x) => x.wrapper), ['/opt/a', '/opt/c', '/opt/b', '/opt/d'], 'environment-only, then command-line editors, then the replacer')
  t.throws(() => chainOrder([d, a, classify(4, '/opt/e', { 'nodejs24.x': dropped })], name), { message: /more than one wrapper replaces the runtime/ })

  t.same(contribution('x --require /opt/a.cjs', 'x'), { part: '--require /opt/a.cjs', sep: ' ' })
  t.same(contribution('/opt/bin:/usr/bin', '/usr/bin'), { part: '/opt/bin', sep: ':' })
  t.same(contribution('/opt/h/index.handler', 'index.handler', '_HANDLER'), { part: '/opt/h/index.handler', sep: '' }, 'not a list: replaced whole')
  t.same(contribution('--require /opt/a.cjs', undefined, 'NODE_OPTIONS'), { part: '--require /opt/a.cjs', sep: ' ' }, 'a list that was unset is known by its name')
  t.same(contribution('/opt/lib', undefined, 'LD_LIBRARY_PATH'), { part: '/opt/lib', sep: ':' })
  // wrapgen's own NODE_OPTIONS (node.inject: 'NODE_OPTIONS') goes in front of a tracer's, on a runtime that had none.
  const noBase = { _HANDLER: 'index.handler' }
  const t0 = classify(0, '/opt/t0', { 'nodejs24.x': effectsOf(obs({ baseEnv: noBase, env: { ...noBase, NODE_OPTIONS: '--require /opt/a.cjs' } })) })
  t.same(attribute([t0], { 'nodejs24.x': obs({ baseEnv: noBase, env: { ...noBase, NODE_OPTIONS: '--require /opt/wrapgen/preload.cjs --require /opt/a.cjs' } }) }).map((x) => x.arrived), [true])
  // Two handler wrappers: the second keeps the first's _HANDLER in its own variable.
  const h1 = classify(0, '/opt/h1', { 'nodejs24.x': effectsOf(obs({ env: { ...baseEnv, _HANDLER: '/opt/h1/index.handler', H1_ORIG: 'index.handler' } })) })
  const h2 = classify(1, '/opt/h2', { 'nodejs24.x': effectsOf(obs({ env: { ...baseEnv, _HANDLER: '/opt/h2/index.handler', H2_ORIG: 'index.handler' } })) })
  const composed = obs({ env: { ...baseEnv, _HANDLER: '/opt/h2/index.handler', H2_ORIG: '/opt/h1/index.handler', H1_ORIG: 'index.handler' } })
  t.same(attribute([h1, h2], { 'nodejs24.x': composed }).map((x) => [x.layer, x.variable, x.arrived, x.note]), [
    [0, '_HANDLER', true, 'kept by a later wrapper in H2_ORIG'],
    [0, 'H1_ORIG', true, undefined],
    [1, '_HANDLER', true, undefined],
    [1, 'H2_ORIG', true, 'holds the _HANDLER of the wrapper before it (/opt/h1): the two hand on to each other'],
  ])
  // A tracer whose NODE_OPTIONS another wrapper overwrote instead of appending to.
  const t1 = classify(0, '/opt/t1', { 'nodejs24.x': env })
  const clobber = obs({ env: { ...baseEnv, NODE_OPTIONS: '--require /opt/other.cjs', GONE: 'x' } })
  t.same(attribute([t1], { 'nodejs24.x': clobber }).map((x) => [x.variable, x.value, x.arrived]), [['NODE_OPTIONS', '--require /opt/a.cjs', false], ['GONE', 'x', true]])
  const kept = obs({ env: { ...baseEnv, NODE_OPTIONS: '--max-old-space-size=100 --require /opt/a.cjs --require /opt/b.cjs', GONE: 'x' } })
  t.same(attribute([t1], { 'nodejs24.x': kept }).map((x) => x.arrived), [true, true], 'a list part arrives among others')
})

let full: ComposeResult | undefined
let plain: ComposeResult | undefined
const fullOut = join(work, 'out-full')
const plainOut = join(work, 'out-plain')

t.test('compose: a tracer, a handler wrapper and a web adapter', { skip }, async (t) => {
  // The adapter is listed first: it still runs last, since it replaces the runtime.
  full = await compose({ layers: [{ path: adapterDir }, { path: tracerZip }, { path: handlerZip }], config })
  await writeComposed(full.output, fullOut)
  t.same(full.inputs.map((l) => [l.name, l.wrapper, l.wrapperFrom]), [['adapter', '/opt/bootstrap', 'detected'], ['tracer.zip', '/opt/tracer/wrapper', 'detected'], ['handler.zip', '/opt/handler-wrap/wrapper', 'detected']])
  t.same(full.classified.map((c) => [c.wrapper, c.kind]), [['/opt/bootstrap', 'replaces'], ['/opt/tracer/wrapper', 'passes'], ['/opt/handler-wrap/wrapper', 'passes']])
  t.match(full.classified[0]?.reason, new RegExp(`^on ${re(nodeRt)} it does not pass the runtime's command on: the interpreter started with \\["/opt/adapter/server\\.js"\\]$`))
  t.same(full.runtimes, Object.values(newest), 'one runtime per family, the newest')
  t.same(Object.keys(newest), ['node', 'python', 'java', 'dotnet', 'ruby'], 'the config supports every family')
  // The adapter runs its server on /var/lang/bin/node, which only a node runtime has (each runtime's
  // /var/lang holds only its own interpreters, as on Lambda): elsewhere its program cannot start.
  const others = full.runtimes.filter((r) => r !== nodeRt)
  t.same(full.checked, [nodeRt], 'the composed wrapper checked where the adapter\'s program starts the runtime\'s interpreter')
  for (const rt of others) t.match(full.classified[0]?.byRuntime[rt], { ran: false, exitCode: 127, stderr: /\/var\/lang\/bin\/node: .*not found/ }, `${rt}: the adapter's node is not there`)
  const node = full.classified[1]?.byRuntime[nodeRt]
  // (Under tap, the runtime's NODE_OPTIONS already holds tap's own --import: the tracer appends.)
  t.match(node?.env.NODE_OPTIONS, /(^| )--require \/opt\/tracer\/hook\.cjs$/, 'the tracer\'s own effect, seen alone')
  const stderrs = full.classified.flatMap((c) => Object.entries(c.byRuntime).filter(([, e]) => e.stderr).map(([rt, e]) => [c.wrapper, rt, e.stderr]))
  t.match(stderrs, others.map((rt) => ['/opt/bootstrap', rt, /\/var\/lang\/bin\/node: .*not found/]), 'no stderr line is the wrappers\' own but the adapter\'s missing node (the stand-in\'s line is not theirs)')
  t.equal(stderrs.length, others.length)
  t.same(full.classified[0]?.byRuntime[nodeRt]?.env, { ADAPTER_PORT: '8080' }, 'the adapter\'s own program, seen on the runtime\'s node')
  t.same(full.classified[2]?.byRuntime[nodeRt]?.env, { VENDOR_ORIGINAL_HANDLER: 'index.handler', _HANDLER: '/opt/handler-wrap/index.handler' })
  for (const rt of full.runtimes) t.same(full.classified[2]?.byRuntime[rt]?.env, { VENDOR_ORIGINAL_HANDLER: handlerOf(rt), _HANDLER: '/opt/handler-wrap/index.handler' }, `${rt}: the handler wrapper's effect (it keeps the runtime's own handler)`)
  t.same(full.chain.map((c) => c.wrapper), ['/opt/tracer/wrapper', '/opt/handler-wrap/wrapper', '/opt/bootstrap'], 'pass-through first, in layer order; the replacer last')
  // Checked where the composed wrapper's last program could start: every edit each vendor's wrapper made alone there.
  const edits = full.classified.flatMap((c) => Object.keys(c.byRuntime[nodeRt]?.env ?? {}).map((variable) => [nodeRt, c.layer, variable]))
  t.same(edits.length, 5, 'the adapter\'s, the tracer\'s and the handler wrapper\'s edits')
  t.same(full.attribution.map((a) => [a.runtime, a.layer, a.variable]), edits, 'each one attributed')
  t.ok(full.attribution.length === edits.length && full.attribution.every((a) => a.arrived), 'every vendor\'s environment edit arrived through the composed wrapper')
  t.match(full.warnings, [new RegExp(`^adapter: the program /opt/bootstrap starts did not start the runtime's interpreter on ${re(others.join(', '))}, so`), /adapter: \/opt\/bootstrap replaces the runtime, so it runs last/, /node flags and preloads .* node\.inject: 'NODE_OPTIONS'/, /\/opt\/init\.mjs: tracer\.zip, handler\.zip ship different contents; handler\.zip wins/])

  // The manifest: inputs with size and sha256, the chain order; in the layer and beside it.
  const m = JSON.parse(readFileSync(join(fullOut, 'compose.json'), 'utf8')) as ComposeManifest
  // In the layer: all of it but the config, whose paths are this machine's.
  const { config: _config, ...shipped } = m
  t.equal(readFileSync(join(fullOut, 'layer/wrapgen/compose.json'), 'utf8'), `${JSON.stringify(shipped, null, 2)}\n`, 'the layer\'s copy: the manifest without the config')
  t.equal(m.config.root, vendor, 'the config, beside the layer')
  t.equal(m.generator, 'wrapgen compose')
  t.same(m.inputs.map((i) => [i.file, i.format, i.size, i.sha256, i.kind]), [
    ['adapter', 'folder', full.inputs[0]!.size, full.inputs[0]!.sha256, 'replaces'],
    ['tracer.zip', 'zip', statSync(tracerZip).size, sha(tracerZip), 'passes'],
    ['handler.zip', 'zip', statSync(handlerZip).size, sha(handlerZip), 'passes'],
  ])
  t.equal(m.inputs[0]?.size, ['bootstrap', 'adapter/bin/run', 'adapter/server.js'].reduce((n, f) => n + statSync(join(adapterDir, f)).size, 0), 'a folder\'s size: its files\' bytes')
  t.same(m.chain, [{ wrapper: '/opt/tracer/wrapper', input: 'tracer.zip', kind: 'passes', allow: [] }, { wrapper: '/opt/handler-wrap/wrapper', input: 'handler.zip', kind: 'passes', allow: ['handler'] }, { wrapper: '/opt/bootstrap', input: 'adapter', kind: 'replaces', allow: ['replace-runtime'] }])
  t.same(m.conflicts, [{ path: '/opt/init.mjs', inputs: ['tracer.zip', 'handler.zip'], winner: 'handler.zip', differs: 'contents', breaks: [] }])
  const built = JSON.parse(readFileSync(join(fullOut, 'manifest.json'), 'utf8')) as { chain: string[]; id: string }
  t.equal(m.id, built.id, 'the id of the wrapper built with the chain')
  t.same(built.chain, ['/opt/tracer/wrapper', '/opt/handler-wrap/wrapper', '/opt/bootstrap'], 'wrapgen\'s own manifest names the chain')

  // Modes and symlinks kept, in the tree and in the zip (read back by Info-ZIP's unzip, as Lambda does).
  const unpacked = join(work, 'unzipped')
  const u = spawnSync('unzip', ['-q', join(fullOut, 'layer.zip'), '-d', unpacked], { encoding: 'utf8' })
  t.equal(u.status, 0, u.stderr)
  for (const root of [join(fullOut, 'layer'), unpacked]) {
    t.equal(statSync(join(root, 'tracer/bin/agent')).mode & 0o777, 0o750, `${root}: 0750 kept`)
    t.equal(statSync(join(root, 'wrapgen/exec')).mode & 0o777, 0o755)
    t.equal(statSync(join(root, 'bootstrap')).mode & 0o777, 0o755)
    t.ok(lstatSync(join(root, 'tracer/current')).isSymbolicLink(), 'a symlink stays a symlink')
    t.equal(readlinkSync(join(root, 'tracer/current')), 'hook.cjs')
    t.match(readFileSync(join(root, 'init.mjs'), 'utf8'), /handler-wrap/, 'the winner\'s init.mjs')
  }
})

t.test('the same inputs give a byte-identical layer wherever they are, with no path of the machine in it', { skip }, async (t) => {
  // Two checkouts: the same layers and config at different absolute paths.
  const places = [join(work, 'here'), join(work, 'somewhere-else/much/deeper')]
  const outs: string[] = []
  for (const place of places) {
    const conf = join(place, 'project')
    mkdirSync(conf, { recursive: true })
    cpSync(adapterDir, join(place, 'adapter'), { recursive: true, verbatimSymlinks: true })
    cpSync(tracerZip, join(place, 'tracer.zip'))
    cpSync(handlerZip, join(place, 'handler.zip'))
    cpSync(join(vendor, 'wrapgen-hook.cjs'), join(conf, 'wrapgen-hook.cjs'))
    writeFileSync(join(conf, 'wrapgen.config.mjs'), "export default { name: 'composed-test', env: { set: { COMPOSED_BY: 'wrapgen' } }, node: { preloads: ['./wrapgen-hook.cjs'] } }\n")
    const out = join(place, 'out')
    const r = await cli('compose', join(place, 'adapter'), join(place, 'tracer.zip'), join(place, 'handler.zip'), '--config', join(conf, 'wrapgen.config.mjs'), '--out', out)
    t.equal(r.code, 0, `composed in ${place}`, { stderr: r.err })
    outs.push(out)
  }
  const [a, b] = outs.map((o) => readFileSync(join(o!, 'layer.zip')))
  t.equal(sha(join(outs[0]!, 'layer.zip')), sha(join(outs[1]!, 'layer.zip')), 'layer.zip byte-identical')
  t.ok(a!.equals(b!))
  t.equal(readFileSync(join(outs[0]!, 'layer/wrapgen/compose.json'), 'utf8'), readFileSync(join(outs[1]!, 'layer/wrapgen/compose.json'), 'utf8'))
  // Nothing of either machine's folders in the zip: not in its raw bytes (names, comment), nor in any entry once inflated.
  const hostPaths = [...places, work, repo.replace(/\/$/, ''), join(tmpdir(), 'wrapgen-')]
  const { tree } = await readLayer(join(outs[0]!, 'layer.zip'))
  const texts = [a!.toString('latin1'), ...[...tree].map(([p, e]) => `${p}\0${e.kind === 'file' ? Buffer.from(e.data).toString('latin1') : e.kind === 'symlink' ? e.target : ''}`)]
  t.ok(tree.has('wrapgen/compose.json') && tree.has('wrapgen/exec'), 'the zip read back')
  for (const p of hostPaths) t.notOk(texts.some((x) => x.includes(p)), `no ${p} in the layer`)
  // What verify needs stays beside the layer: the config with its paths, only in OUT/compose.json.
  const beside = JSON.parse(readFileSync(join(outs[0]!, 'compose.json'), 'utf8')) as ComposeManifest
  t.equal(beside.config.root, join(places[0]!, 'project'))
  t.notOk('config' in (JSON.parse(readFileSync(join(outs[0]!, 'layer/wrapgen/compose.json'), 'utf8')) as object))
  // The layer unpacked elsewhere, without the compose.json beside it: verify asks for the config.
  const alone = join(places[0]!, 'unpacked/layer')
  mkdirSync(alone, { recursive: true })
  const u = spawnSync('unzip', ['-q', join(outs[0]!, 'layer.zip'), '-d', alone], { encoding: 'utf8' })
  t.equal(u.status, 0, u.stderr)
  t.match(await cli('verify', '--layer', alone), { code: 2, err: /config of a composed layer is kept in compose\.json beside its layer\/ tree .*give the folder wrapgen compose wrote with --out \(or its layer\/ tree\), or compose the layer again\n$/ })
  // A compose.json beside it that belongs to another composition is refused, not trusted.
  writeFileSync(join(places[0]!, 'unpacked/compose.json'), JSON.stringify({ ...beside, inputs: beside.inputs.map((i) => ({ ...i, sha256: '0'.repeat(64) })) }, null, 2))
  t.match(await cli('verify', '--layer', alone), { code: 1, err: /is not this layer's \(it differs from wrapgen\/compose\.json\)/ })
})

t.test('the composed wrapper runs every vendor\'s wrapper from its own path (dash and bash, stand-in node)', { skip }, async (t) => {
  plain = await compose({ layers: [{ path: tracerZip }, { path: handlerZip }], config })
  await writeComposed(plain.output, plainOut)
  t.same(plain.chain.map((c) => c.wrapper), ['/opt/tracer/wrapper', '/opt/handler-wrap/wrapper'])
  t.same(plain.warnings, ["/opt/init.mjs: tracer.zip, handler.zip ship different contents; handler.zip wins (applied last); nothing in the others names it"])
  for (const shell of ['dash', 'bash']) {
    const r = runComposed(join(plainOut, 'layer'), shell)
    t.equal(r.code, 0, `${shell}: ${r.stderr}`)
    t.same(r.argv, ['--expose-gc', '--max-http-header-size', '81920', '--require', '/opt/wrapgen/preload.cjs', '/var/runtime/index.mjs'], `${shell}: the runtime's command, wrapgen's flag before the entry`)
    t.equal(r.env.NODE_OPTIONS, '--require /opt/tracer/hook.cjs', `${shell}: the tracer's hook`)
    t.equal(r.env.TRACER_SERVICE, 'fn')
    t.equal(r.env._HANDLER, '/opt/handler-wrap/index.handler', `${shell}: the handler rewrite`)
    t.equal(r.env.VENDOR_ORIGINAL_HANDLER, 'index.handler')
    t.equal(r.env.COMPOSED_BY, 'wrapgen', `${shell}: wrapgen's own edit`)
    t.equal(r.stderr, '')
  }
  // With the web adapter: its program runs, with every environment edit made before it.
  for (const shell of ['dash', 'bash']) {
    const r = runComposed(join(fullOut, 'layer'), shell)
    t.same(r.argv, ['/opt/adapter/server.js'], `${shell}: the adapter's own program`)
    t.equal(r.env.ADAPTER_PORT, '8080')
    t.equal(r.env.NODE_OPTIONS, '--require /opt/tracer/hook.cjs')
    t.equal(r.env._HANDLER, '/opt/handler-wrap/index.handler')
    t.equal(r.env.COMPOSED_BY, 'wrapgen')
  }
})

t.test('refusals: two runtime replacers; a conflict that breaks a layer (unless allowed)', { skip }, async (t) => {
  await t.rejects(compose({ layers: [{ path: adapterDir }, { path: tracerZip }, { path: adapter2Dir }], config }), {
    constructor: UserError,
    message: /more than one wrapper replaces the runtime, and only the last wrapper of a chain may do that/,
    details: [/^adapter: \/opt\/bootstrap: .*server\.js/, /^adapter2: \/opt\/other-bootstrap: .*main\.js/, /keep one of these layers/],
  })
  // The handler wrapper first: the tracer's init.mjs replaces the one the handler wrapper imports.
  await t.rejects(compose({ layers: [{ path: handlerZip }, { path: tracerZip }], config }), {
    message: /1 path conflict\(s\) break a layer/,
    details: ['/opt/init.mjs: tracer.zip wins over handler.zip, which breaks: its /opt/handler-wrap/index.mjs names /opt/init.mjs', /--allow-conflicts/],
  })
  const allowed = await compose({ layers: [{ path: handlerZip }, { path: tracerZip }], config, allowConflicts: true })
  t.same(allowed.manifest.conflicts, [{ path: '/opt/init.mjs', inputs: ['handler.zip', 'tracer.zip'], winner: 'tracer.zip', differs: 'contents', breaks: [{ input: 'handler.zip', reason: 'its /opt/handler-wrap/index.mjs names /opt/init.mjs' }] }])
  // Two versions of one vendor's layer: one wrapper path, run once, from the layer that won it.
  const v2 = join(work, 'tracer-v2')
  cpSync(join(vendor, 'tracer'), v2, { recursive: true, verbatimSymlinks: true })
  writeFileSync(join(v2, 'tracer/wrapper'), '#!/bin/sh\n# version 2\nexport TRACER_V=2\nexec "$@"\n')
  await t.rejects(compose({ layers: [{ path: tracerZip }, { path: v2 }], config }), { message: /break a layer/, details: [/\/opt\/tracer\/wrapper: tracer-v2 wins over tracer\.zip, which breaks: its exec wrapper \/opt\/tracer\/wrapper is replaced/, /--allow-conflicts/] })
  const twice = await compose({ layers: [{ path: tracerZip }, { path: v2 }], config, allowConflicts: true })
  t.same(twice.chain.map((c) => [c.wrapper, c.layer]), [['/opt/tracer/wrapper', 1]])
  t.same(twice.classified[0]?.byRuntime[nodeRt]?.env, { TRACER_V: '2' }, 'the winner\'s file is what runs')
  t.match(twice.output.tree.get('tracer/current'), { kind: 'symlink', target: 'hook.cjs', from: 1 }, 'a folder input keeps its symlinks')
  t.match(twice.output.tree.get('tracer/bin/agent'), { kind: 'file', mode: 0o750 }, 'and its modes')
  // Two wrappers that put a flag right after the interpreter: each works alone; chained, the first
  // puts its flag after the second wrapper's path, and the second then tries to run that flag.
  const editor = (n: string): string => {
    const dir = join(work, `editor-${n}`)
    mkdirSync(dir)
    writeFileSync(join(dir, `${n}-wrapper`), `#!/bin/sh\nfirst=$1\nshift\nexec "$first" --${n}-flag "$@"\n`)
    chmodSync(join(dir, `${n}-wrapper`), 0o755)
    return dir
  }
  const editors = [editor('x'), editor('y')]
  await t.rejects(compose({ layers: editors.map((path) => ({ path })), config }), {
    message: /the composed wrapper does not work: the wrappers, each fine alone, break each other in a chain/,
    details: [new RegExp(`^on ${re(nodeRt)} the composed wrapper did not start the runtime \\(exit 127`), /./, /./, /./, /./, 'chain: /opt/x-wrapper (editor-x) -> /opt/y-wrapper (editor-y)'],
  })
  const one = await compose({ layers: [{ path: editors[0]! }, { path: tracerZip }], config })
  t.same(one.chain.map((c) => [c.wrapper, c.editsArgv]), [['/opt/tracer/wrapper', false], ['/opt/x-wrapper', true]], 'a wrapper that adds arguments runs closest to the runtime')
  // Layers that wrapgen's own files would clash with, a chain in the config, a wrapper without its exec bit.
  const own = join(work, 'own')
  mkdirSync(join(own, 'wrapgen'), { recursive: true })
  writeFileSync(join(own, 'wrapgen/exec'), '#!/bin/sh\nexec "$@"\n')
  await t.rejects(compose({ layers: [{ path: own }], config }), { message: /ships \/opt\/wrapgen\/exec, where the composed layer's own files go/ })
  await t.rejects(compose({ layers: [{ path: tracerZip }], config: { ...config, chain: ['/opt/x'] } }), { message: /chain: compose sets the chain/ })
  await t.rejects(compose({ layers: [{ path: tracerZip, wrapper: '/opt/tracer/hook.cjs' }], config }), { message: /its wrapper \/opt\/tracer\/hook\.cjs has no exec bit/ })
  await t.rejects(compose({ layers: [{ path: tracerZip, wrapper: '/opt/nope' }], config }), { exitCode: 2, message: /has no file \/opt\/nope/ })
})

t.test('a vendor\'s wrapper in python: its #! interpreter is kept for it, alone and in the chain', { skip: skip || (!existsSync('/usr/bin/python3') && 'no python3 here') }, async (t) => {
  const dir = join(work, 'py-vendor')
  mkdirSync(dir)
  writeFileSync(join(dir, 'py-wrapper'), "#!/usr/bin/env python3\n# A vendor's wrapper in python: sets its variable, execs the runtime's command.\nimport os, sys\nos.environ['PY_VENDOR'] = 'on'\nos.execv(sys.argv[1], sys.argv[1:])\n")
  chmodSync(join(dir, 'py-wrapper'), 0o755)
  const r = await compose({ layers: [{ path: dir, wrapper: '/opt/py-wrapper' }, { path: tracerZip }], config })
  t.same(r.chain.map((c) => [c.wrapper, c.kind]), [['/opt/py-wrapper', 'passes'], ['/opt/tracer/wrapper', 'passes']])
  for (const rt of r.runtimes) t.match(r.classified[0]?.byRuntime[rt], { ran: true, keptArgs: true, env: { PY_VENDOR: 'on' } }, `${rt}: alone, run by the real python3`)
  // In the chain, wrapgen's #!/bin/sh wrapper execs it: its python3 must still be there.
  t.same(r.checked, r.runtimes, 'the composed wrapper started every runtime')
  t.same(r.attribution.filter((a) => a.variable === 'PY_VENDOR').map((a) => [a.runtime, a.arrived]), r.runtimes.map((rt) => [rt, true]), 'its edit arrived on every runtime')
  t.ok(r.attribution.every((a) => a.arrived))
})

t.test('a layer with two wrapper-like scripts must name its wrapper; a zip that escapes its tree is refused', { skip }, async (t) => {
  const two = join(work, 'two')
  cpSync(adapterDir, two, { recursive: true })
  cpSync(join(adapter2Dir, 'other-bootstrap'), join(two, 'other-bootstrap'))
  // With the program it starts: a wrapper that starts nothing on every runtime is refused (issue 17).
  cpSync(join(adapter2Dir, 'other'), join(two, 'other'), { recursive: true })
  await t.rejects(compose({ layers: [{ path: two }], config }), { exitCode: 2, message: /more than one file looks like an exec wrapper \(\/opt\/bootstrap, \/opt\/other-bootstrap\); name it as .*=\/opt\/PATH/ })
  const named = await compose({ layers: [{ path: two, wrapper: '/opt/other-bootstrap' }, { path: tracerZip }], config })
  t.same(named.chain.map((c) => c.wrapper), ['/opt/tracer/wrapper', '/opt/other-bootstrap'])
  // A symlink to / followed by a file below it: written as is, the file would land outside the tree.
  const evil = join(work, 'evil')
  mkdirSync(join(evil, 'in'), { recursive: true })
  writeFileSync(join(evil, 'in/x'), 'x')
  const evilZip = join(work, 'evil.zip')
  spawnSync('sh', ['-c', `cd ${evil} && ln -s /tmp link && zip -qy ${evilZip} link && mkdir -p l2 && cd l2 && mkdir link && echo hi > link/owned && zip -q ${evilZip} link/owned`])
  await t.rejects(compose({ layers: [{ path: evilZip }], config }), { message: /link\/owned lies below link, which is a symlink/ })
})

t.test('the command line: help, usage errors, exit codes, never overwriting others\' files', { skip }, async (t) => {
  const help = await cli('compose', '--help')
  t.equal(help.code, 0)
  t.match(help.out, /^Usage: wrapgen compose LAYER\.\.\. --out DIR/)
  t.match((await cli('--help')).out, /^ {2}compose {1}combine several vendors' layers/m, 'listed in wrapgen --help')
  t.match(await cli('compose', '--out', 'x'), { code: 2, err: /give the layers to compose/ })
  t.match(await cli('compose', tracerZip), { code: 2, err: /--out DIR is required/ })
  t.match(await cli('compose', 'nope.zip', '--out', 'x'), { code: 2, err: /nope\.zip: no such layer zip or folder/ })
  t.match(await cli('compose', `${tracerZip}=opt/x`, '--out', 'x'), { code: 2, err: /LAYER=\/opt\/PATH/ })
  t.match(await cli('compose', tracerZip, '--out', 'x', '--name', 'a', '--config', 'c.mjs'), { code: 2, err: /--name applies without --config/ })
  t.match(await cli('compose', adapterDir, '--out', join(adapterDir, 'out')), { code: 2, err: /inside the input folder/ })
  t.match(await cli('compose', adapterDir, adapter2Dir, '--out', 'refused'), { code: 1, err: /more than one wrapper replaces the runtime/ })
  t.notOk(existsSync(join(work, 'refused')), 'a refused composition writes nothing')
  const bad = join(work, 'bad.zip')
  writeFileSync(bad, 'not a zip')
  t.match(await cli('compose', bad, '--out', 'x'), { code: 1, err: /bad\.zip: not a readable zip/ })

  // Someone else's folder is never written into; a previous compose output is replaced.
  mkdirSync(join(work, 'foreign'))
  writeFileSync(join(work, 'foreign/manifest.json'), '{"mine": true}\n')
  t.match(await cli('compose', tracerZip, '--out', 'foreign'), { code: 1, err: /holds manifest\.json, not written by wrapgen compose/ })
  t.equal(readFileSync(join(work, 'foreign/manifest.json'), 'utf8'), '{"mine": true}\n', 'untouched')

  const first = await cli('compose', tracerZip, `${handlerZip}=/opt/handler-wrap/wrapper`, `${adapterDir}=none`, '--out', 'cli-out', '--name', 'cli')
  t.equal(first.code, 0, first.err)
  t.match(first.out, /composed 3 layer\(s\)/)
  t.match(first.out, /1\. \/opt\/tracer\/wrapper \(tracer\.zip, passes the command on\)\n {2}2\. \/opt\/handler-wrap\/wrapper \(handler\.zip, passes the command on\)\n/)
  t.match(first.out, /adapter \(folder, .*\): no wrapper/)
  t.match(first.out, /AWS_LAMBDA_EXEC_WRAPPER=\/opt\/wrapgen\/exec/)
  t.match(first.out, new RegExp(`\nchecked on ${re(Object.values(newest).join(', '))}: 20 of 20 vendor environment edits arrived\n {2}layer tree`), 'the tracer\'s and the handler wrapper\'s two edits each, on every runtime')
  t.match(first.err, /wrapgen: warning: \/opt\/init\.mjs: tracer\.zip, handler\.zip ship different contents/)
  const zip1 = readFileSync(join(work, 'cli-out/layer.zip'))
  writeFileSync(join(work, 'cli-out/notes.txt'), 'mine')
  const again = await cli('compose', tracerZip, `${handlerZip}=/opt/handler-wrap/wrapper`, `${adapterDir}=none`, '--out', 'cli-out', '--name', 'cli', '--json')
  t.equal(again.code, 0, again.err)
  const j = JSON.parse(again.out) as { compose: ComposeManifest; composeFile: string; runtimes: string[]; checked: string[]; wrappers: Array<{ input: string; kind: string; byRuntime: Record<string, { env: Record<string, string> }> }> }
  t.equal(j.composeFile, join(work, 'cli-out/compose.json'))
  t.same(j.wrappers.map((w) => [w.input, w.kind]), [['tracer.zip', 'passes'], ['handler.zip', 'passes']])
  t.same([j.runtimes, j.checked], [Object.values(newest), Object.values(newest)])
  for (const rt of j.runtimes) t.equal(j.wrappers[1]?.byRuntime[rt]?.env._HANDLER, '/opt/handler-wrap/index.handler', `${rt}: what each wrapper did, per runtime`)
  t.same(j.compose.chain.map((c) => c.wrapper), ['/opt/tracer/wrapper', '/opt/handler-wrap/wrapper'])
  t.ok(readFileSync(join(work, 'cli-out/layer.zip')).equals(zip1), 'the same inputs give a byte-identical zip')
  t.equal(readFileSync(join(work, 'cli-out/notes.txt'), 'utf8'), 'mine', 'a file of the user\'s beside ours is kept')
})

t.test('compose --config with every config key: the runners\' folders, extensions and the bootstrap shim are written, and the layer verifies', { skip }, async (t) => {
  // Local hook files for every family (the smallest jar and dll build's binary checks accept: verify
  // replaces each hook with a probe).
  const project = join(work, 'every-key')
  mkdirSync(join(project, 'hooks'), { recursive: true })
  const files: Record<string, string | Buffer> = {
    'hooks/preload.cjs': 'module.exports = () => {}\n',
    'hooks/imp.mjs': 'export default () => {}\n',
    'hooks/otel.py': 'pass\n',
    'hooks/otel.rb': 'nil\n',
    'hooks/agent.jar': await agentJar(),
    'hooks/Acme.StartupHook.dll': startupHookAssembly(),
    'agent.sh': '#!/bin/sh\nexit 0\n',
    'agent.json': '{}\n',
  }
  for (const [f, text] of Object.entries(files)) writeFileSync(join(project, f), text)
  chmodSync(join(project, 'agent.sh'), 0o755)
  const everyKey = {
    $schema: './schema.json',
    name: 'every-key',
    failMode: 'closed',
    runtimes: ['nodejs22.x', 'python3.12', 'java21', 'dotnet8', 'ruby3.3'],
    env: { set: { A: '1' }, default: { B: '2' }, prepend: { PATH: '/opt/acme/bin' }, append: { C: 'x' }, unset: ['DEBUG'] },
    node: { flags: ['--enable-source-maps'], env: { set: { N: '1' } }, preloads: ['./hooks/preload.cjs'], inject: 'NODE_OPTIONS', external: ['@aws-sdk/*'], mainFields: ['main', 'module'], imports: ['./hooks/imp.mjs'] },
    python: { flags: ['-X', 'importtime'], env: { set: { P: '1' } }, preloads: ['./hooks/otel.py'] },
    java: { flags: ['-XX:+TieredCompilation'], env: { set: { J: '1' } }, agents: [{ jar: './hooks/agent.jar', options: 'k=v' }], inject: 'argv' },
    dotnet: { flags: ['--roll-forward', 'Major'], env: { set: { D: '1' } }, startupHooks: ['./hooks/Acme.StartupHook.dll'] },
    ruby: { flags: ['-W0'], env: { set: { R: '1' } }, preloads: ['./hooks/otel.rb'] },
    chain: [],
    extensions: { agent: { file: './agent.sh', files: { 'acme/agent.json': './agent.json' } } },
    customRuntime: { bootstrap: true },
  }
  const { CONFIG_KEYS } = await import('../src/config/schema.js')
  t.same(Object.keys(everyKey).sort(), [...CONFIG_KEYS].sort(), 'the config uses every key wrapgen has (chain empty: compose sets it)')
  writeFileSync(join(project, '.wrapgenrc.json'), JSON.stringify(everyKey, null, 2))
  const out = join(work, 'out-every-key')
  const r = await cli('compose', tracerZip, handlerZip, '--config', join(project, '.wrapgenrc.json'), '--out', out)
  t.equal(r.code, 0, 'composed (before: exit 70, ENOENT under /opt/wrapgen/...)', { stderr: r.err })
  const { tree } = await readLayer(join(out, 'layer.zip'))
  for (const path of ['wrapgen/import.mjs', 'wrapgen/imports/01-imp.mjs', 'wrapgen/python/run.py', 'wrapgen/python/hooks/01-otel.py', 'wrapgen/ruby/run.rb', 'wrapgen/ruby/hooks/01-otel.rb', 'wrapgen/java/wrapgen-agents.jar', 'wrapgen/java/agents.txt', 'wrapgen/dotnet/WrapgenStartupHooks.dll', 'wrapgen/dotnet/hooks/01/Acme.StartupHook.dll', 'wrapgen/preload.cjs', 'extensions/agent', 'acme/agent.json', 'bootstrap', 'tracer/wrapper', 'handler-wrap/wrapper']) {
    t.equal(tree.get(path)?.kind, 'file', `the zip holds /opt/${path}`)
    t.ok(existsSync(join(out, 'layer', path)), `the tree holds /opt/${path}`)
  }
  for (const dir of ['wrapgen/imports', 'wrapgen/python/hooks', 'wrapgen/ruby', 'wrapgen/java', 'wrapgen/dotnet/hooks/01', 'extensions', 'acme']) t.same(tree.get(dir), { kind: 'dir', mode: 0o755 }, `the zip has the folder /opt/${dir}/`)
  t.equal(statSync(join(out, 'layer/extensions/agent')).mode & 0o777, 0o755, 'the extension keeps its exec bit')
  // Verified with its own compose.json: every family through the chain, the hooks column included.
  const v = await cli('verify', '--layer', out, '--memory', '1024', '--shell', 'dash')
  t.equal(v.code, 0, 'verify passes on the composed layer', { out: v.out.split('\n').slice(-25).join('\n') })
  // A vendor file where the config puts one of its own: refused, naming both, nothing written.
  const clash = join(work, 'ships-bootstrap')
  mkdirSync(clash)
  writeFileSync(join(clash, 'bootstrap'), '#!/bin/sh\nexec "$@"\n')
  chmodSync(join(clash, 'bootstrap'), 0o755)
  const refused = await cli('compose', `${clash}=none`, '--config', join(project, '.wrapgenrc.json'), '--out', join(work, 'out-clash'))
  t.equal(refused.code, 1, refused.err)
  t.match(refused.err, /\/opt\/bootstrap: ships-bootstrap ships a file there, where the config puts \/opt\/bootstrap \(customRuntime\.bootstrap\)/)
  t.notOk(existsSync(join(work, 'out-clash')), 'nothing written')
})

t.test('wrapgen invoke through the composed layer: every vendor\'s Node hook runs, then the handler', { skip: skip || needsRic.skip }, async (t) => {
  const { runInvoke } = await import('../src/invoke/run.js')
  if (!plain) return void t.fail('the composition above did not run')
  const run = await runInvoke({ layerDir: join(plainOut, 'layer'), taskDir: join(vendor, 'task'), events: [{}], timeoutMs: scaled(5000) })
  t.equal(run.init.status, 'ok', run.logs.stderr)
  t.equal(run.invokes[0]?.status, 'success', JSON.stringify(run.invokes[0]?.error))
  const p = JSON.parse(run.invokes[0]?.payload ?? 'null') as Record<string, unknown>
  t.same([...(p.hooks as string[])].sort(), ['handler-wrap', 'tracer', 'wrapgen'], 'the tracer\'s NODE_OPTIONS hook, wrapgen\'s preload and the handler wrapper all ran')
  t.equal((p.hooks as string[]).at(-1), 'handler-wrap', 'the handler wrapper loads last, as the handler')
  t.equal(p.wrappedBy, 'handler-wrap', 'the function was called through the vendor\'s handler')
  t.equal(p.init, 'handler-wrap', 'with the init.mjs of the layer that won it')
  t.equal(p.tracerService, 'wrapgen-invoke')
  t.equal(p.composedBy, 'wrapgen')
  t.equal(p.handlerEnv, '/opt/handler-wrap/index.handler')
})

t.test('wrapgen verify --layer on the composed layer: no config needed, every runtime the inputs support, each effect named by its layer', { skip }, async (t) => {
  const { verify } = await import('../src/api-verify.js')
  const { passed } = await import('../src/verify/types.js')
  if (!full || !plain) return void t.fail('the compositions above did not run')
  const fails = (r: { results: ReadonlyArray<{ status: string; check: string; runtime: string; detail: string }> }) => r.results.filter((x) => x.status === 'fail')
  const families = (r: { results: ReadonlyArray<{ runtime: string }> }): string[] => [...new Set(r.results.map((x) => loadCatalogue().runtimes.find((f) => f.id === x.runtime.split(':')[0])!.family))].sort()
  const QUICK = { memories: [1024], shells: ['dash'] } as const

  // compose.json carries what verify needs: the config with the chain, each wrapper's accepted changes, the runtimes.
  const m = JSON.parse(readFileSync(join(fullOut, 'compose.json'), 'utf8')) as ComposeManifest
  t.same(m.chain.map((c) => [c.input, c.allow]), [['tracer.zip', []], ['handler.zip', ['handler']], ['adapter', ['replace-runtime']]], 'the handler rewriter and the runtime replacer, as compose classified them')
  t.same([m.runtimes, m.checked], [full.runtimes, full.checked])
  t.same(m.config.chain, ['/opt/tracer/wrapper', '/opt/handler-wrap/wrapper', '/opt/bootstrap'])

  // The tracer, the handler rewriter and the web adapter (last): only node runtimes run the adapter's program.
  const r = await verify({ layerDir: fullOut, ...QUICK })
  t.ok(passed(r), 'PASS', { failures: fails(r) })
  t.match(r.target, /\(composed-test@[0-9a-f]{12}\), composed from adapter, tracer\.zip, handler\.zip$/)
  t.same(families(r), ['node'], 'the runtimes where compose saw the adapter\'s program start')
  t.same([...new Set(r.results.map((x) => x.runtime))].sort(), config.runtimes.filter((id) => id.startsWith('nodejs')).sort(), 'every node runtime of the config')
  t.ok(r.results.some((x) => x.check === 'chain' && x.status === 'pass'), 'the chained vendors\' wrappers judged')
  for (const rt of r.results.map((x) => x.runtime).filter((x, i, a) => a.indexOf(x) === i)) {
    t.ok(r.deviations.includes(`${rt}: chain: handler: handler.zip (/opt/handler-wrap/wrapper) rewrites _HANDLER to "/opt/handler-wrap/index.handler" (accepted: compose classified it so)`), `${rt}: the handler rewrite, named by its layer`)
    t.ok(r.deviations.includes(`${rt}: chain: replace-runtime: adapter (/opt/bootstrap) replaces the runtime's program: node would start "/opt/adapter/server.js" instead of /var/runtime/index.mjs (accepted: compose classified it so)`), `${rt}: the adapter's own program, named by its layer`)
  }
  t.match(r.warnings, [/^not verified on python, java, dotnet, ruby runtimes: compose saw the composed wrapper not start the runtime there/, /^real interpreters not checked: adapter's \/opt\/bootstrap replaces the runtime/])

  // Without the adapter: every family, the real interpreters included; the layer/ tree given directly.
  const p = await verify({ layerDir: join(plainOut, 'layer'), ...QUICK })
  t.ok(passed(p), 'PASS', { failures: fails(p) })
  t.same(families(p), [...FAMILIES].sort(), 'every family the config and the inputs support')
  t.ok(p.results.some((x) => x.check === 'real' && x.runtime === nodeRt && x.status === 'pass'), 'the real node ran through wrapgen\'s wrapper, the tracer\'s and the handler rewriter\'s')
  t.notOk(p.deviations.some((d) => /replace-runtime/.test(d)))

  // The command line: no config; a config given explicitly must still match.
  const c = await cli('verify', '--layer', fullOut, '--memory', '1024', '--shell', 'dash')
  t.equal(c.code, 0, c.out + c.err)
  t.match(c.out, /chain: handler: handler\.zip \(\/opt\/handler-wrap\/wrapper\) rewrites _HANDLER/)
  t.match(c.out, /\nPASS: layer .*out-full \(composed-test@[0-9a-f]{12}\), composed from adapter, tracer\.zip, handler\.zip: /)
  writeFileSync(join(work, 'other.config.mjs'), "export default { name: 'other' }\n")
  t.match(await cli('verify', '--layer', join(plainOut, 'layer'), '--config', 'other.config.mjs'), { code: 1, err: /built from a different config \(composed-test@.*, the config is other@/ })

  // A vendor's wrapper that runs the command as a child instead of exec: verify fails, naming that vendor's layer.
  const forker = join(work, 'forker')
  mkdirSync(join(forker, 'forker'), { recursive: true })
  writeFileSync(join(forker, 'forker/wrapper'), '#!/bin/sh\n# runs the command as a child instead of exec\nexport FORKER=on\n"$@"\nexit $?\n')
  chmodSync(join(forker, 'forker/wrapper'), 0o755)
  const forkOut = join(work, 'out-fork')
  const forked = await compose({ layers: [{ path: tracerZip }, { path: forker }], config })
  t.same(forked.chain.map((x) => x.wrapper), ['/opt/tracer/wrapper', '/opt/forker/wrapper'], 'compose sees it pass the command on')
  await writeComposed(forked.output, forkOut)
  const f = await verify({ layerDir: forkOut, runtime: nodeRt, ...QUICK })
  t.notOk(passed(f), 'FAIL')
  t.same([...new Set(fails(f).map((x) => x.check))].sort(), ['exec', 'real', 'signals'])
  for (const x of fails(f)) t.match(x.detail, /\[made by forker \(\/opt\/forker\/wrapper\): it fails this check on its own too\]$/, `${x.check}: named by the layer that forked`)
  t.notOk(fails(f).some((x) => x.detail.includes('tracer.zip')), 'not the tracer')
  const fc = await cli('verify', '--layer', forkOut, '--runtime', nodeRt, '--memory', '1024', '--shell', 'dash')
  t.equal(fc.code, 3)
  t.match(fc.out, /exec: the interpreter's pid \d+ differs from the wrapper's \d+: the wrapper forked .*\[made by forker \(\/opt\/forker\/wrapper\)/)
})

// Real vendors' layers, as wrapgen's own files in their shapes (test/fixtures/wrappers/vendors, issue 18).
const vendors = join(repo, 'test/fixtures/wrappers/vendors')

t.test('effects of vendor-shaped wrappers: a leading blank, a default kept, nothing counted as arrived that did not (pure)', async (t) => {
  t.same(contribution(' --import /opt/init.mjs', undefined, 'NODE_OPTIONS'), { part: '--import /opt/init.mjs', sep: ' ' }, '"${NODE_OPTIONS} --import" when it was unset: the blank is not part of the edit')
  t.same(contribution('--require /opt/a.js  --import /opt/b.mjs', undefined, 'NODE_OPTIONS'), { part: '--require /opt/a.js --import /opt/b.mjs', sep: ' ' }, 'nor are doubled blanks')
  const baseArgv = ['/var/lang/bin/node', '/var/runtime/index.mjs']
  const baseEnv = { _HANDLER: 'index.handler' }
  const obs = (env: Record<string, string>): Observed => ({ ran: true, argv: baseArgv, env, code: 0, stderr: '', baseArgv, baseEnv })
  const otel = classify(0, '/opt/otel-handler', { 'nodejs24.x': effectsOf(obs({ ...baseEnv, NODE_OPTIONS: ' --import /opt/init.mjs', OTEL_PROPAGATORS: 'tracecontext,baggage,xray' })) })
  const splunk = classify(1, '/opt/nodejs-otel-handler', { 'nodejs24.x': effectsOf(obs({ ...baseEnv, NODE_OPTIONS: ' --import /opt/loader.mjs', OTEL_PROPAGATORS: 'tracecontext,baggage' })) })
  // Splunk first: OpenTelemetry's part arrives after Splunk's, with one blank between.
  const chained = obs({ ...baseEnv, NODE_OPTIONS: ' --import /opt/loader.mjs --import /opt/init.mjs', OTEL_PROPAGATORS: 'tracecontext,baggage' })
  const rows = attribute([otel, splunk], { 'nodejs24.x': chained }, [splunk, otel])
  t.same(rows.map((a) => [a.layer, a.variable, a.arrived]), [[0, 'NODE_OPTIONS', true], [0, 'OTEL_PROPAGATORS', false], [1, 'NODE_OPTIONS', true], [1, 'OTEL_PROPAGATORS', true]], 'the --import arrived; the propagators did not')
  t.same(rows[1]?.by, undefined, 'and no wrapper after it set them: nobody to blame in the chain')
  const reversed = attribute([otel, splunk], { 'nodejs24.x': obs({ ...baseEnv, NODE_OPTIONS: ' --import /opt/init.mjs --import /opt/loader.mjs', OTEL_PROPAGATORS: 'tracecontext,baggage' }) }, [otel, splunk])
  t.same(reversed.filter((a) => !a.arrived).map((a) => [a.layer, a.variable, a.by]), [[0, 'OTEL_PROPAGATORS', [1]]], 'a value replaced by the wrapper after it names that wrapper')
  // Values that merely look alike are not a hand-on: only a handler kept by the next handler wrapper is.
  const a = classify(0, '/opt/a', { 'nodejs24.x': effectsOf(obs({ ...baseEnv, A_ON: 'false' })) })
  const b = classify(1, '/opt/b', { 'nodejs24.x': effectsOf(obs({ ...baseEnv, B_ON: 'true', B_FLAG: 'false' })) })
  t.same(attribute([a, b], { 'nodejs24.x': obs({ ...baseEnv, A_ON: 'true', B_ON: 'true', B_FLAG: 'false' }) }, [a, b]).filter((x) => !x.arrived).map((x) => x.variable), ['A_ON'], 'an edit that did not arrive is never "arrived"')
})

t.test('compose of vendor-shaped layers: OpenTelemetry + Splunk without false warnings; ADOT\'s real wrapper chained; a web adapter exercised', { skip }, async (t) => {
  const plainConfig = await openConfig({ cwd: work, config: { name: 'vendors' } })
  const layer = (name: string): string => join(vendors, name, 'layer')

  const os = await compose({ layers: [{ path: layer('otel-node') }, { path: layer('splunk-node') }], config: plainConfig })
  t.same(os.chain.map((c) => c.wrapper), ['/opt/otel-handler', '/opt/nodejs-otel-handler'])
  t.same(os.warnings, [], 'no false warning')
  t.same(os.checked, os.runtimes, 'checked on every family')
  t.same(os.attribution.filter((a) => !a.arrived && !a.deferred), [], 'every edit arrived, or was rightly not made')
  for (const rt of os.runtimes) {
    const at = (layerIx: number, v: string) => os.attribution.find((a) => a.runtime === rt && a.layer === layerIx && a.variable === v)
    t.match(at(0, 'NODE_OPTIONS'), { value: '--import /opt/init.mjs', arrived: true }, `${rt}: OpenTelemetry's --import arrived (set after a leading blank)`)
    t.match(at(1, 'NODE_OPTIONS'), { value: '--import /opt/loader.mjs --require /opt/wrapper.js', arrived: true }, `${rt}: Splunk's arrived after it`)
    for (const v of ['OTEL_PROPAGATORS', 'OTEL_RESOURCE_ATTRIBUTES']) t.match(at(1, v), { arrived: false, deferred: true, note: /only when unset/ }, `${rt}: Splunk's ${v} default yields to OpenTelemetry's, said so`)
  }
  const m = os.manifest.attribution.find((a) => a.deferred)
  t.match(m, { deferred: true, arrived: false }, 'the manifest keeps the distinction')

  const adot = await compose({ layers: [{ path: layer('adot-node') }], config: plainConfig })
  t.same([adot.inputs[0]?.wrapper, adot.inputs[0]?.wrapperFrom], ['/opt/otel-handler', 'detected'], 'the file Lambda runs: the one that sources the upstream script, not the upstream script')
  t.same(adot.warnings, [])
  for (const rt of adot.runtimes) {
    const edits = adot.attribution.filter((a) => a.runtime === rt)
    t.same(edits.map((a) => a.variable).sort(), ['NODE_OPTIONS', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_PROPAGATORS', 'OTEL_RESOURCE_ATTRIBUTES'], `${rt}: every edit, ADOT's own and the upstream script's, checked`)
    t.ok(edits.every((a) => a.arrived), `${rt}: and each arrived`)
    t.match(edits.find((a) => a.variable === 'NODE_OPTIONS')?.value, /^--require \/opt\/adot-extension\.js --import \/opt\/init\.mjs$/, `${rt}: ADOT's --require and the upstream --import`)
  }

  // A web adapter last: its program (the function's own, $LAMBDA_TASK_ROOT/$_HANDLER) gets a stand-in, so the chain is exercised.
  const wa = await compose({ layers: [{ path: layer('otel-node') }, { path: layer('web-adapter') }], config: plainConfig })
  t.same(wa.chain.map((c) => [c.wrapper, c.kind]), [['/opt/otel-handler', 'passes'], ['/opt/bootstrap', 'replaces']])
  t.same(wa.checked, wa.runtimes, 'the replacer\'s program starts on every runtime: every edit checked')
  t.ok(wa.attribution.length > 0 && wa.attribution.every((a) => a.arrived), `${wa.attribution.length} edits, all arrived`)
  const withEnv = await compose({ layers: [{ path: layer('otel-node') }, { path: layer('web-adapter') }], config: plainConfig, env: { _HANDLER: 'run.sh' } })
  t.match(withEnv.classified[1]?.reason, /it runs the program "\/var\/task\/run\.sh" instead/, '--env reaches the wrappers')
  t.same(withEnv.manifest.env, { _HANDLER: 'run.sh' }, 'and compose.json keeps it for verify --layer')
  const out = join(work, 'out-adapter')
  writeComposed(withEnv.output, out)
  const { verify } = await import('../src/api-verify.js')
  const { passed } = await import('../src/verify/types.js')
  const r = await verify({ layerDir: out, runtime: nodeRt, memories: [1024], shells: ['dash'], standInOnly: true })
  t.ok(passed(r), 'verify --layer on it runs and passes', { failures: r.results.filter((x) => x.status === 'fail') })
  t.ok(r.deviations.some((d) => d.includes('"/var/task/run.sh"')), 'with the function\'s variables compose ran with', { deviations: r.deviations })
  const c = await cli('compose', layer('otel-node'), layer('web-adapter'), '--out', join(work, 'out-adapter-cli'), '--env', '_HANDLER=run.sh')
  t.equal(c.code, 0, c.err)
  t.match(c.out, /checked on .*: \d+ of \d+ vendor environment edits arrived\n/)
  t.match(await cli('compose', layer('otel-node'), '--out', join(work, 'out-bad-env'), '--env', 'nope'), { code: 2, err: /--env nope: give NAME=value/ })
})

t.test('detect: the file Lambda would run, when a layer\'s scripts run or source each other', async (t) => {
  const { entryCandidates, wrapperCandidates } = await import('../src/compose/detect.js')
  const tree = async (name: string) => (await readLayer(join(vendors, name, 'layer'))).tree
  const adot = await tree('adot-node')
  t.same(wrapperCandidates(adot).sort(), ['/opt/otel-handler', '/opt/otel-handler-upstream'], 'a script that only sources another is a candidate too')
  t.same(entryCandidates(adot), ['/opt/otel-handler'], 'ADOT node: the one that sources the upstream script')
  t.same(entryCandidates(await tree('adot-python')), ['/opt/otel-instrument'], 'ADOT python: the one that sources the upstream script')
  t.same(entryCandidates(await tree('otel-python')), ['/opt/otel-handler'], 'OpenTelemetry python: the one that execs its sibling through BASH_SOURCE')
  t.same(entryCandidates(await tree('splunk-node')), ['/opt/nodejs-otel-handler'], 'Splunk: its sourced defaults are not a wrapper')
  t.same(entryCandidates(await tree('newrelic-java')), ['/opt/newrelic-java-handler'])
  // Two independent entry points: the one the layer documents as AWS_LAMBDA_EXEC_WRAPPER.
  const file = (s: string, mode = 0o755) => ({ kind: 'file' as const, mode, data: new TextEncoder().encode(s), sha256: sha256(new TextEncoder().encode(s)) })
  const two = new Map([['a-handler', file('#!/bin/sh\nexec "$@"\n')], ['b-handler', file('#!/bin/bash\nexport B=1\nexec "$@"\n')]])
  t.same(entryCandidates(two).sort(), ['/opt/a-handler', '/opt/b-handler'], 'two roots')
  two.set('README.md', file('Set AWS_LAMBDA_EXEC_WRAPPER=/opt/b-handler on the function.\n', 0o644))
  t.same(entryCandidates(two), ['/opt/b-handler'], 'the documented one')
  // A wrapper that runs the command as a child (no exec) is still the layer's wrapper.
  t.same(wrapperCandidates(new Map([['forker', file('#!/bin/sh\n"$@"\nexit $?\n')]])), ['/opt/forker'])
})
