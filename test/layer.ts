// The built layer: deterministic bytes, a zip that keeps modes, a manifest that matches the files, the
// bundle's target and externals, and a generated wrapper that shellcheck passes and sh runs byte-exactly.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Readable } from 'node:stream'
import t from 'tap'
import yauzl from 'yauzl'
import { build as apiBuild } from '../src/api.js'
import { buildLayer, type BuildResult } from '../src/build.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { UserError } from '../src/errors.js'
import { writeLayer } from '../src/layer/write.js'
import type { Manifest } from '../src/render/manifest.js'
import { version } from '../src/version.js'
import { scaled } from '../src/limits/time-limit.js'
import { ensureBuilt, wrapgen } from './fixtures/security.js'

const repo = fileURLToPath(new URL('..', import.meta.url))

const dir = t.testdir({
  'package.json': JSON.stringify({ name: 'layer-fixture', private: true, type: 'commonjs' }),
  hooks: {
    'banner.cjs': "module.exports = (options, ctx) => ctx.log('hello', options)\n",
    's3.ts': "import { S3Client } from '@aws-sdk/client-s3'\nexport default () => { (globalThis as any).s3 = new S3Client({}) }\n",
  },
  echo: {
    // Reports what it received (argv flags and the environment) as JSON on stdout.
    'report.cjs': 'process.stdout.write(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2), env: process.env }))\n',
  },
})

const BASE: WrapgenConfig = {
  name: 'layer-test',
  runtimes: ['nodejs20.x', 'nodejs22.x', 'python3.12'],
  env: { default: { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' } },
  node: { flags: ['--enable-source-maps'], preloads: ['wrapgen/preloads/timing', { module: './hooks/banner.cjs', options: { a: 1 } }] },
  python: { flags: ['-X', 'importtime'] },
}

// The wrapper's part for each family (exec sources it): BASE's top-level env edit gives every family one.
const PARTS = ['dotnet', 'java', 'node', 'python', 'ruby'].map((f) => `wrapgen/exec-${f}.sh`)

const build = async (config: WrapgenConfig, cwd = dir): Promise<BuildResult> => buildLayer(await openConfig({ cwd, config }))

let outs = 0
const write = (result: BuildResult): { out: string; layerDir: string; zip: string; manifest: string } => {
  const out = join(dir, `out-${++outs}`)
  return { out, ...writeLayer(result, out) }
}

/** Every file under `root`, relative, sorted, with its bytes and mode. */
function tree(root: string): Array<{ path: string; mode: number; bytes: Buffer }> {
  const files: Array<{ path: string; mode: number; bytes: Buffer }> = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else files.push({ path: relative(root, p), mode: st.mode, bytes: readFileSync(p) })
    }
  }
  walk(root)
  return files
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function readStream(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function unzip(file: string): Promise<{ comment: string; entries: Array<{ entry: yauzl.Entry; bytes: Buffer }> }> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true })
  const entries: Array<{ entry: yauzl.Entry; bytes: Buffer }> = []
  for await (const entry of zip.eachEntry()) entries.push({ entry, bytes: await readStream(await zip.openReadStreamPromise(entry)) })
  zip.close()
  return { comment: zip.comment, entries }
}

t.test('two builds of one config are byte-identical, on disk and in the zip', async (t) => {
  const a = write(await build(BASE))
  const b = write(await build(BASE))
  t.ok(readFileSync(a.zip).equals(readFileSync(b.zip)), 'layer.zip identical')
  t.equal(readFileSync(a.manifest, 'utf8'), readFileSync(b.manifest, 'utf8'), 'manifest.json identical')
  t.same(tree(a.layerDir), tree(b.layerDir), 'layer/ identical, modes included')
  // A rebuild over an existing output, touching nothing in between.
  const again = writeLayer(await build(BASE), a.out)
  t.ok(readFileSync(again.zip).equals(readFileSync(b.zip)), 'a rebuild in place gives the same zip')
  t.same(tree(a.layerDir), tree(b.layerDir))
})

