// What wrapgen promises around the generated wrapper (docs/reliability.md), proved on the built CLI in
// real child processes: nothing a user owns is lost, no silent success, a user's mistake is one clear
// line with exit 1 or 2, and an interrupted command leaves no process and no temp folder behind.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import yauzl from 'yauzl'
import { MAX_CONFIG_VALUES } from '../src/config/load.js'
import { scaled } from '../src/limits/time-limit.js'
import { needsRic } from './fixtures/ric.js'
import { snapshot } from './fixtures/security.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const bin = join(repo, 'dist/src/bin.js')
const isRoot = process.getuid?.() === 0
const NOBODY = 65534
// Root ignores permissions, so those tests run the CLI as nobody; that needs a checkout other users can
// read (a clone inside a mktemp -d folder, mode 0700, is not): skipped with the reason otherwise.
const nobodyReaches = isRoot && spawnSync('test', ['-r', join(repo, 'package.json')], { uid: NOBODY, gid: NOBODY }).status === 0
// Passed as a copy ({ ...x }): tap's --grep writes its skip reason into a test's options object, so
// one shared object would skip every later test that uses it.
const needsNobody = { skip: !isRoot || nobodyReaches ? false : 'running as root in a checkout other users cannot read: the permission checks need another user' }

// About 90 CLI processes: 80 s on a quiet 2-core machine, more beside other test files.
t.setTimeout(scaled(300_000))

t.before(() => {
  if (existsSync(bin)) return
  const r = spawnSync('npm', ['run', 'build'], { cwd: repo, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`)
})

/**
 * The children's environment: this one without tap's own variables. tap also adds its loader to
 * NODE_OPTIONS of every child it sees (its report cannot be written as another user, and it would
 * add its own signal handling), so children start through `env -u NODE_OPTIONS`, which execs node.
 */
const NODE = ['-u', 'NODE_OPTIONS', process.execPath]
const childEnv = (tmp: string): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(_?TAP|NODE_OPTIONS|NODE_V8_COVERAGE)/.test(k))),
  TMPDIR: tmp,
})

/** A private TMPDIR per child, so "no wrapgen-* temp folder left" can be checked exactly. */
const tmps: string[] = []
function privateTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reliability-test-tmp-'))
  chmodSync(dir, 0o777)
  tmps.push(dir)
  return dir
}
// On exit, not in a teardown: the root test's teardowns do not run before tap ends this process.
process.on('exit', () => {
  for (const dir of tmps) rmSync(dir, { recursive: true, force: true })
})

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; err: string; ms: number }

function wrapgen(args: readonly string[], opts: { cwd: string; tmp?: string; uid?: number; timeout?: number }): Run {
  const started = Date.now()
  const r: SpawnSyncReturns<string> = spawnSync('env', [...NODE, bin, ...args], {
    cwd: opts.cwd, encoding: 'utf8', timeout: scaled(opts.timeout ?? 60_000),
    env: childEnv(opts.tmp ?? privateTmp()),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  })
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr, ms: Date.now() - started }
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex')

/**
 * The output in `out` is one build's, whole: every file the manifest lists has its hash, the layer
 * holds nothing else, the layer's manifest copy is the manifest, and the zip (read with yauzl) holds the same bytes.
 * Returns the layer's name.
 */
async function wholeOutput(out: string): Promise<string> {
  const manifestText = readFileSync(join(out, 'manifest.json'), 'utf8')
  const m = JSON.parse(manifestText) as { name: string; files: Array<{ path: string; sha256: string }> }
  for (const f of m.files) if (sha(join(out, 'layer', f.path)) !== f.sha256) throw new Error(`${f.path}: not the manifest's file`)
  if (readFileSync(join(out, 'layer/wrapgen/manifest.json'), 'utf8') !== manifestText) throw new Error('the layer holds another manifest')
  const tree = Object.keys(snapshot(join(out, 'layer'))).filter((k) => !k.endsWith('/')).sort()
  const listed = [...m.files.map((f) => f.path), 'wrapgen/manifest.json'].sort()
  if (JSON.stringify(tree) !== JSON.stringify(listed)) throw new Error(`layer tree ${tree.join(',')} is not the manifest's ${listed.join(',')}`)
  const zip = await yauzl.openPromise(join(out, 'layer.zip'), { lazyEntries: true, strictFileNames: true, validateEntrySizes: true })
  const zipFiles: string[] = []
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue
      zipFiles.push(entry.fileName)
      const chunks: Buffer[] = []
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer)
      if (!Buffer.concat(chunks).equals(readFileSync(join(out, 'layer', entry.fileName)))) throw new Error(`zip's ${entry.fileName} differs from the layer's`)
    }
  } finally {
    zip.close()
  }
  if (JSON.stringify(zipFiles.sort()) !== JSON.stringify(listed)) throw new Error(`zip holds ${zipFiles.join(',')}`)
  return m.name
}

