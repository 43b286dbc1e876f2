// `wrapgen build --analyze`: bytes per package from esbuild's metafile, load time per package from a
// timed copy of the bundle, the whole start-up over `node -e 0`, and budgetMs failing the build, with
// real esbuild bundles of real packages (the OpenTelemetry and pino devDependencies) and real node.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { main } from '../src/cli/main.js'
import { packageBytes, packageMs, packageOf, timedBundle } from '../src/layer/analyze.js'
import { bundlePreload } from '../src/layer/bundle.js'
import { openConfig } from '../src/config/open.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const modules = join(repo, 'node_modules')

const dir = t.testdir({
  'package.json': JSON.stringify({ name: 'analyze-test', private: true, type: 'commonjs' }),
  // Real packages, required by absolute path from the repository's node_modules.
  'otel.cjs': `const { trace } = require(${JSON.stringify(join(modules, '@opentelemetry/api'))})\nconst pino = require(${JSON.stringify(join(modules, 'pino'))})\nmodule.exports = { setup() { trace.getTracer('x'); pino({ level: 'silent' }) } }\n`,
  'slow.cjs': 'module.exports = { setup() { const t = Date.now(); while (Date.now() - t < 40) {} } }\n',
  // Two local modules that require each other: the timed copy must still run each once.
  'a.cjs': "globalThis.loadedA = (globalThis.loadedA ?? 0) + 1\nexports.b = () => require('./b.cjs')\nrequire('./b.cjs')\n",
  'b.cjs': "globalThis.loadedB = (globalThis.loadedB ?? 0) + 1\nconst a = require('./a.cjs')\nexports.ok = typeof a === 'object'\n",
  'cyclic.cjs': "const a = require('./a.cjs')\nmodule.exports = { setup() { a.b(); require('./b.cjs') } }\n",
})

t.test('packages from metafile paths', async (t) => {
  t.equal(packageOf('node_modules/@opentelemetry/api/build/src/index.js'), '@opentelemetry/api')
  t.equal(packageOf('../../node_modules/pino/lib/x.js'), 'pino')
  t.equal(packageOf('node_modules/a/node_modules/b/index.js'), 'b', 'the innermost package')
  t.equal(packageOf('hooks/otel.ts'), '(local files)')
  t.equal(packageOf('wrapgen:src/preload/run.ts'), '(wrapgen runner)')
  t.same(packageBytes([{ path: 'node_modules/a/x.js', bytes: 5 }, { path: 'h.ts', bytes: 7 }, { path: 'node_modules/a/y.js', bytes: 4 }]), [
    { name: 'a', bytes: 9, files: 2 },
    { name: '(local files)', bytes: 7, files: 1 },
  ])
  t.same([...packageMs([{ 'node_modules/a/x.js': 1, 'node_modules/a/y.js': 2 }, { 'node_modules/a/x.js': 5 }, { 'node_modules/a/x.js': 4 }])], [['a', 4]], 'median over runs of each package\'s total')
})

t.test('the timed copy of a bundle runs each module once and records its own time', async (t) => {
  const config = await openConfig({ cwd: dir, config: { name: 'timed', node: { preloads: ['./cyclic.cjs'] } } })
  const code = new TextDecoder().decode((await bundlePreload(config)).code)
  const timed = timedBundle(code)
  t.ok(timed, 'esbuild\'s CommonJS helper found')
  writeFileSync(join(dir, 'timed.cjs'), timed!)
  const r = spawnSync(process.execPath, ['--require', join(dir, 'timed.cjs'), '-e', 'const a = globalThis[Symbol.for("wrapgen.analyze")]; console.log(JSON.stringify({ a: globalThis.loadedA, b: globalThis.loadedB, names: Object.keys(a.ms).sort(), ok: Object.values(a.ms).every((v) => v >= 0), stack: a.stack.length }))'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { a: 1, b: 1, names: ['a.cjs', 'b.cjs', 'cyclic.cjs'], ok: true, stack: 0 }, 'cyclic requires: each module once, every module timed, nothing left open')
  t.equal(timedBundle('console.log(1)'), undefined, 'a bundle without esbuild\'s helpers: nothing to time per module')
})

t.test('build --analyze: packages by bytes and load time, start-up over node -e 0, budgetMs', async (t) => {
  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = ''
    let err = ''
    const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), cwd: dir })
    return { code, out, err }
  }
  writeFileSync(join(dir, 'wrapgen.config.mjs'), "export default { name: 'analyze', node: { preloads: ['./otel.cjs'] } }\n")
  const ok = await cli('build', '--analyze', '--unsafe-host', '--out', 'out-ok')
  t.equal(ok.code, 0, ok.err)
  t.match(ok.out, /wrapgen\/preload\.cjs {2}[\d.]+ KiB, start-up \+[\d.-]+ ms over `node -e 0` \(median of 7 (sandboxed|host) runs\)/)
  t.match(ok.out, /^ {2}@opentelemetry\/api +[\d.]+ KiB +[\d.]+% +\d+ +[\d.]+ ms$/m, 'a package with its bytes, share, files and load time')
  t.match(ok.out, /^ {2}pino +[\d.]+ KiB/m)
  t.match(ok.out, /hook \.\/otel\.cjs: [\d.]+ ms to load and set up, budget 1000 ms$/m)
  const json = await cli('build', '--analyze', '--unsafe-host', '--json', '--out', 'out-json')
  const analysis = JSON.parse(json.out).analysis as Array<{ file: string; packages: Array<{ name: string }>; measured: { startMs: number; packageMs: Record<string, number> } }>
  t.equal(analysis[0]?.file, 'wrapgen/preload.cjs')
  t.ok(analysis[0]?.packages.some((p) => p.name === '@opentelemetry/api'))
  t.type(analysis[0]?.measured.packageMs.pino, 'number', 'JSON: milliseconds per package')

  // Another file: node caches an ES module config by its URL.
  writeFileSync(join(dir, 'over.config.mjs'), "export default { name: 'analyze', node: { preloads: ['./otel.cjs', { module: './slow.cjs', budgetMs: 5 }] } }\n")
  const over = await cli('build', '--analyze', '--unsafe-host', '--config', 'over.config.mjs', '--out', 'out-over')
  t.equal(over.code, 1, 'a hook over its budget fails the build (exit 1)')
  t.match(over.err, /^wrapgen: node\.preloads\[1\]\.module: "\.\/slow\.cjs" took [\d.]+ ms to load and set up \(median of 7 (sandboxed )?starts\), over its budgetMs of 5; make it lighter or raise node\.preloads\[1\]\.budgetMs$/m)
  t.match(over.out, /hook \.\/slow\.cjs: [\d.]+ ms to load and set up, budget 5 ms — OVER BUDGET/)
  const plain = await cli('build', '--config', 'over.config.mjs', '--out', 'out-plain')
  t.equal(plain.code, 0, 'without --analyze nothing is measured, so no budget can fail the build')
})