t.test('the zip: sorted entries, unix modes, fixed timestamps, comment; the tree on disk agrees', async (t) => {
  const result = await build(BASE)
  const w = write(result)
  const { comment, entries } = await unzip(w.zip)
  const names = entries.map((e) => e.entry.fileName)
  t.same(names, ['wrapgen/exec', ...PARTS, 'wrapgen/manifest.json', 'wrapgen/preload-rare.cjs', 'wrapgen/preload.cjs'], 'entries, sorted, files only')
  t.same(names, [...names].sort(), 'sorted')
  t.equal(comment, `${result.plan.id} (wrapgen ${version()})`, 'the comment names the layer id and wrapgen version')
  for (const { entry, bytes } of entries) {
    const name = entry.fileName
    const want = name === 'wrapgen/exec' ? 0o100755 : 0o100644
    t.equal(entry.externalFileAttributes >>> 16, want, `${name}: mode ${want.toString(8)}`)
    t.equal(entry.versionMadeBy >>> 8, 3, `${name}: made by unix, so modes are honoured`)
    t.equal(entry.lastModFileDate, (0 << 9) | (1 << 5) | 1, `${name}: DOS date 1980-01-01`)
    t.equal(entry.lastModFileTime, 0, `${name}: DOS time 00:00:00`)
    t.same(entry.extraFields.filter((f) => f.id === 0x5455), [], `${name}: no extended timestamp field`)
    t.ok(bytes.equals(readFileSync(join(w.layerDir, name))), `${name}: same bytes as layer/${name}`)
    t.equal(statSync(join(w.layerDir, name)).mode, want, `layer/${name} on disk: mode ${want.toString(8)}`)
  }
  t.same(tree(w.layerDir).map((f) => f.path), names, 'the tree holds exactly the zip entries')
})

// Guards against a zip timestamp that depends on the zone: DOS dates have none and yazl writes local
// fields, so the fixed time must be 1980-01-01 00:00 in local time. Taken as UTC, it is 05:45 in
// Kathmandu, and the zip differs from one built in UTC; in New York it is 1979-12-31 19:00, which
// yazl clamps to 1980-01-01 00:00, so a zone east of UTC is what catches it.
t.test('build and compose under a non-UTC TZ: DOS dates 1980-01-01 00:00, zips byte-identical to UTC\'s', async (t) => {
  ensureBuilt()
  const work = t.testdir({
    'package.json': JSON.stringify({ name: 'tz-fixture', private: true }),
    'wrapgen.config.mjs': "export default { name: 'tz', runtimes: ['nodejs20.x'], node: { preloads: ['./hook.cjs'] } }\n",
    'hook.cjs': 'module.exports = () => {}\n',
    vendor: { tool: { 'run.js': 'console.log(1)\n' }, 'README.md': 'a vendor layer\n' },
  })
  const zips: Record<string, Buffer> = {}
  for (const tz of ['UTC', 'America/New_York', 'Asia/Kathmandu']) {
    for (const [what, args] of [['build', ['build', '--out', `build-${tz.replace('/', '-')}`]], ['compose', ['compose', 'vendor=none', '--out', `compose-${tz.replace('/', '-')}`]]] as const) {
      const r = wrapgen(args, { cwd: work, env: { TZ: tz } })
      t.equal(r.code, 0, `${what} under TZ=${tz}: ${r.err}`)
      const zip = join(work, args[args.length - 1]!, 'layer.zip')
      zips[`${what} ${tz}`] = readFileSync(zip)
      const { entries } = await unzip(zip)
      t.ok(entries.length > 1, `${what} under TZ=${tz}: ${entries.length} entries`)
      const dates = [...new Set(entries.map((e) => `${e.entry.lastModFileDate}/${e.entry.lastModFileTime}`))]
      t.same(dates, [`${(0 << 9) | (1 << 5) | 1}/0`], `${what} under TZ=${tz}: every entry dated 1980-01-01 00:00:00`)
    }
  }
  for (const tz of ['America/New_York', 'Asia/Kathmandu']) {
    for (const what of ['build', 'compose']) t.ok(zips[`${what} ${tz}`]!.equals(zips[`${what} UTC`]!), `${what}: the zip under TZ=${tz} is the UTC one, byte for byte`)
  }
})