/** A pid that is certainly not running (a child that has exited). */
const deadPid = (): number => spawnSync('true').pid

const pkg = JSON.stringify({ name: 'reliability', private: true, type: 'module' })

t.test('nothing lost: build --out replaces only what wrapgen wrote', async (t) => {
  const outside = t.testdir({ 'precious.txt': 'a file the zip link points at\n' })
  const cases: Array<{ name: string; files: Record<string, unknown>; links?: Record<string, string>; out: string; err: RegExp }> = [
    { name: "--out . with the user's own layer/ folder", files: { layer: { 'notes.md': 'mine\n' } }, out: '.', err: /^wrapgen: layer exists but manifest\.json does not, so it is not wrapgen's output; move it away, or choose another --out/ },
    { name: "--out . with the user's own manifest.json", files: { 'manifest.json': '{"name":"my web app","icons":[]}\n' }, out: '.', err: /^wrapgen: manifest\.json exists and was not written by wrapgen; wrapgen replaces only its own output: move it away, or choose another --out/ },
    { name: 'a manifest.json that is not JSON', files: { 'manifest.json': 'not json' }, out: '.', err: /manifest\.json exists and was not written by wrapgen/ },
    // Guards against taking any manifest.json with wrapgen's first keys for wrapgen's: without the id
    // and config hash every wrapgen manifest carries, it is the user's, and is never replaced.
    { name: "a user's manifest.json with files and wrapgenVersion but no id or configHash", files: { 'manifest.json': `${JSON.stringify({ name: 'my-app', wrapgenVersion: '0.1.0', files: [{ path: 'wrapgen/exec' }] }, null, 2)}\n` }, out: '.', err: /^wrapgen: manifest\.json exists and was not written by wrapgen; wrapgen replaces only its own output/ },
    { name: 'a layer.zip symlink (beside a wrapgen manifest)', files: {}, links: { 'layer.zip': join(outside, 'precious.txt') }, out: '.', err: /^wrapgen: layer\.zip is a symlink; wrapgen replaces only what it wrote itself, never a link's target/ },
    { name: 'a folder where manifest.json should be', files: { out: { 'manifest.json': { 'keep.txt': 'x' } } }, out: 'out', err: /^wrapgen: out\/manifest\.json is a folder, where wrapgen writes its manifest/ },
    { name: '--out naming an existing file', files: { 'a-file': 'x' }, out: 'a-file', err: /^wrapgen: --out a-file: is a file, not a folder; choose a folder for the layer/ },
    { name: '--out below a file', files: { 'a-file': 'x' }, out: 'a-file/sub', err: /^wrapgen: --out a-file\/sub: is a file, not a folder/ },
    { name: '--out /', files: {}, out: '/', err: /^wrapgen: --out \/: refusing to write a layer into the file system's root/ },
  ]
  for (const c of cases) {
    const dir = t.testdir({ 'package.json': pkg, 'wrapgen.config.mjs': "export default { name: 'mine' }\n", ...c.files })
    if (c.name.startsWith('a layer.zip symlink')) {
      // A wrapgen manifest, so only the link itself is what is refused.
      const first = wrapgen(['build', '--out', 'x'], { cwd: dir })
      t.equal(first.code, 0, first.err)
      writeFileSync(join(dir, 'manifest.json'), readFileSync(join(dir, 'x/manifest.json')))
    }
    for (const [name, target] of Object.entries(c.links ?? {})) symlinkSync(target, join(dir, name))
    const before = snapshot(dir)
    const outsideBefore = snapshot(outside)
    const r = wrapgen(['build', '--out', c.out], { cwd: dir })
    t.equal(r.code, 1, `${c.name}: exit 1`)
    t.match(r.err, c.err, `${c.name}: says what is there and what to do`)
    t.equal(r.err.trimEnd().split('\n').length, 1, `${c.name}: one line`)
    t.same(snapshot(dir), before, `${c.name}: nothing in the project changed`)
    t.same(snapshot(outside), outsideBefore, `${c.name}: nothing outside changed`)
  }

  const dir = t.testdir({ 'package.json': pkg, 'wrapgen.config.mjs': "export default { name: 'mine' }\n" })
  t.equal(wrapgen(['build', '--out', '.'], { cwd: dir }).code, 0, '--out . with nothing in the way builds')
  t.equal(await wholeOutput(dir), 'mine')
  const again = wrapgen(['build', '--out', '.'], { cwd: dir })
  t.equal(again.code, 0, `wrapgen's own output is replaced: ${again.err}`)
  writeFileSync(join(dir, 'layer/wrapgen/added-by-hand.txt'), 'x')
  const extra = wrapgen(['build', '--out', '.'], { cwd: dir })
  t.equal(extra.code, 1)
  t.match(extra.err, /^wrapgen: layer\/wrapgen\/added-by-hand\.txt is not in manifest\.json, so wrapgen did not write it and will not delete it/)
  t.ok(existsSync(join(dir, 'layer/wrapgen/added-by-hand.txt')), 'the added file is kept')
  t.same(readdirSync(dir).filter((f) => f.startsWith('.wrapgen')), [], 'no staging folder or lock left')
})

t.test('an output folder without write permission is a user error', { ...needsNobody }, async (t) => {
  const dir = t.testdir({ 'package.json': pkg, 'wrapgen.config.mjs': "export default { name: 'mine' }\n", locked: {} })
  chmodSync(join(dir, 'locked'), 0o555)
  // root ignores permissions: run as nobody then (the project stays readable to everyone).
  const r = wrapgen(['build', '--out', 'locked/out'], { cwd: dir, ...(isRoot ? { uid: NOBODY } : {}) })
  t.equal(r.code, 1, r.err)
  t.equal(r.err, 'wrapgen: --out locked/out: cannot write the layer there: permission denied; choose a folder you can write to\n')
})

t.test('atomic: builds killed at any moment leave the old output or the new one, whole', async (t) => {
  const dir = t.testdir({
    'package.json': pkg,
    'old.config.mjs': "export default { name: 'old' }\n",
    // A preload makes the build long enough (esbuild) for kills to land in every phase.
    'new.config.mjs': "export default { name: 'new', node: { preloads: ['wrapgen/preloads/timing'] } }\n",
  })
  t.equal(wrapgen(['build', '--config', 'old.config.mjs', '--out', 'out'], { cwd: dir }).code, 0)
  const seen = new Set<string>()
  const tmp = privateTmp()
  for (let i = 0; i < 10; i++) {
    const child = spawn('env', [...NODE, bin, 'build', '--config', 'new.config.mjs', '--out', 'out'], { cwd: dir, stdio: 'ignore', env: childEnv(tmp) })
    const exited = new Promise((r) => child.once('exit', r))
    await new Promise((r) => setTimeout(r, 120 + i * 60))
    child.kill('SIGKILL')
    await exited
    const name = await wholeOutput(join(dir, 'out')).catch((e: Error) => `broken: ${e.message}`)
    t.notMatch(name, /^broken/, `kill after ${120 + i * 60} ms: a whole output`)
    seen.add(name)
  }
  t.ok([...seen].every((n) => n === 'old' || n === 'new'), `only old or new: ${[...seen].join(', ')}`)
  const last = wrapgen(['build', '--config', 'new.config.mjs', '--out', 'out'], { cwd: dir, tmp })
  t.equal(last.code, 0, last.err)
  t.equal(await wholeOutput(join(dir, 'out')), 'new')
  t.same(readdirSync(join(dir, 'out')).sort(), ['layer', 'layer.zip', 'manifest.json'], 'no staging folder or lock left')
  t.same(readdirSync(tmp), [], 'no temp folder left')
})

t.test('atomic: a build that died mid-swap is finished by the next build; a stale lock is taken over', async (t) => {
  const dir = t.testdir({ 'package.json': pkg, 'a.config.mjs': "export default { name: 'a' }\n", 'b.config.mjs': "export default { name: 'b' }\n" })
  t.equal(wrapgen(['build', '--config', 'a.config.mjs', '--out', 'a'], { cwd: dir }).code, 0)
  t.equal(wrapgen(['build', '--config', 'b.config.mjs', '--out', 'b'], { cwd: dir }).code, 0)
  // What a SIGKILL between the renames leaves: b's layer/ moved in, its zip and manifest still staged.
  const out = join(dir, 'a')
  const staging = join(out, `.wrapgen-staging-${deadPid()}-x`)
  mkdirSync(staging)
  writeFileSync(join(staging, '.commit'), '')
  for (const f of ['layer.zip', 'manifest.json']) writeFileSync(join(staging, f), readFileSync(join(dir, 'b', f)))
  rmSync(join(out, 'layer'), { recursive: true })
  cpSync(join(dir, 'b/layer'), join(out, 'layer'), { recursive: true })
  writeFileSync(join(out, '.wrapgen.lock'), `${deadPid()}\n`)
  const r = wrapgen(['build', '--config', 'a.config.mjs', '--out', 'a'], { cwd: dir })
  t.equal(r.code, 0, `the mixed state is recognised as wrapgen's: ${r.err}`)
  t.equal(await wholeOutput(out), 'a')
  t.same(readdirSync(out).sort(), ['layer', 'layer.zip', 'manifest.json'])
})

t.test('a build waits for the live build holding the lock, then writes', async (t) => {
  const dir = t.testdir({ 'package.json': pkg, 'wrapgen.config.mjs': "export default { name: 'waits' }\n", out: {} })
  // A live process stands in for a build holding the lock; it ends after 1.5 s.
  const holder = spawn('sleep', ['1.5'])
  writeFileSync(join(dir, 'out/.wrapgen.lock'), `${holder.pid}\n`)
  const tmp = privateTmp()
  const started = Date.now()
  const run = start(['build', '--out', 'out'], dir, tmp)
  await new Promise((r) => setTimeout(r, 800))
  t.notOk(existsSync(join(dir, 'out/manifest.json')), 'nothing written while the lock is held')
  const r = await run.exited
  t.equal(r.code, 0, r.err)
  t.ok(Date.now() - started >= 1400, `it waited for the holder (${Date.now() - started} ms)`)
  t.equal(await wholeOutput(join(dir, 'out')), 'waits')
  t.same(readdirSync(join(dir, 'out')).sort(), ['layer', 'layer.zip', 'manifest.json'], 'the stale lock is gone')
})

t.test('concurrent builds into one folder never mix', async (t) => {
  const names = ['one', 'two', 'three', 'four', 'five', 'six']
  // Each config finishes loading at the same moment (START_AT), so the builds reach the writer together.
  const config = (n: string): string => `await new Promise((r) => setTimeout(r, Number(process.env.START_AT) - Date.now()))\nexport default { name: '${n}' }\n`
  const dir = t.testdir({ 'package.json': pkg, ...Object.fromEntries(names.map((n) => [`${n}.config.mjs`, config(n)])) })
  const tmp = privateTmp()
  for (let round = 0; round < 2; round++) {
    const startAt = String(Date.now() + scaled(1500))
    const runs = names.map((n) => new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn('env', [...NODE, bin, 'build', '--config', `${n}.config.mjs`, '--out', 'shared'], { cwd: dir, env: { ...childEnv(tmp), START_AT: startAt } })
      let err = ''
      child.stderr.on('data', (c: Buffer) => (err += c.toString()))
      child.once('close', (code) => resolve({ code, err }))
    }))
    const results = await Promise.all(runs)
    t.same(results.map((r) => r.code), names.map(() => 0), `round ${round}: every build succeeded ${results.map((r) => r.err).join('')}`)
    const name = await wholeOutput(join(dir, 'shared'))
    t.ok(names.includes(name), `round ${round}: one build's output, whole (${name})`)
    t.same(readdirSync(join(dir, 'shared')).sort(), ['layer', 'layer.zip', 'manifest.json'], 'no staging folder or lock left')
  }
  t.same(readdirSync(tmp), [])
})

t.test('.ts configs load without writing anything, even from a read-only checkout', { ...needsNobody }, async (t) => {
  const dir = t.testdir({
    project: {
      'package.json': pkg,
      'wrapgen.config.ts': "import { defineConfig } from 'wrapgen'\nimport { flag } from './flag.ts'\nimport { createRequire } from 'node:module'\nconst req = createRequire(import.meta.url)\nconst extra: string[] = req('extra-flags')\nexport default defineConfig({ name: 'readonly', node: { flags: [flag, ...extra] } })\n",
      'flag.ts': "export const flag: string = '--enable-source-maps'\n",
      node_modules: { 'extra-flags': { 'package.json': '{"name":"extra-flags","main":"index.js"}', 'index.js': "module.exports = ['--stack-trace-limit=20']\n" } },
      'crash.config.ts': "const n: number = 1\nthrow new Error('crashed while loading ' + n)\n",
    },
    out: {},
  })
  const project = join(dir, 'project')
  chmodSync(join(dir, 'out'), 0o777)
  const readOnly = (p: string): void => {
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) readOnly(join(p, e.name))
    chmodSync(p, 0o555)
  }
  readOnly(project)
  t.teardown(() => spawnSync('chmod', ['-R', 'u+w', project]))
  if (!isRoot) t.comment('not root: the checkout is read-only by its mode')
  const as = isRoot ? { uid: NOBODY } : {}
  const before = snapshot(project)
  const r = wrapgen(['print', '--runtime', 'nodejs20.x', '--json'], { cwd: project, ...as })
  t.equal(r.code, 0, r.err)
  const p = JSON.parse(r.out) as { argvOut: string[]; added: number[] }
  t.same(p.added.map((i) => p.argvOut[i]), ['--enable-source-maps', '--stack-trace-limit=20'], 'local import and require() of a package beside the config work')
  const built = wrapgen(['build', '--out', join(dir, 'out')], { cwd: project, ...as })
  t.equal(built.code, 0, built.err)
  const crash = wrapgen(['build', '--config', 'crash.config.ts', '--out', join(dir, 'out')], { cwd: project, ...as })
  t.equal(crash.code, 1)
  t.equal(crash.err, 'wrapgen: crash.config.ts: cannot read the config: crashed while loading 1\n')
  t.same(snapshot(project), before, 'nothing written beside the config')
})

