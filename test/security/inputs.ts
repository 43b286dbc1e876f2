// Hostile inputs (issue 17): a vendor's zip (a bomb, 50,000 files, setuid bits, duplicate names, a
// FIFO), an out folder the user owns, a config that loops, exits or talks, a symlinked config, a text
// file posing as a Java agent or a .NET hook, and every config string that reaches a generated script.
// Each is a clear error (exit 1, one line naming the file) or works, within seconds and bounded
// memory, with nothing of the user's lost. The built CLI runs in a child process with its own TMPDIR.
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, ftruncateSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { scaled } from '../../src/limits/time-limit.js'
import yauzl from 'yauzl'
import yazl from 'yazl'
import { buildLayer } from '../../src/build.js'
import { openConfig } from '../../src/config/open.js'
import { renderDockerfile } from '../../src/render/dockerfile.js'
import { sandboxAvailable } from '../../src/sandbox/index.js'
import { findShells, linkShell } from '../../src/verify/shells.js'
import { agentJarProblem, startupHookProblem } from '../../src/startup-hooks/binary-check.js'
import { agentJar, startupHookAssembly } from '../fixtures/hook-binaries.js'
import { bin, childEnv, ensureBuilt, oneLine, privateTmp, snapshot, start, until, wrapgen } from '../fixtures/security.js'

t.setTimeout(scaled(240_000))
ensureBuilt()
const sandboxed = sandboxAvailable()
// Passed as a copy ({ ...x }): tap's --grep writes its skip reason into a test's options object, so
// one shared object would skip every later test that uses it.
const noSandbox = { skip: sandboxed ? false : 'bubblewrap is not usable here' }
const ESC = '\u001b'
const dir = t.testdir({ 'one.json': JSON.stringify({ name: 'one', runtimes: ['nodejs20.x'] }) })

/** A zip of `entries` (name, contents, unix mode), as yazl writes it. */
function zip(file: string, entries: ReadonlyArray<readonly [string, string | Buffer, number?]>): Promise<string> {
  const z = new yazl.ZipFile()
  for (const [name, data, mode] of entries) {
    if (name.endsWith('/')) z.addEmptyDirectory(name, { mode: mode ?? 0o40755 })
    else z.addBuffer(Buffer.from(data), name, { mode: mode ?? 0o100644 })
  }
  z.end()
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      writeFileSync(file, Buffer.concat(chunks))
      resolve(file)
    })
  })
}
const folder = (name: string, files: Record<string, string>): string => {
  const root = join(dir, name)
  mkdirSync(root, { recursive: true })
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true })
    writeFileSync(join(root, p), text)
  }
  return root
}

// ---------------------------------------------------------------------------------------------------
// compose's inputs and output.

t.test('8. compose: a zip bomb, 50,000 entries and a zip over 2 GiB are refused with the figure, fast, in bounded memory', async (t) => {
  const bomb = await zip(join(dir, 'bomb.zip'), [['big/zeros', Buffer.alloc(10_000_000)]])
  const many = await zip(join(dir, 'many.zip'), Array.from({ length: 1001 }, (_, i) => [`lib/f${i}.txt`, 'x'] as const))
  const huge = join(dir, 'huge.zip')
  const fd = openSync(huge, 'w')
  ftruncateSync(fd, 2200 * 1024 * 1024) // sparse: no disk used
  closeSync(fd)
  // Small limits for the test (the defaults are Lambda's 250 MB and 100,000 entries).
  const env = { WRAPGEN_LAYER_MAX_BYTES: '1000000', WRAPGEN_LAYER_MAX_ENTRIES: '1000' }
  const tmp = privateTmp()
  const timed = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', 'env', '-u', 'NODE_OPTIONS', process.execPath, bin, 'compose', `${bomb}=none`, '--out', join(dir, 'bomb-out')], { cwd: dir, encoding: 'utf8', env: childEnv(tmp, env) })
  t.equal(timed.status, 1, 'the bomb: exit 1')
  t.match(timed.stderr, /bomb\.zip: unpacks to more than 1,000,000 bytes \(10,000,000 so far\); Lambda refuses a function whose layers unzip to more than 250 MB/)
  const rss = Number(/maxrss=(\d+)/.exec(timed.stderr)?.[1]) * 1024
  t.ok(rss > 0 && rss < 400 * 1024 * 1024, `bounded memory: ${Math.round(rss / 1024 / 1024)} MB at most`)
  t.strictSame(readdirSync(tmp), [], 'no temp folder left')
  const m = wrapgen(['compose', `${many}=none`, '--out', join(dir, 'many-out')], { cwd: dir, env })
  t.equal(m.code, 1, '1,001 entries over a limit of 1,000: exit 1')
  t.ok(oneLine(m.err), m.err)
  t.match(m.err, /many\.zip: holds 1,001 entries, more than the 1,000 a layer may hold here/)
  t.ok(m.ms < scaled(20_000), `fast: ${m.ms} ms`)
  const h = wrapgen(['compose', `${huge}=none`, '--out', join(dir, 'huge-out')], { cwd: dir })
  t.equal(h.code, 1, 'a 2.2 GB file: exit 1 (it was 70)')
  t.ok(oneLine(h.err), h.err)
  t.match(h.err, /huge\.zip: not a readable zip/)
  for (const out of ['bomb-out', 'many-out', 'huge-out']) t.notOk(existsSync(join(dir, out, 'layer')), `${out}: nothing written`)
})