t.test('the manifest matches the files and says how to attach the layer', async (t) => {
  const result = await build(BASE)
  const w = write(result)
  const inLayer = readFileSync(join(w.layerDir, 'wrapgen/manifest.json'), 'utf8')
  t.equal(readFileSync(w.manifest, 'utf8'), inLayer, 'the manifest in the layer and beside it are identical')
  const m = JSON.parse(inLayer) as Manifest
  t.same(m, result.manifest)
  t.equal(m.functionEnvironment.AWS_LAMBDA_EXEC_WRAPPER, '/opt/wrapgen/exec')
  t.equal(m.wrapper, '/opt/wrapgen/exec')
  t.equal(m.preload, '/opt/wrapgen/preload.cjs')
  t.equal(m.id, result.plan.id)
  t.match(m.id, /^layer-test@[0-9a-f]{12}$/)
  t.equal(m.configHash.slice(0, 12), m.id.split('@')[1], 'the id carries the config hash')
  t.equal(m.wrapgenVersion, version())
  t.same(m.files.map((f) => f.path), ['wrapgen/exec', ...PARTS, 'wrapgen/preload-rare.cjs', 'wrapgen/preload.cjs'], 'every file but the manifest itself')
  for (const f of m.files) {
    const bytes = readFileSync(join(w.layerDir, f.path))
    t.equal(f.size, bytes.byteLength, `${f.path}: size`)
    t.equal(f.sha256, sha256(bytes), `${f.path}: sha256`)
    t.equal(f.mode, f.path === 'wrapgen/exec' ? '0755' : '0644', `${f.path}: mode`)
  }
  t.equal(m.bundle?.bytes, statSync(join(w.layerDir, 'wrapgen/preload.cjs')).size)
  t.same(m.bundle?.external, ['@aws-sdk/*'])
  t.ok(m.bundle?.inputs.some((i) => i.path === 'hooks/banner.cjs'), 'local inputs relative to the config folder')
  t.notOk(m.bundle?.inputs.some((i) => i.path.startsWith('/')), 'no absolute paths in the inputs')
  t.notOk(inLayer.includes(dir), 'no build-machine path anywhere in the manifest')
})

t.test('the bundle targets the oldest configured node runtime', async (t) => {
  const target = async (runtimes: WrapgenConfig['runtimes']): Promise<string | undefined> => (await build({ ...BASE, runtimes })).manifest.bundle?.target
  t.equal(await target(['nodejs18.x', 'nodejs22.x', 'python3.12']), 'node18')
  t.equal(await target(['nodejs22.x']), 'node22')
  t.equal(await target(['nodejs24.x', 'nodejs20.x']), 'node20')
  t.equal(await target(['python3.12']), 'node18', 'no node runtime: node18')
})

t.test('@aws-sdk/* stays external: a hook importing it builds without it installed', async (t) => {
  t.throws(() => execFileSync(process.execPath, ['-e', "require.resolve('@aws-sdk/client-s3')"], { cwd: dir, stdio: 'pipe' }), 'not installed here')
  const result = await build({ ...BASE, node: { preloads: ['./hooks/s3.ts'] } })
  const code = Buffer.from(result.bundle!.code).toString('utf8')
  t.match(code, 'require("@aws-sdk/client-s3")', 'left as a require for the runtime to resolve')
  t.notOk(result.manifest.bundle?.inputs.some((i) => i.path.includes('aws-sdk')), 'not among the bundle inputs')
})

t.test('no preloads: no preload file and preload: null', async (t) => {
  const result = await build({ ...BASE, node: { flags: ['--enable-source-maps'] } })
  const w = write(result)
  t.same(result.files.map((f) => f.path), ['wrapgen/exec', ...PARTS, 'wrapgen/manifest.json'])
  t.notOk(existsSync(join(w.layerDir, 'wrapgen/preload.cjs')))
  t.notOk(existsSync(join(w.layerDir, 'wrapgen/preload-rare.cjs')), 'nor the runner\'s rare paths')
  t.equal(result.manifest.preload, null)
  t.equal(result.manifest.bundle, null)
  t.equal(result.bundle, undefined)
  for (const f of ['exec', ...PARTS.map((p) => p.slice('wrapgen/'.length))]) t.notOk(readFileSync(join(w.layerDir, 'wrapgen', f), 'utf8').includes('preload.cjs'), `${f} never mentions one`)
  t.same((await unzip(w.zip)).entries.map((e) => e.entry.fileName), ['wrapgen/exec', ...PARTS, 'wrapgen/manifest.json'])
})