t.test('no silent success: a config that never settles or exits while loading fails every command', async (t) => {
  const configs: Record<string, [string, RegExp]> = {
    'never.config.mjs': ['await new Promise(() => {})\nexport default { name: "x" }\n', /^wrapgen: never\.config\.mjs: never finished loading: /],
    'never.config.ts': ['await new Promise<void>(() => {})\nexport default { name: "x" }\n', /^wrapgen: never\.config\.ts: never finished loading: /],
    'exit.config.mjs': ['process.exit(0)\nexport default { name: "x" }\n', /^wrapgen: exit\.config\.mjs: called process\.exit\(0\) while loading; /],
    'late-exit.config.cjs': ['setTimeout(() => process.exit(0), 5)\nmodule.exports = new Promise(() => {})\n', /^wrapgen: late-exit\.config\.cjs: (called process\.exit\(0\) while loading|its default export)/],
    'timer-exit.config.mjs': ['setTimeout(() => process.exit(0), 5)\nawait new Promise((r) => setTimeout(r, 500))\nexport default { name: "x" }\n', /^wrapgen: timer-exit\.config\.mjs: called process\.exit\(0\) while loading; /],
  }
  const dir = t.testdir({ 'package.json': pkg, ...Object.fromEntries(Object.entries(configs).map(([k, [v]]) => [k, v])) })
  for (const [file, [, err]] of Object.entries(configs)) {
    // verify for two of them: the load is the same code for every command.
    const commands = [['build', '--out', 'out'], ['print', '--runtime', 'nodejs20.x'], ...(file.startsWith('never.config.m') || file.startsWith('exit.') ? [['verify', '--runtime', 'nodejs20.x']] : [])]
    for (const args of commands) {
      const r = wrapgen([...args, '--config', file], { cwd: dir })
      t.equal(r.code, 1, `${args[0]} with ${file}: exit 1`)
      t.match(r.err, err, `${args[0]} with ${file}: names the config`)
    }
  }
  t.notOk(existsSync(join(dir, 'out')), 'nothing was built')
})

