// The package as users get it: `npm pack`, its contents, a plain install of the tarball into a fresh
// project (no aws-lambda-ric, no install script of wrapgen's own), the CLI run from there, and the
// published types compiled by a consumer without @types/node under every moduleResolution.
// Needs dist/ (npm test builds it first); packs with --ignore-scripts so it never rewrites dist/
// while other test files run the CLI from it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { makeTemp, removeTemp } from '../src/cleanup.js'
import { scaled } from '../src/limits/time-limit.js'

t.setTimeout(scaled(300_000))

const repo = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> }
const tsc = join(repo, 'node_modules/typescript/bin/tsc')
const temp = makeTemp('package-test')
t.teardown(() => removeTemp(temp))

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', ...env }, timeout: scaled(240_000) })
const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}: ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`

if (!existsSync(join(repo, 'dist/src/bin.js'))) {
  t.fail('dist/ is missing: run npm run build (npm test does) before this file')
} else {
  // --- pack -------------------------------------------------------------------------------------
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], repo)
  const info = packed.status === 0 ? (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }>; size: number; unpackedSize: number }>)[0] : undefined

  t.test('npm pack: what the tarball holds', async (t) => {
    t.equal(packed.status, 0, show(packed))
    if (!info) return
    const files = info.files.map((f) => f.path)
    for (const needed of [
      'package.json', 'README.md', 'LICENSE', 'schema.json',
      'dist/src/bin.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/runners/node/preload/index.js', 'dist/runners/node/preload/index.d.ts',
      'dist/preloads/timing.js', 'dist/preloads/timing.d.ts',
      // Read at run time: the wrapper templates (exec and its per-family part), the catalogue, the bundled sources, the sandbox assets and probes.
      'wrappers/exec.sh', 'wrappers/exec-part.sh', 'runners/python/run.py', 'runners/java/WrapgenAgents.class', 'runners/java/WrapgenAgentsRare.class', 'runners/dotnet/WrapgenStartupHooks.dll', 'runtimes/common-env.json', 'runtimes/nodejs24.x.json', 'runtimes/python3.14.json',
      'src/config/define.ts', 'runners/node/preload/index.ts', 'runners/node/preload/run.ts', 'preloads/timing.ts', 'preloads/source-maps.ts',
      'src/sandbox/bootstrap.sh', 'src/verify/assets/standin.sh', 'src/verify/probes/probe.py', 'src/invoke/assets/runtime-entry.mjs',
      // The docs that help and error messages cite.
      'docs/runtimes.md', 'docs/verify.md', 'docs/invoke.md',
    ]) t.ok(files.includes(needed), `ships ${needed}`)
    for (const banned of [/^test\//, /^dist\/test\//, /^bench\//, /^dist\/bench\//, /^examples\//, /^\.ci\//, /fixtures/, /^scripts\//, /^docs\/notes\//, /^tsconfig/, /\.tgz$/, /^node_modules\//])
      t.notOk(files.some((f) => banned.test(f)), `ships nothing matching ${banned}`)
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>
    t.notOk((manifest.scripts as Record<string, string>).prepare, 'no prepare script: installing wrapgen runs no script of its own')
    t.notOk(['preinstall', 'install', 'postinstall'].some((s) => (manifest.scripts as Record<string, string>)[s]), 'no install scripts')
    t.notOk('aws-lambda-ric' in (manifest.dependencies as object) || 'aws-lambda-ric' in ((manifest.optionalDependencies as object | undefined) ?? {}), 'aws-lambda-ric is not installed by default')
    t.same((manifest.peerDependenciesMeta as Record<string, unknown>)['aws-lambda-ric'], { optional: true }, 'it is an optional peer')
    t.match(manifest.repository, { url: /github\.com\/wrapgen\/wrapgen/ })
    t.comment(`tarball ${(info.size / 1024).toFixed(0)} KiB, unpacked ${(info.unpackedSize / 1024).toFixed(0)} KiB, ${files.length} files`)
  })

  t.test('contributor setup: npm ci on the repository compiles no native code; the quick start stays two commands', async (t) => {
    // aws-lambda-ric builds native code (21-38 min on a loaded 2-core machine): only npm run setup:invoke installs it.
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optionalDependencies?: object; dependencies?: object }> }
    t.same(Object.keys(lock.packages).filter((p) => /(^|\/)node_modules\/aws-lambda-ric$/.test(p)), [], 'package-lock.json installs no aws-lambda-ric')
    for (const [where, entry] of Object.entries(lock.packages).filter(([p]) => !p.includes('node_modules'))) {
      t.notOk('aws-lambda-ric' in (entry.dependencies ?? {}) || 'aws-lambda-ric' in (entry.optionalDependencies ?? {}), `${where || 'the root'} does not depend on it (examples/service did)`)
    }
    const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    t.match(scripts['setup:invoke'], /^npm install --no-save .*aws-lambda-ric@3\.3\.0$/, 'npm run setup:invoke installs it, as users do')
    t.match(readFileSync(join(repo, '.ci/run'), 'utf8'), /\nnpm run setup:invoke\n[^]*\nexport WRAPGEN_TEST_INVOKE=1\n/, 'CI installs it and the invoke tests must run there')
    const readme = readFileSync(join(repo, 'README.md'), 'utf8')
    t.match(readme, /```sh\nnpm ci && npm run example {3}# [^\n]*\nnpm test {20}# [^\n]*\n```/, 'the quick start: two commands on a fresh clone')
    t.match(readme, /autoconf automake libtool make cmake g\+\+/, 'the README says what the native build needs')
  })

  // --- install into a fresh project ---------------------------------------------------------------
  const project = join(temp, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'fresh-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`)
  const started = performance.now()
  // --prefer-offline: from npm's cache when it has the packages (CI and this repo's install fill it).
  const installed = info ? run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(temp, info.filename)], project) : undefined
  const installMs = performance.now() - started
  const bin = join(project, 'node_modules/.bin/wrapgen')

  t.test('a plain install of the tarball into a fresh project', async (t) => {
    t.equal(installed?.status, 0, installed ? show(installed) : 'not packed')
    t.ok(existsSync(bin), 'node_modules/.bin/wrapgen')
    t.notOk(existsSync(join(project, 'node_modules/aws-lambda-ric')), 'aws-lambda-ric is not installed (no native build)')
    for (const dep of Object.keys(pkg.dependencies)) t.ok(existsSync(join(project, 'node_modules', dep)), `${dep} installed`)
    const du = run('du', ['-sk', join(project, 'node_modules')], project)
    const mb = Number(du.stdout.split('\t')[0]) / 1024
    t.ok(mb > 0 && mb < 30, `node_modules is ${mb.toFixed(1)} MB (target: under 30 MB)`)
    t.comment(`install: ${(installMs / 1000).toFixed(1)} s, node_modules ${mb.toFixed(1)} MB`)
  })

  t.test('the installed CLI: init, build, verify, print; invoke says what to install', async (t) => {
    if (!existsSync(bin)) return t.fail('not installed')
    const wrapgen = (...args: string[]): SpawnSyncReturns<string> => run(bin, args, project)
    const init = wrapgen('init')
    t.equal(init.status, 0, show(init))
    t.ok(existsSync(join(project, 'wrapgen.config.ts')))

    const build = wrapgen('build')
    t.equal(build.status, 0, show(build))
    t.match(build.stdout, /^built project /m)
    t.ok(existsSync(join(project, 'dist/layer.zip')), 'dist/layer.zip')
    const manifest = JSON.parse(readFileSync(join(project, 'dist/manifest.json'), 'utf8')) as { compatibleRuntimes: string[]; bundle: { target: string } | null }
    t.ok(manifest.compatibleRuntimes.length > 0 && manifest.compatibleRuntimes.length <= 15, 'at most 15 compatible runtimes')
    t.equal(manifest.bundle?.target, 'node22', 'the default runtimes start at nodejs22.x, so the preload targets node22')

    const verify = wrapgen('verify', '--runtime', 'nodejs*', '--memory', '1024')
    t.equal(verify.status, 0, show(verify))
    t.match(verify.stdout, /^PASS: /m)

    const print = wrapgen('print', '--runtime', 'nodejs24.x')
    t.equal(print.status, 0, show(print))
    t.match(print.stdout, /nodejs24\.x at \d+ MB/)
    t.match(print.stdout, /\+ "--require"/)

    const misspelt = wrapgen('print', '--runtime', 'nodejs20')
    t.equal(misspelt.status, 2)
    t.match(misspelt.stderr, 'did you mean "nodejs20.x"?')

    // The schema is exported for editors and validators ("$schema": "wrapgen/schema.json" or the file path).
    const schema = run(process.execPath, ['--input-type=module', '-e', "const m = await import('wrapgen/schema.json', { with: { type: 'json' } }); console.log(m.default.title)"], project)
    t.equal(schema.stdout.trim(), 'wrapgen config', `wrapgen/schema.json resolves through exports (${show(schema)})`)

    // The runtime client is an optional peer: invoke names the exact command.
    writeFileSync(join(project, 'index.mjs'), 'export const handler = async () => "ok"\n')
    const tmp = join(temp, 'invoke-tmp')
    mkdirSync(tmp)
    const invoke = run(bin, ['invoke', '--handler', 'index.handler'], project, { TMPDIR: tmp })
    t.equal(invoke.status, 1, show(invoke))
    t.match(invoke.stderr, 'npm install --save-dev aws-lambda-ric@3.3.0')
    t.notMatch(invoke.stderr, /internal error|at .*\.js:\d+/, 'no stack trace')
    t.same(readdirSync(tmp), [], 'no wrapgen-invoke-layer-* folder left behind (before: one per run)')
  })

  // --- the published types, without @types/node, under every moduleResolution --------------------
  t.test('the published types compile in a consumer without @types/node', async (t) => {
    if (!existsSync(join(project, 'node_modules/wrapgen/dist/src/index.d.ts'))) return t.fail('not installed')
    t.notOk(existsSync(join(project, 'node_modules/@types/node')), 'the consumer has no @types/node')
    const consumer = `import { configSchema, defineConfig, RUNTIME_IDS, type BuildResult, type RuntimeId, type WrapgenConfig } from 'wrapgen'
import { definePreload } from 'wrapgen/preload'
import timing from 'wrapgen/preloads/timing'

const runtimes: RuntimeId[] = ['nodejs22.x', 'python3.14']
export const config: WrapgenConfig = defineConfig({ name: 'consumer', runtimes })
// @ts-expect-error: not a runtime id ('nodejs20.x' is)
defineConfig({ name: 'consumer', runtimes: ['nodejs20'] })
export const zipBytes = (r: BuildResult): number => r.zip.byteLength
export const hook = definePreload<{ service: string }>((options) => void options.service)
export const builtIn = timing
export const ids: readonly RuntimeId[] = RUNTIME_IDS
export const schemaTitle: string | undefined = configSchema().title
`
    const settings: Record<string, { module: string; type: 'module' | 'commonjs' }> = {
      node16: { module: 'node16', type: 'module' },
      nodenext: { module: 'nodenext', type: 'module' },
      bundler: { module: 'esnext', type: 'module' },
      node10: { module: 'commonjs', type: 'commonjs' },
    }
    for (const [resolution, { module, type }] of Object.entries(settings)) {
      const dir = join(project, `types-${resolution}`)
      mkdirSync(dir)
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `types-${resolution}`, private: true, type }))
      writeFileSync(join(dir, 'consumer.ts'), consumer)
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ['ES2022'], target: 'ES2022', module, moduleResolution: resolution, esModuleInterop: true },
        files: ['consumer.ts'],
      }))
      const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir)
      t.equal(r.status, 0, `moduleResolution ${resolution}: ${r.status === 0 ? 'compiles' : r.stdout.trim().split('\n').slice(0, 6).join('\n')}`)
    }
  })
}