t.test('a preload that cannot be resolved is a UserError naming its key path', async (t) => {
  for (const [preloads, index] of [
    [['./hooks/banner.cjs', './hooks/missing.cjs'], 1],
    [['wrapgen/preloads/timing', './hooks/banner.cjs', 'no-such-package/hook'], 2],
  ] as const) {
    const err = await build({ ...BASE, node: { preloads: [...preloads] } }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(err, UserError, `${preloads.at(-1)}: a UserError`)
    const details = (err as UserError).details
    t.ok(details.some((d) => d.startsWith(`node.preloads[${index}].module: `)), `names node.preloads[${index}].module: ${JSON.stringify(details)}`)
    t.ok(details.some((d) => d.includes(JSON.stringify(preloads[index]))), 'and the module as written')
  }
  const err = await build({ ...BASE, node: { preloads: ['wrapgen/preloads/nope'] } }).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.type(err, UserError, 'an unknown built-in too')
  t.match((err as UserError).details.join('\n'), /wrapgen\/preloads\/timing/, 'listing the built-ins')
})

t.test('a preload that is a folder, or that wrapgen may not read, is said to be so', async (t) => {
  const d = t.testdir({ 'package.json': '{}', hooks: { 'a-folder': { 'index.cjs': 'module.exports = () => {}\n' }, 'locked.cjs': 'module.exports = () => {}\n' } })
  const err = await build({ name: 'folder', node: { preloads: ['./hooks/a-folder'] } }, d).then(() => undefined, (e: unknown) => e)
  t.type(err, UserError, 'a folder: a UserError')
  t.same((err as UserError).details, ['node.preloads[0].module: "./hooks/a-folder" is a folder; name the hook\'s file in it, e.g. "./hooks/a-folder/index.ts"'])
  // Unreadable: root reads anything, so the build runs as nobody (setpriv), on the compiled code.
  const setpriv = '/usr/bin/setpriv'
  const dist = join(repo, 'dist/src/build.js')
  if (process.getuid?.() !== 0 || !existsSync(setpriv) || !existsSync(dist)) return void t.pass('skipped: needs root, setpriv and a built dist/')
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]
  if (spawnSync(setpriv, [...asNobody, '-e', `require('fs').accessSync(${JSON.stringify(dist)}); require('fs').accessSync(${JSON.stringify(join(d, 'package.json'))})`]).status !== 0)
    return void t.pass('skipped: user nobody cannot read this checkout')
  chmodSync(join(d, 'hooks/locked.cjs'), 0o000)
  const script = `import { openConfig } from ${JSON.stringify(join(repo, 'dist/src/config/open.js'))}
import { buildLayer } from ${JSON.stringify(dist)}
try { await buildLayer(await openConfig({ cwd: process.argv[1], config: { name: 'locked', node: { preloads: ['./hooks/locked.cjs'] } } })); console.log('built') }
catch (e) { console.log(JSON.stringify({ message: e.message, details: e.details })) }`
  const r = spawnSync(setpriv, [...asNobody, '--input-type=module', '-e', script, d], { encoding: 'utf8', timeout: scaled(30_000) })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), {
    message: 'cannot bundle the preload (1 problem); fix and run again',
    details: ['node.preloads[0].module: "./hooks/locked.cjs" exists but is not readable (permission denied); give the user running wrapgen read access'],
  }, 'unreadable, not missing')
})

// Values meant to break quoting: quotes, $, backticks, backslashes, newlines, globs, leading dashes.
const NASTY = ["it's", 'say "hi"', '$HOME and ${PATH}', '`id` $(id)', 'back\\slash\\n', 'line1\nline2', '*', '?[a]*', '~', ' spaced  out ', '!bang', ';&|<>']