t.test('no silent success: a config timer calling process.exit after the load never reaches wrapgen (it ends with the config\'s worker)', async (t) => {
  const dir = t.testdir({
    'package.json': pkg,
    // verify takes seconds: the timer fires while it runs.
    'wrapgen.config.mjs': "setTimeout(() => process.exit(0), 300)\nexport default { name: 'late', node: { preloads: ['wrapgen/preloads/timing'] } }\n",
    'interval.config.mjs': "setInterval(() => {}, 1000)\nexport default { name: 'interval' }\n",
  })
  const r = wrapgen(['verify', '--runtime', 'nodejs20.x'], { cwd: dir })
  t.equal(r.code, 0, 'verify finished its work and reported it')
  t.match(r.out, /^PASS: /m, 'its report is whole')
  t.notMatch(r.err, /process\.exit/, 'the timer never fired in wrapgen')
  // A handle the config leaves open does not keep wrapgen running once its work is done.
  const open = wrapgen(['print', '--runtime', 'nodejs20.x', '--json', '--config', 'interval.config.mjs'], { cwd: dir, timeout: 20_000 })
  t.equal(open.code, 0, open.err)
  t.equal(open.signal, null, 'ended by itself, not by the timeout')
  t.equal((JSON.parse(open.out) as { runtime: string }).runtime, 'nodejs20.x', 'its output is whole')
})