t.test('3, 14, 6. compose: setuid bits dropped from a zip; duplicate names after normalisation refused; an entry\'s name shown escaped', { ...noSandbox }, async (t) => {
  const suid = await zip(join(dir, 'suid.zip'), [['bin/tool', '#!/bin/sh\necho hi\n', 0o104755], ['bin/group', 'x', 0o102755], ['shared/', '', 0o41777]])
  const r = wrapgen(['compose', `${suid}=none`, '--config', 'one.json', '--out', join(dir, 'suid-out')], { cwd: dir })
  t.equal(r.code, 0, r.err)
  t.match(r.err, /^wrapgen: warning: suid\.zip: 3 entries with setuid, setgid or sticky bits, dropped as unzip drops them: /m)
  for (const shown of ['/opt/bin/tool (04755)', '/opt/bin/group (02755)', '/opt/shared (01777)']) t.ok(r.err.includes(shown), `names ${shown}`)
  const modes: Record<string, number> = {}
  await new Promise<void>((resolve, reject) => yauzl.open(join(dir, 'suid-out/layer.zip'), { lazyEntries: true }, (e, z) => {
    if (e || !z) return reject(e)
    z.on('entry', (entry: yauzl.Entry) => {
      modes[entry.fileName] = (entry.externalFileAttributes >>> 16) & 0o7777
      z.readEntry()
    }).on('end', resolve)
    z.readEntry()
  }))
  t.same([modes['bin/tool'], modes['bin/group'], modes['shared/']], [0o755, 0o755, 0o777], 'the composed zip holds none of them either')
  const dup = await zip(join(dir, 'dup.zip'), [['d/x', 'a'], ['d/./x', 'b'], ['d//x', 'c']])
  const d = wrapgen(['compose', `${dup}=none`, '--out', join(dir, 'dup-out')], { cwd: dir })
  t.equal(d.code, 1, 'd/x, d/./x, d//x: exit 1 (it was 70)')
  t.ok(oneLine(d.err), d.err)
  t.match(d.err, /dup\.zip: holds d\/x twice \(as "d\/x" and "d\/\.\/x"\)/)
  const painted = await zip(join(dir, 'painted.zip'), [[`a${ESC}]0;pwned${ESC}\\/x`, 'a'], [`a${ESC}]0;pwned${ESC}\\//x`, 'b']])
  const p = wrapgen(['compose', `${painted}=none`, '--out', join(dir, 'painted-out')], { cwd: dir })
  t.equal(p.code, 1)
  t.notOk(p.err.includes(ESC), 'no raw ESC in the error')
  t.match(p.err, /holds a\\u001b\]0;pwned\\u001b\/x twice/, 'the name shown escaped')
})