const NASTY_CONFIG: WrapgenConfig = {
  name: 'nasty',
  env: { set: Object.fromEntries(NASTY.map((v, i) => [`NASTY_${i}`, v])), default: { NASTY_DEF: NASTY.join('|') }, prepend: { PATH: "/opt/it's $x" }, append: { NODE_PATH: '/opt/`b`\n*' } },
  node: { flags: ['--title', NASTY.join(' '), '--no-deprecation'], preloads: ['./hooks/banner.cjs'] },
  python: { flags: ['-W', "ignore:it's $x `y` *:DeprecationWarning"] },
}

const CONFIGS: Record<string, () => Promise<BuildResult>> = {
  'examples/basic': async () => buildLayer(await openConfig({ cwd: join(repo, 'examples/basic') })),
  'examples/service': async () => buildLayer(await openConfig({ cwd: join(repo, 'examples/service') })),
  'every env op': () =>
    build({
      name: 'env-ops',
      env: { set: { A_SET: 'x' }, default: { A_DEF: 'y' }, prepend: { PATH: '/opt/bin' }, append: { LD_LIBRARY_PATH: '/opt/lib' }, unset: ['A_GONE'] },
      node: { env: { set: { N_SET: '1' }, prepend: { NODE_OPTIONS: '--no-deprecation' }, append: { NODE_PATH: '/opt/n' }, unset: ['N_GONE'], default: { N_DEF: '2' } }, preloads: ['./hooks/banner.cjs'] },
      python: { env: { default: { PYTHONDONTWRITEBYTECODE: '1' }, append: { PYTHONWARNINGS: 'ignore' } } },
      java: { env: { prepend: { JAVA_TOOL_OPTIONS: '-Xshare:auto' } } },
      dotnet: { env: { append: { DOTNET_STARTUP_HOOKS: '/opt/hook.dll' } } },
      ruby: { env: { prepend: { RUBYOPT: '-W0' } } },
    }),
  'NODE_OPTIONS injection': () => build({ name: 'inject', node: { inject: 'NODE_OPTIONS', flags: ['--enable-source-maps'], preloads: ['./hooks/banner.cjs'] } }),
  chain: () => build({ name: 'chained', chain: ['/opt/otel-handler', '/opt/second wrapper'], node: { flags: ['--enable-source-maps'] } }),
  'failMode closed': () => build({ name: 'closed', failMode: 'closed', chain: ['/opt/otel-handler'], node: { preloads: ['./hooks/banner.cjs'] } }),
  adversarial: () => build({ ...NASTY_CONFIG, failMode: 'closed', chain: ["/opt/it's $dir/`x`/*", '/opt/new\nline'] }),
  // A value ending in a backslash once rendered as 'x\' (shellcheck SC1003).
  'values ending in backslashes': () =>
    build({
      name: 'backslashes',
      env: { set: { ENDS_ONE: 'one\\', ENDS_TWO: 'two\\\\', ONLY: '\\', MULTI: 'a\\\nb\\' }, prepend: { PATH: '/opt/x\\' }, append: { ACME_LIST: 'y\\' } },
      node: { inject: 'NODE_OPTIONS', flags: ['--title=a b\\'], preloads: ['./hooks/banner.cjs'] },
      java: { flags: ['-Dx=a\\'] },
      python: { flags: ['-X', 'b\\'] },
    }),
}

/** Findings the generator is known to produce; each check still runs, as a tap todo, until it is fixed. */
const KNOWN_FINDINGS: Record<string, string> = {}

const shellcheck = '/usr/bin/shellcheck'
t.test('shellcheck finds nothing in the generated wrapper', { skip: existsSync(shellcheck) ? false : `shellcheck is not installed at ${shellcheck}` }, async (t) => {
  for (const [name, make] of Object.entries(CONFIGS)) {
    const w = write(await make())
    const exec = join(w.layerDir, 'wrapgen/exec')
    const r = spawnSync(shellcheck, ['--norc', '--shell=sh', '--severity=style', '--format=gcc', exec], { encoding: 'utf8' })
    const todo = KNOWN_FINDINGS[name] ? { todo: KNOWN_FINDINGS[name] } : {}
    t.equal(r.status, 0, `${name}: shellcheck exit 0`, todo)
    t.equal(r.stdout + r.stderr, '', `${name}: no findings`, todo)
    t.equal(spawnSync('sh', ['-n', exec]).status, 0, `${name}: sh -n parses it`)
  }
})