t.test('user mistakes are one clear line, exit 1 or 2, never 70', async (t) => {
  const bomb = ['name: bomb', 'a0: &a0 [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`), 'node: { flags: *a8 }', ''].join('\n')
  // Every command, not build only (`cmd`; build when not given).
  const vendor = { wrapper: '#!/bin/sh\nexec "$@"\n' }
  const cases: Array<{ name: string; files: Record<string, unknown>; args?: string[]; cmd?: string[]; code: number; err: RegExp }> = [
    { name: 'malformed JSON in package.json', files: { 'package.json': '{ "name": ' }, code: 1, err: /^wrapgen: package\.json:1:11: cannot read the config: Unexpected end of file in JSON\n$/ },
    { name: 'a YAML alias bomb', files: { '.wrapgenrc.yaml': bomb }, code: 1, err: new RegExp(`^wrapgen: \\.wrapgenrc\\.yaml: the config holds more than ${MAX_CONFIG_VALUES} values`) },
    { name: 'a config over 1 MiB', files: { '.wrapgenrc.json': `{"name":"big","x":"${'a'.repeat(1024 * 1024)}"}` }, code: 1, err: /^wrapgen: \.wrapgenrc\.json: 1\.0 MiB is too large for a config \(at most 1 MiB\)\n$/ },
    { name: 'a syntax error in an .mjs config', files: { 'wrapgen.config.mjs': "export default {\n  name: 'x',\n  oops oops\n}\n" }, code: 1, err: /^wrapgen: wrapgen\.config\.mjs:3:8: syntax error: Unexpected identifier 'oops'\n$/ },
    { name: 'a syntax error in a .cjs config', files: { 'wrapgen.config.cjs': 'module.exports = {\n  name: "x",,\n}\n' }, code: 1, err: /^wrapgen: wrapgen\.config\.cjs:2:13: syntax error: / },
    { name: 'throw "text" at import', files: { 'wrapgen.config.mjs': 'throw "text"\n' }, code: 1, err: /^wrapgen: wrapgen\.config\.mjs: cannot read the config: threw "text"\n$/ },
    { name: 'export default null', files: { 'wrapgen.config.mjs': 'export default null\n' }, code: 1, err: /^wrapgen: wrapgen\.config\.mjs: its default export is null; export the config object: export default defineConfig/ },
    { name: 'named exports only', files: { 'wrapgen.config.mjs': "export const name = 'x'\nexport const node = {}\n" }, code: 1, err: /^wrapgen: wrapgen\.config\.mjs: has no default export \(only name, node\); write: export default defineConfig/ },
    { name: 'a JSON.parse error in config code is not a "syntax error"', files: { 'wrapgen.config.mjs': "export default JSON.parse('{')\n" }, code: 1, err: /^wrapgen: wrapgen\.config\.mjs: cannot read the config: .*JSON/ },
    { name: 'a .ts config importing a package that is not installed', files: { 'wrapgen.config.ts': "import x from 'not-installed-anywhere'\nexport default x\n" }, code: 1, err: /^wrapgen: wrapgen\.config\.ts:1: Could not resolve "not-installed-anywhere"\n$/ },
    { name: '--config naming a folder', files: { 'wrapgen.config.mjs': "export default { name: 'x' }\n" }, args: ['--config', '.'], code: 1, err: /^wrapgen: \.: is a folder; --config takes the config file itself\n$/ },
    { name: 'an empty --config file', files: { 'empty.json': '' }, args: ['--config', 'empty.json'], code: 1, err: /^wrapgen: empty\.json: the file is empty/ },
    { name: 'an unknown option', files: {}, args: ['--outt', 'x'], code: 2, err: /^wrapgen: build: unknown option --outt; did you mean --out\? \(see wrapgen build --help\)\nUsage: wrapgen build \[/ },
    { name: 'a stray argument', files: {}, args: ['dist'], code: 2, err: /^wrapgen: build: unexpected argument "dist"; it takes options only/ },
    // Guards against compose writing into --out without first checking that it is a folder: the
    // file system's ENOTDIR would surface as exit 70, "a bug in wrapgen".
    { name: 'compose --out naming an existing file', files: { 'a-file': 'x', vendor }, cmd: ['compose', 'vendor', '--out', 'a-file'], code: 1, err: /^wrapgen: --out a-file: is a file, not a folder; give a new or empty folder\n$/ },
    { name: 'compose --out below a file', files: { 'a-file': 'x', vendor }, cmd: ['compose', 'vendor', '--out', 'a-file/sub'], code: 1, err: /^wrapgen: --out a-file\/sub: a-file is a file, not a folder; give a new or empty folder\n$/ },
    { name: 'compose of a layer that is not there', files: {}, cmd: ['compose', 'nope.zip', '--out', 'out'], code: 2, err: /^wrapgen: nope\.zip: no such layer zip or folder/ },
    { name: 'verify --wrapper naming no file', files: {}, cmd: ['verify', '--wrapper', 'nope.sh'], code: 1, err: /^wrapgen: \S*nope\.sh: no such wrapper file; check --wrapper\n$/ },
    { name: 'verify --layer naming a file', files: { 'a-file': 'x', 'wrapgen.config.mjs': "export default { name: 'x' }\n" }, cmd: ['verify', '--layer', 'a-file'], code: 1, err: /^wrapgen: \S*a-file: no wrapgen\/manifest\.json here/ },
    { name: 'invoke --task naming no folder', files: { 'wrapgen.config.mjs': "export default { name: 'x' }\n" }, cmd: ['invoke', '--runtime', 'nodejs20.x', '--task', 'nope'], code: 1, err: /^wrapgen: --task \S*nope: not a folder; give the folder holding the function's code/ },
    { name: 'print --runtime naming no runtime', files: { 'wrapgen.config.mjs': "export default { name: 'x' }\n" }, cmd: ['print', '--runtime', 'nope'], code: 2, err: /^wrapgen: --runtime nope: no such runtime; known: / },
    { name: 'init --name that is not a layer name', files: {}, cmd: ['init', '--name', 'A B'], code: 2, err: /^wrapgen: --name: "A B" must be 1-64 lowercase letters/ },
    { name: 'a misspelt command', files: {}, cmd: ['biuld'], code: 2, err: /^wrapgen: unknown command "biuld"; did you mean "build"\?/ },
  ]
  for (const c of cases) {
    const dir = t.testdir({ 'package.json': pkg, ...c.files })
    const r = wrapgen(c.cmd ?? ['build', ...(c.args ?? [])], { cwd: dir, timeout: 20_000 })
    t.equal(r.code, c.code, `${c.name}: exit ${c.code}`)
    t.match(r.err, c.err, c.name)
    t.ok(r.err.length < 400, `${c.name}: short (${r.err.length} chars)`)
    t.equal(r.err.trimEnd().split('\nUsage:')[0]!.split('\n').length, 1, `${c.name}: one line (a usage error may add the usage after it)`)
    t.notMatch(r.err, /internal error|    at /, `${c.name}: no "bug in wrapgen", no stack`)
    t.ok(r.ms < scaled(10_000), `${c.name}: fails fast (${r.ms} ms)`)
  }
})

t.test('init --name never writes a config that fails to build', async (t) => {
  const dir = t.testdir({ 'Bad Name!': {}, ok: {}, out: {} })
  const bad = wrapgen(['init', '--name', 'My Layer'], { cwd: join(dir, 'ok') })
  t.equal(bad.code, 2)
  t.equal(bad.err, 'wrapgen: --name: "My Layer" must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit\n')
  t.notOk(existsSync(join(dir, 'ok/wrapgen.config.ts')), 'nothing written')
  // A folder name that is not a valid layer name is normalised.
  const folder = join(dir, 'Bad Name!')
  t.equal(wrapgen(['init'], { cwd: folder }).code, 0)
  t.match(readFileSync(join(folder, 'wrapgen.config.ts'), 'utf8'), "name: 'bad-name-'")
  const built = wrapgen(['build', '--out', join(dir, 'out')], { cwd: folder })
  t.equal(built.code, 0, built.err)
})

/** Processes whose command line mentions `needle` (the private TMPDIR: every path of an invoke run). */
function processesWith(needle: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return ps.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'))
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + scaled(ms)
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function start(args: string[], cwd: string, tmp: string): { exited: Promise<{ code: number | null; err: string }>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn('env', [...NODE, bin, ...args], { cwd, env: childEnv(tmp) })
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  child.stdout.resume()
  return { exited: new Promise((r) => child.once('close', (code) => r({ code, err }))), kill: (s) => void child.kill(s) }
}

t.test('interrupted: Ctrl-C during a path-mapped invoke leaves no process and no temp folder', { ...needsRic }, async (t) => {
  const dir = t.testdir({ 'package.json': pkg, 'wrapgen.config.mjs': "export default { name: 'sig', node: { preloads: ['wrapgen/preloads/timing'] } }\n" })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const tmp = privateTmp()
    const run = start(['invoke', '--mode', 'path-mapped', '--unsafe-host', '--task', join(repo, 'test/fixtures/invoke/slow'), '--timeout', '60'], dir, tmp)
    // The function (bootstrap, wrapper, node) runs from the invoke's temp layout, under our TMPDIR.
    await until('the function to start', () => processesWith(tmp).some((l) => l.includes('index.mjs')))
    await new Promise((r) => setTimeout(r, 300))
    t.ok(readdirSync(tmp).some((f) => f.startsWith('wrapgen-invoke')), 'its temp folders exist while it runs')
    run.kill(signal)
    const r = await run.exited
    t.equal(r.code, code, `${signal}: exit ${code}`)
    t.match(r.err, `wrapgen: interrupted (${signal}); its processes are stopped and its temp folders removed\n`)
    await until('the function to be gone', () => processesWith(tmp).length === 0, 5000).catch(() => undefined)
    t.same(processesWith(tmp), [], `${signal}: no process left`)
    t.same(readdirSync(tmp), [], `${signal}: no wrapgen-* temp folder left`)
  }
})

t.test('interrupted: a build stopped while loading its config leaves the old output whole', async (t) => {
  const dir = t.testdir({
    'package.json': pkg,
    'fast.config.mjs': "export default { name: 'fast' }\n",
    // It says when it has started loading (wrapgen's signal handlers are in place by then), then waits.
    'slow.config.ts': "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL(`./loading-${process.pid}`, import.meta.url), '')\nawait new Promise<void>((r) => setTimeout(r, 600_000))\nexport default { name: 'slow' }\n",
  })
  const loading = (): string[] => readdirSync(dir).filter((f) => f.startsWith('loading-'))
  t.equal(wrapgen(['build', '--config', 'fast.config.mjs', '--out', 'out'], { cwd: dir }).code, 0)
  const before = snapshot(join(dir, 'out'))
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const tmp = privateTmp()
    const run = start(['build', '--config', 'slow.config.ts', '--out', 'out'], dir, tmp)
    // Not a fixed wait: on a busy machine node may not even have started wrapgen after 1.5 s.
    await until('the config to be loading', () => loading().length > 0, 120_000)
    for (const f of loading()) rmSync(join(dir, f))
    run.kill(signal)
    const r = await run.exited
    t.equal(r.code, code, `${signal}: exit ${code}`)
    t.same(snapshot(join(dir, 'out')), before, `${signal}: the old output is untouched`)
    t.same(readdirSync(tmp), [], `${signal}: no temp folder left`)
  }
  t.equal(await wholeOutput(join(dir, 'out')), 'fast')
})