t.test('14. compose: a FIFO in a folder layer is one line naming it', async (t) => {
  const fifoLayer = folder('fifo-layer', { 'ok.txt': 'x' })
  spawnSync('mkfifo', [join(fifoLayer, 'pipe')])
  const r = wrapgen(['compose', `${fifoLayer}=none`, '--out', join(dir, 'fifo-out')], { cwd: dir })
  t.equal(r.code, 1)
  t.ok(oneLine(r.err), r.err)
  t.match(r.err, /fifo-layer\/pipe: not a file, folder or symlink \(a FIFO, socket or device\)/)
  t.strictSame(readdirSync(r.tmp), [], 'no temp folder left')
})

t.test('12. compose: a full disk leaves the earlier output whole and exits 1', { skip: !sandboxed && 'bubblewrap is not usable here' }, async (t) => {
  const small = folder('small-layer', { 'small/a.txt': 'small' })
  const big = folder('big-layer', {})
  writeFileSync(join(big, 'blob.bin'), randomBytes(1_200_000))
  const area = join(dir, 'disk')
  mkdirSync(area)
  const out = join(area, 'out')
  const node = `env -u NODE_OPTIONS ${process.execPath} ${bin}`
  // A 900 KB disk of its own (a tmpfs in a mount namespace): the small compose fits, the big one cannot.
  const script = `${node} compose ${small}=none --config one.json --out ${out} >/dev/null || exit 9
find ${out} -type f | sort > ${dir}/before.txt; cat ${out}/compose.json > ${dir}/before.json
${node} compose ${big}=none --config one.json --out ${out} >/dev/null 2>${dir}/err.txt; echo $? > ${dir}/code.txt
find ${out} | sort > ${dir}/after-all.txt; find ${out} -type f | sort > ${dir}/after.txt; cat ${out}/compose.json > ${dir}/after.json`
  const r = spawnSync('bwrap', ['--dev-bind', '/', '/', '--size', String(900 * 1024), '--tmpfs', area, '--', 'sh', '-c', script], { cwd: dir, encoding: 'utf8', env: childEnv(privateTmp()) })
  t.equal(r.status, 0, `the first compose fitted: ${r.stderr}`)
  t.equal(readFileSync(join(dir, 'code.txt'), 'utf8').trim(), '1', 'the second: exit 1 (it was 70)')
  const err = readFileSync(join(dir, 'err.txt'), 'utf8')
  t.ok(oneLine(err), err)
  t.match(err, /--out .*out: cannot write the layer there: no space left/)
  t.equal(readFileSync(join(dir, 'after.txt'), 'utf8'), readFileSync(join(dir, 'before.txt'), 'utf8'), 'the same files as before: no half layer beside them')
  t.equal(readFileSync(join(dir, 'after.json'), 'utf8'), readFileSync(join(dir, 'before.json'), 'utf8'), 'the earlier compose.json, whole')
  t.notMatch(readFileSync(join(dir, 'after-all.txt'), 'utf8'), /\.wrapgen-staging|\.wrapgen\.lock/, 'no staging folder or lock left')
})