t.test('adversarial values reach the process byte for byte', async (t) => {
  const w = write(await build(NASTY_CONFIG))
  const exec = join(w.layerDir, 'wrapgen/exec')
  const report = join(dir, 'echo/report.cjs')
  // The shell in front drops the loader tap adds to every child's NODE_OPTIONS.
  const r = spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'sh', exec, process.execPath, report, 'arg with space', '*'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_PATH: '/x' },
    cwd: dir,
  })
  t.equal(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { execArgv: string[]; argv: string[]; env: Record<string, string> }
  // Values with a newline included: the renderer writes them as "$wrapgen_nl", never a raw line break.
  NASTY.forEach((v, i) => t.equal(got.env[`NASTY_${i}`], v, `NASTY_${i} = ${JSON.stringify(v)}`))
  t.equal(got.env.NASTY_DEF, NASTY.join('|'), 'NASTY_DEF')
  t.ok(got.env.PATH?.startsWith("/opt/it's $x:"), 'PATH prepended literally')
  t.equal(got.env.NODE_PATH, '/x:/opt/`b`\n*', 'NODE_PATH appended literally')
  t.same(got.execArgv, ['--title', NASTY.join(' '), '--no-deprecation', '--require', join(w.layerDir, 'wrapgen/preload.cjs')], 'flags inserted byte for byte')
  t.same(got.argv, ['arg with space', '*'], "the function's own arguments untouched")
})

t.test('the config hash follows the config, not its key order', async (t) => {
  const a = await build(BASE)
  const changed = await build({ ...BASE, node: { ...BASE.node, preloads: ['wrapgen/preloads/timing', { module: './hooks/banner.cjs', options: { a: 2 } }] } })
  t.not(changed.manifest.configHash, a.manifest.configHash, 'a changed option changes the hash')
  t.not(changed.manifest.id, a.manifest.id, 'and the id')
  const flags = await build({ ...BASE, node: { ...BASE.node, flags: [] } })
  t.not(flags.manifest.id, a.manifest.id, 'a removed flag changes the id')
  const reordered: WrapgenConfig = {
    python: { flags: ['-X', 'importtime'] },
    node: { preloads: ['wrapgen/preloads/timing', { options: { a: 1 }, module: './hooks/banner.cjs' }], flags: ['--enable-source-maps'] },
    env: { default: { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' } },
    runtimes: ['nodejs20.x', 'nodejs22.x', 'python3.12'],
    name: 'layer-test',
  }
  const b = await build(reordered)
  t.equal(b.manifest.configHash, a.manifest.configHash, 'key order does not change the hash')
  t.equal(b.manifest.id, a.manifest.id)
  t.ok(Buffer.from(b.zip).equals(a.zip), 'nor the layer')

  // Two names in one map, in the other order: the same edits, so the same id.
  const ab = await build({ ...BASE, env: { set: { A_ONE: '1', B_TWO: '2' } } })
  const ba = await build({ ...BASE, env: { set: { B_TWO: '2', A_ONE: '1' } } })
  t.equal(ba.manifest.id, ab.manifest.id, 'the order of variables in env.set does not change the id')
  t.ok(Buffer.from(ba.zip).equals(ab.zip), 'nor the layer bytes')
})

t.test('the programmatic build() loads, builds and writes like the CLI', async (t) => {
  const dir = t.testdir({ '.wrapgenrc.json': JSON.stringify({ name: 'api', node: { flags: ['--enable-source-maps'] } }) })
  const written = await apiBuild({ cwd: dir })
  t.equal(written.written?.zip, join(dir, 'dist/layer.zip'), 'writes dist/ beside the config by default')
  t.ok(existsSync(join(dir, 'dist/layer/wrapgen/exec')), 'the layer tree is on disk')
  t.equal(written.manifest.name, 'api')
  const memory = await apiBuild({ cwd: dir, config: { name: 'inline' }, write: false })
  t.equal(memory.written, undefined, 'write: false builds in memory only')
  t.equal(memory.manifest.name, 'inline', 'an inline config wins over the file')
  await t.rejects(apiBuild({ cwd: dir, config: { name: 'Bad' } as WrapgenConfig }), UserError, 'config problems are UserErrors')
})

t.test('node.mainFields decides which build of a package without an exports map is bundled', async (t) => {
  const dir = t.testdir({
    'hook.cjs': "const { which } = require('dual')\nmodule.exports = () => { globalThis.which = which }\n",
    node_modules: {
      dual: {
        'package.json': JSON.stringify({ name: 'dual', main: 'cjs.js', module: 'esm.js' }),
        'cjs.js': "exports.which = 'built from main'\n",
        'esm.js': "export const which = 'built from module'\n",
      },
    },
  })
  const bundleOf = async (mainFields?: string[]) => {
    const config = await openConfig({ cwd: dir, config: { name: 'dual', node: { preloads: ['./hook.cjs'], ...(mainFields ? { mainFields } : {}) } } })
    return Buffer.from((await buildLayer(config)).files.find((f) => f.path === 'wrapgen/preload.cjs')!.contents).toString()
  }
  const byDefault = await bundleOf()
  t.match(byDefault, 'built from main', 'by default, main (as esbuild does for node)')
  t.notMatch(byDefault, 'built from module')
  t.match(await bundleOf(['module', 'main']), 'built from module', "['module', 'main'] takes the ES module build")
})

t.test('an entry containing ":-" is still the entry; "{{...}}" in a value is not a template placeholder', async (t) => {
  const w = write(await build({ name: 'edge', node: { flags: ['--title', 'it is {{version}} and {{nope}}'] } }))
  const entry = join(dir, 'echo/a:-b.cjs')
  writeFileSync(entry, readFileSync(join(dir, 'echo/report.cjs')))
  const r = spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'sh', join(w.layerDir, 'wrapgen/exec'), process.execPath, '--max-http-header-size', '81920', entry], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: dir,
  })
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stderr, '', 'no "no program entry found" line')
  const got = JSON.parse(r.stdout) as { execArgv: string[] }
  t.same(got.execArgv, ['--max-http-header-size', '81920', '--title', 'it is {{version}} and {{nope}}'], 'flags inserted before the entry, the value untouched')
})

t.test('the bundle does not depend on where wrapgen sits relative to the config', async (t) => {
  const files = (): Record<string, string> => ({ 'h.cjs': 'module.exports = () => {}\n' })
  const near = t.testdir({ a: files(), deep: { er: { still: files() } } })
  const config: WrapgenConfig = { name: 'where', node: { preloads: ['./h.cjs', 'wrapgen/preloads/timing'] } }
  const one = await build(config, join(near, 'a'))
  const two = await build(config, join(near, 'deep/er/still'))
  t.ok(Buffer.from(one.zip).equals(two.zip), 'byte-identical zips from two folders at different depths')
  t.match(Buffer.from(one.bundle!.code).toString(), '// wrapgen:runners/node/preload/run.ts', "wrapgen's own modules are named by their path in the package")
})

t.test("preload-rare.cjs is wrapgen's own code: the same bytes for every config of one node target, beside the preload", async (t) => {
  const near = t.testdir({ 'h.cjs': 'module.exports = () => {}\n', 'g.cjs': 'module.exports = { setup() {} }\n' })
  const rareOf = (r: BuildResult): string => Buffer.from(r.files.find((f) => f.path === 'wrapgen/preload-rare.cjs')!.contents).toString()
  const one = await build({ name: 'rare-a', runtimes: ['nodejs20.x'], node: { preloads: ['./h.cjs'] } }, near)
  const two = await build({ name: 'rare-b', runtimes: ['nodejs20.x'], node: { preloads: ['./g.cjs', 'wrapgen/preloads/timing'], codeCache: true } }, near)
  const other = await build({ name: 'rare-c', runtimes: ['nodejs22.x'], node: { preloads: ['./h.cjs'] } }, near)
  t.equal(rareOf(one), rareOf(two), 'other hooks, a code cache: the same file')
  t.equal(one.manifest.files.find((f) => f.path === 'wrapgen/preload-rare.cjs')?.mode, '0644', 'listed in the manifest')
  t.ok(rareOf(other).length > 0, 'another node target: built for it')
  t.notOk(rareOf(one).includes(near), 'no build-machine path')
  t.match(rareOf(one), '// wrapgen:runners/node/preload/rare.ts', 'named by its path in the package')
})