t.test('13. compose: re-composing never deletes a file the user added under out/layer; --out / is refused', { ...noSandbox }, async (t) => {
  const layer = folder('plain-layer', { 'plain/a.txt': 'a' })
  const out = join(dir, 'owned-out')
  const first = wrapgen(['compose', `${layer}=none`, '--config', 'one.json', '--out', out], { cwd: dir })
  t.equal(first.code, 0, first.err)
  writeFileSync(join(out, 'layer/plain/mine.txt'), 'the user\'s')
  const before = snapshot(out)
  const again = wrapgen(['compose', `${layer}=none`, '--config', 'one.json', '--out', out], { cwd: dir })
  t.equal(again.code, 1, 'refused')
  t.ok(oneLine(again.err), again.err)
  t.match(again.err, /layer\/plain\/mine\.txt is not in the layer\.zip compose wrote beside it, so compose did not write it and will not delete it/)
  t.same(snapshot(out), before, 'the out folder untouched, the user\'s file kept')
  const root = wrapgen(['compose', `${layer}=none`, '--out', '/'], { cwd: dir })
  t.equal(root.code, 1, '--out /: exit 1')
  t.match(root.err, /--out \/: refusing to write a layer into the file system's root/)
  writeFileSync(join(out, 'compose.json'), '{"generator":"something else"}')
  const foreign = wrapgen(['compose', `${layer}=none`, '--out', out], { cwd: dir })
  t.equal(foreign.code, 1, 'a compose.json compose did not write: refused')
})

// ---------------------------------------------------------------------------------------------------
// verify's and build's inputs.

t.test('14. verify: a non-JSON layer manifest, and a compose.json with config.node: null, are one line (they were 70)', { ...noSandbox }, async (t) => {
  const layer = folder('bad-manifest', { 'wrapgen/manifest.json': 'not json {', 'wrapgen/exec': '#!/bin/sh\nexec "$@"\n' })
  const r = wrapgen(['verify', '--layer', layer, '--config', 'one.json'], { cwd: dir })
  t.equal(r.code, 1)
  t.ok(oneLine(r.err), r.err)
  t.match(r.err, /bad-manifest\/wrapgen\/manifest\.json: not a manifest wrapgen build wrote/)
  // A real composed layer, its compose.json edited by hand.
  const plain = folder('composable', { 'c/a.txt': 'a' })
  const out = join(dir, 'composed')
  t.equal(wrapgen(['compose', `${plain}=none`, '--config', 'one.json', '--out', out], { cwd: dir }).code, 0, 'composed')
  const manifest = JSON.parse(readFileSync(join(out, 'compose.json'), 'utf8')) as { config: { node: unknown } }
  manifest.config.node = null
  writeFileSync(join(out, 'compose.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  const v = wrapgen(['verify', '--layer', out], { cwd: dir })
  t.equal(v.code, 1)
  t.ok(oneLine(v.err), v.err)
  t.match(v.err, /compose\.json: config\.node is null, not an object, which wrapgen compose never writes; compose the layer again/)
  t.strictSame(readdirSync(v.tmp), [], 'no temp folder left')
})

t.test('14. build --out on a read-only file system is one line (it was 70)', { skip: !sandboxed && 'bubblewrap is not usable here' }, async (t) => {
  const ro = join(dir, 'ro')
  mkdirSync(join(ro, 'existing'), { recursive: true })
  for (const out of ['existing', 'new/deeper']) {
    const inRo = spawnSync('bwrap', ['--dev-bind', '/', '/', '--ro-bind', ro, ro, '--', 'env', '-u', 'NODE_OPTIONS', process.execPath, bin, 'build', '--config', join(dir, 'one.json'), '--out', join(ro, out)], { cwd: dir, encoding: 'utf8', env: childEnv(privateTmp()) })
    t.equal(inRo.status, 1, `--out ${out}: exit 1`)
    t.ok(oneLine(inRo.stderr), inRo.stderr)
    t.match(inRo.stderr, /cannot write the layer there: read-only file system/)
  }
})

t.test('17. a text file as a java agent or a .NET startup hook is refused at build time', async (t) => {
  writeFileSync(join(dir, 'agent.jar'), 'not a jar, just text\n')
  writeFileSync(join(dir, 'Hook.dll'), 'not an assembly\n')
  writeFileSync(join(dir, 'agent.json'), JSON.stringify({ name: 'agent', java: { agents: ['./agent.jar'] } }))
  writeFileSync(join(dir, 'hook.json'), JSON.stringify({ name: 'hook', dotnet: { startupHooks: ['./Hook.dll'] } }))
  for (const [config, message] of [['agent.json', /java\.agents\[0\]: \.\/agent\.jar is not a jar \(not a zip archive\); give an agent jar/], ['hook.json', /dotnet\.startupHooks\[0\]: \.\/Hook\.dll is not a \.NET assembly \(not a PE file: no MZ header\); give a startup hook assembly/]] as const) {
    const r = wrapgen(['build', '--config', config, '--out', join(dir, `${config}-out`)], { cwd: dir })
    t.equal(r.code, 1, `${config}: exit 1`)
    t.ok(oneLine(r.err), r.err)
    t.match(r.err, message)
    t.notOk(existsSync(join(dir, `${config}-out`, 'layer')), 'nothing built')
  }
})

t.test('17. the binary checks accept a real-shaped agent jar and startup hook, and name what is wrong with a near miss', async (t) => {
  // Without these, a check that refuses everything would pass the test above (no JDK jar tool or .NET SDK needed).
  t.equal(await agentJarProblem(await agentJar()), undefined, 'a jar whose manifest names a Premain-Class it holds')
  t.equal(startupHookProblem(startupHookAssembly()), undefined, 'an assembly with static void StartupHook.Initialize()')
  t.match(startupHookProblem(startupHookAssembly(false)), /Initialize is not "static void Initialize\(\)"/, 'an instance Initialize is refused')
  t.match(startupHookProblem(startupHookAssembly().subarray(0, 0x180)), /not a readable \.NET assembly/, 'a truncated image')
})

// ---------------------------------------------------------------------------------------------------
// Configs: code that loops, exits, rejects or prints; init through a symlink.

t.test('10. a config that waits forever, or loops, fails within its deadline, and Ctrl-C and SIGTERM still work', async (t) => {
  writeFileSync(join(dir, 'forever.config.mjs'), 'setInterval(() => {}, 1000)\nawait new Promise(() => {})\nexport default { name: "x" }\n')
  writeFileSync(join(dir, 'loop.config.mjs'), 'for (;;) {}\nexport default { name: "x" }\n')
  const env = { WRAPGEN_CONFIG_TIMEOUT_MS: '1500' }
  for (const config of ['forever.config.mjs', 'loop.config.mjs']) {
    const r = wrapgen(['print', '--runtime', 'nodejs20.x', '--config', config], { cwd: dir, env, timeout: scaled(30_000) })
    t.equal(r.code, 1, `${config}: exit 1`)
    t.ok(oneLine(r.err), r.err)
    t.match(r.err, new RegExp(`${config.replace('.', '\\.')}: did not finish loading within 1\\.5 s`))
    t.ok(r.ms < scaled(15_000), `within the deadline: ${r.ms} ms`)
  }
  // It says when its loop starts (wrapgen's signal handlers are in place by then): not a fixed wait, as on
  // a busy machine node may not even have started wrapgen after 1.5 s, and then dies of the signal itself.
  writeFileSync(join(dir, 'loop-mark.config.mjs'), "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('./looping', import.meta.url), '')\nfor (;;) {}\nexport default { name: 'x' }\n")
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    rmSync(join(dir, 'looping'), { force: true })
    const run = start(['build', '--config', 'loop-mark.config.mjs', '--out', join(dir, 'loop-out')], { cwd: dir })
    t.ok(await until(() => existsSync(join(dir, 'looping')), 60_000), 'the config\'s loop started')
    const sent = Date.now()
    run.child.kill(signal)
    const end = await run.done
    t.equal(end.code, code, `${signal} during a synchronous loop in the config: exit ${code}`)
    t.ok(Date.now() - sent < scaled(5000), 'at once')
    t.strictSame(readdirSync(run.tmp), [], 'no temp folder left')
  }
})

t.test('15, 18. a config\'s console.log never reaches stdout; process.reallyExit and an unhandled rejection fail the load', async (t) => {
  writeFileSync(join(dir, 'talks.config.mjs'), 'console.log("hello from the config")\nexport default { name: "talks" }\n')
  const j = wrapgen(['print', '--runtime', 'nodejs20.x', '--json', '--config', 'talks.config.mjs'], { cwd: dir })
  t.equal(j.code, 0, j.err)
  t.doesNotThrow(() => JSON.parse(j.out), 'stdout is JSON, whole')
  t.equal(j.err, 'hello from the config\n', 'the log went to stderr')
  writeFileSync(join(dir, 'really.config.mjs'), 'process.reallyExit(0)\nexport default { name: "x" }\n')
  writeFileSync(join(dir, 'rejects.config.mjs'), 'Promise.reject(new Error("nobody waits for me"))\nexport default { name: "x" }\n')
  for (const [config, message] of [['really.config.mjs', /really\.config\.mjs: called process\.exit\(0\) while loading/], ['rejects.config.mjs', /rejects\.config\.mjs: cannot read the config: nobody waits for me \(an unhandled rejection\)/]] as const) {
    const r = wrapgen(['build', '--config', config, '--out', join(dir, `${config}-out`)], { cwd: dir })
    t.equal(r.code, 1, `${config}: exit 1 (reallyExit(0) ended wrapgen with 0)`)
    t.ok(oneLine(r.err), r.err)
    t.match(r.err, message)
    t.notOk(existsSync(join(dir, `${config}-out`)), 'nothing built')
  }
})

t.test('16. init --force never writes through a symlink, dangling or not', async (t) => {
  const project = join(dir, 'init')
  mkdirSync(project)
  writeFileSync(join(dir, 'target.txt'), 'the target\'s own\n')
  symlinkSync(join(dir, 'target.txt'), join(project, 'wrapgen.config.ts'))
  const r = wrapgen(['init', '--force'], { cwd: project })
  t.equal(r.code, 1)
  t.ok(oneLine(r.err), r.err)
  t.match(r.err, /wrapgen\.config\.ts: is a symlink \(to .*target\.txt\); init writes a file of its own, never through a link/)
  t.equal(readFileSync(join(dir, 'target.txt'), 'utf8'), 'the target\'s own\n', 'the target untouched')
  const dangling = join(dir, 'init-dangling')
  mkdirSync(dangling)
  symlinkSync(join(dir, 'nowhere/made.ts'), join(dangling, 'wrapgen.config.ts'))
  const d = wrapgen(['init', '--force'], { cwd: dangling })
  t.equal(d.code, 1)
  t.notOk(existsSync(join(dir, 'nowhere')), 'no file made where it pointed')
  t.equal(readlinkSync(join(dangling, 'wrapgen.config.ts')), join(dir, 'nowhere/made.ts'), 'the link itself kept')
})

// ---------------------------------------------------------------------------------------------------
// Every config string that reaches a generated script, as a property.

t.test('5. no config string that reaches a generated script runs as code, and each arrives byte for byte', async (t) => {
  const canary = join(dir, 'CANARY')
  const attack = [`$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary};`, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `\ntouch ${canary}\n`, `\r\ntouch ${canary} #`, `#{\`touch ${canary}\`}`, `%x(touch ${canary})`, `\\'; touch ${canary} #`, `\\`, `'`, `"`, '${IFS}', '$HOME', '*', '?', '{{command}}', '{{name}}', '\t', '\u2028', 'é', '😀', '\u001b[2J', '}', '{']
  const piece = fc.oneof(fc.constantFrom(...attack), fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }))
  const hostile = fc.array(piece, { minLength: 1, maxLength: 5 }).map((a) => a.join('').replace(/\0/g, ''))
  // Each shell as the wrapper meets it: by the name it is linked as (bash as sh, busybox as sh).
  const shells = findShells().found.map((sh) => ({ name: sh.name, host: join(dir, 'shells', linkShell(join(dir, 'shells'), sh).slice(1)) }))
  const py = spawnSync('python3', ['--version']).status === 0
  const rb = spawnSync('ruby', ['--version']).status === 0
  let checked = 0
  await fc.assert(fc.asyncProperty(hostile, hostile, hostile, async (a, b, c) => {
    const raw = {
      name: 'prop',
      runtimes: ['nodejs20.x', 'python3.12', 'ruby3.3'],
      env: { set: { WRAPGEN_PROP_A: a } },
      node: { flags: [`--title=${b}`] },
      chain: [`/opt/${c}`],
      ruby: { preloads: [{ module: `lib${b}x`, options: { v: a, [c]: [b] } }] },
      python: { preloads: [{ module: 'json', options: { v: c, [a]: b } }] },
      customRuntime: { bootstrap: true, command: `/var/task/${a}` },
    }
    let config
    try {
      config = await openConfig({ cwd: dir, config: raw as never })
    } catch {
      return // refused by validation (a control character in the command, a value too large): nothing generated
    }
    checked++
    const built = await buildLayer(config)
    const file = (p: string): string => Buffer.from(built.files.find((f) => f.path === p)!.contents).toString('utf8')
    const root = join(dir, `prop-${checked}`)
    mkdirSync(join(root, 'wrapgen'), { recursive: true })
    for (const f of built.files) {
      mkdirSync(join(root, f.path, '..'), { recursive: true })
      writeFileSync(join(root, f.path), f.contents)
    }
    // The wrapper, under every shell: the value set arrives as is, nothing runs.
    for (const s of shells) {
      const r = spawnSync(s.host, [join(root, 'wrapgen/exec'), '/usr/bin/env', '-0'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
      const got = r.stdout.split('\0').find((kv) => kv.startsWith('WRAPGEN_PROP_A='))
      if (got !== `WRAPGEN_PROP_A=${a}`) throw new Error(`${s.name}: the wrapper gave ${JSON.stringify(got)} for ${JSON.stringify(a)} (${r.stderr})`)
    }
    // The /opt/bootstrap shim: it names the program, exactly, as not executable.
    for (const s of shells) {
      const r = spawnSync(s.host, [join(root, 'bootstrap')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
      const want = `wrapgen bootstrap: /var/task/${a} is not an executable file;`
      if (r.status !== 127 || !r.stderr.startsWith(want)) throw new Error(`${s.name}: the shim said ${JSON.stringify(r.stderr)} (exit ${r.status}) for ${JSON.stringify(a)}`)
    }
    // The runners' hook lists read back as data (never evaluated as code beyond a literal): python's is
    // the literal run.py passes to the runner's main (runners/python/run.py).
    if (py) {
      const r = spawnSync('python3', ['-c', 'import ast, json, sys\nsrc = open(sys.argv[1]).read()\nfor n in ast.parse(src).body:\n  if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Subscript) and n.value.args: print(json.dumps(ast.literal_eval(n.value.args[0])))', join(root, 'wrapgen/python/run.py')], { encoding: 'utf8' })
      const hooks = JSON.parse(r.stdout || 'null') as unknown[][]
      if (JSON.stringify(hooks?.[0]?.[2]) !== JSON.stringify({ v: c, [a]: b })) throw new Error(`run.py: ${r.stdout}${r.stderr}`)
    }
    if (rb) {
      const text = file('wrapgen/ruby/run.rb')
      const literal = /HOOKS = (\[[\s\S]*?\n *\]\.freeze)\n/.exec(text)?.[1]
      const r = spawnSync('ruby', ['-e', 'require "json"; puts JSON.generate(eval(STDIN.read))'], { input: literal ?? 'nil', encoding: 'utf8' })
      const hooks = JSON.parse(r.stdout || 'null') as unknown[][]
      if (JSON.stringify(hooks?.[0]) !== JSON.stringify([`lib${b}x`, null, { v: a, [c]: [b] }, false])) throw new Error(`run.rb: ${r.stdout}${r.stderr}`)
    }
    // build --dockerfile: every line a comment or an instruction of its own.
    const docker = renderDockerfile({ config, id: built.plan.id, layerDir: 'dist/layer', env: built.manifest.functionEnvironment })
    for (const line of docker.split('\n').filter(Boolean)) if (!/^(# |COPY |ENV )/.test(line)) throw new Error(`Dockerfile line ${JSON.stringify(line)}`)
    if (existsSync(canary)) throw new Error(`a value ran as code: ${JSON.stringify([a, b, c])}`)
  }), { numRuns: 25 })
  t.ok(checked >= 10, `${checked} valid configs checked (the others were refused by validation)`)
  t.notOk(existsSync(canary), 'nothing ran')
  writeFileSync(join(dir, 'nl.json'), JSON.stringify({ name: 'nl', customRuntime: { bootstrap: true, command: `/var/task/main\ntouch ${canary}` } }))
  const nl = wrapgen(['build', '--config', 'nl.json', '--out', join(dir, 'nl-out')], { cwd: dir })
  t.equal(nl.code, 1, 'a newline in customRuntime.command: refused')
  t.match(nl.err, /customRuntime\.command: .* holds a control character/)
})
