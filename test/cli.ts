// The command line: main() in-process for each command and its errors, then one spawn of the built bin.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { main } from '../src/cli/main.js'
import type { Manifest } from '../src/render/manifest.js'
import { version } from '../src/version.js'
import { scaled } from '../src/limits/time-limit.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const bin = join(repo, 'dist/src/bin.js')

const CONFIG = `export default {
  name: 'cli-test',
  runtimes: ['nodejs20.x', 'java17', 'dotnet8', 'python3.12'],
  node: { flags: ['--enable-source-maps'], preloads: ['./hook.cjs'] },
  java: { flags: ['-XX:+TieredCompilation'] },
}
`

const dir = t.testdir({
  project: {
    'package.json': JSON.stringify({ name: 'cli-project', private: true, type: 'commonjs' }),
    'wrapgen.config.mjs': CONFIG,
    'hook.cjs': 'module.exports = () => {}\n',
  },
  fresh: { 'package.json': JSON.stringify({ name: 'fresh', private: true }) },
  out: {},
})
const project = join(dir, 'project')

/** Runs main() with captured output. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), cwd: project })
  return { code, out, err }
}

t.test('help and version', async (t) => {
  const help = await cli('--help')
  t.equal(help.code, 0)
  t.match(help.out, `wrapgen ${version()}:`)
  t.match(help.out, /Usage: wrapgen <command> \[options\]/)
  t.match(help.out, /^ {2}build {3}/m, 'lists build')
  t.match(help.out, /^ {2}print {3}/m, 'lists print')
  t.match(help.out, /^ {2}init {4}/m, 'lists init')
  t.equal(help.err, '')
  t.same(await cli(), { ...help }, 'no arguments: the same help')

  t.same(await cli('--version'), { code: 0, out: `${version()}\n`, err: '' })

  const build = await cli('build', '--help')
  t.equal(build.code, 0)
  t.match(build.out, /^Usage: wrapgen build \[--config FILE\] \[--cwd DIR\] \[--out DIR\] \[--json\]/)
  t.match(build.out, '--out DIR')
  t.match((await cli('print', '-h')).out, /^Usage: wrapgen print --runtime ID/)
})

t.test('a bad command line exits 2 with a message', async (t) => {
  const unknown = await cli('frobnicate')
  t.equal(unknown.code, 2)
  t.equal(unknown.out, '')
  t.match(unknown.err, /^wrapgen: unknown command "frobnicate"; commands: [\w, ]+ \(see wrapgen --help\)\n$/)
  const misspelt = await cli('biuld')
  t.equal(misspelt.code, 2)
  t.match(misspelt.err, /^wrapgen: unknown command "biuld"; did you mean "build"\?; commands: /, 'a misspelt command gets a guess')
  for (const name of ['build', 'print', 'init']) t.match(unknown.err, new RegExp(`commands: .*\\b${name}\\b`), `lists ${name}`)

  const option = await cli('build', '--nope')
  t.equal(option.code, 2)
  t.equal(option.err, 'wrapgen: build: unknown option --nope (see wrapgen build --help)\nUsage: wrapgen build [--config FILE] [--cwd DIR] [--out DIR] [--json] [--dockerfile] [--analyze [--unsafe-host]]\n')

  const typo = await cli('build', '--outt', 'x')
  t.equal(typo.code, 2)
  t.match(typo.err, /^wrapgen: build: unknown option --outt; did you mean --out\? \(see wrapgen build --help\)\nUsage: wrapgen build /)
  t.match((await cli('print', '--runtim', 'nodejs20.x')).err, 'unknown option --runtim; did you mean --runtime?')
  t.match((await cli('build', '--out')).err, /^wrapgen: build: --out needs a value /)
  t.match((await cli('build', '--json=yes')).err, /^wrapgen: build: --json takes no value /)

  // Commands take options only: a stray word is an error, not silently ignored.
  for (const name of ['build', 'print', 'init', 'invoke', 'verify']) {
    const stray = await cli(name, 'stray')
    t.equal(stray.code, 2, `${name} stray`)
    t.match(stray.err, new RegExp(`^wrapgen: ${name}: unexpected argument "stray"; it takes options only \\(see wrapgen ${name} --help\\)\nUsage: wrapgen ${name}`))
  }

  const noRuntime = await cli('print')
  t.equal(noRuntime.code, 2)
  t.match(noRuntime.err, '--runtime is required')

  const memory = await cli('print', '--runtime', 'nodejs20.x', '--memory', '5')
  t.equal(memory.code, 2)
  t.match(memory.err, '--memory 5: give whole megabytes from 128 to 10240')

  const runtime = await cli('print', '--runtime', 'nodejs99.x')
  t.equal(runtime.code, 2)
  t.match(runtime.err, '--runtime nodejs99.x: no such runtime; known: ')
})

t.test('build --json', async (t) => {
  const out = join(dir, 'out', 'json')
  const r = await cli('build', '--cwd', project, '--out', out, '--json')
  t.equal(r.code, 0, r.err)
  t.equal(r.err, '')
  const parsed = JSON.parse(r.out) as { layerDir: string; zip: string; ms: number; manifest: Manifest }
  t.equal(parsed.layerDir, join(out, 'layer'))
  t.equal(parsed.zip, join(out, 'layer.zip'))
  t.type(parsed.ms, 'number')
  t.equal(parsed.manifest.name, 'cli-test')
  t.equal(parsed.manifest.functionEnvironment.AWS_LAMBDA_EXEC_WRAPPER, '/opt/wrapgen/exec')
  t.equal(parsed.manifest.preload, '/opt/wrapgen/preload.cjs')
  t.same(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), parsed.manifest, 'the manifest printed is the one written')
  t.ok(existsSync(join(out, 'layer/wrapgen/exec')))
})

t.test('print', async (t) => {
  const node = await cli('print', '--runtime', 'nodejs20.x')
  t.equal(node.code, 0, node.err)
  const lines = node.out.split('\n')
  t.equal(lines[0], 'nodejs20.x at 128 MB')
  const preload = lines.findIndex((l) => /^ {2}\+ "\/opt\/wrapgen\/preload\.cjs"$/.test(l))
  t.ok(preload > 0, 'the preload is added')
  t.match(lines[preload - 1], /^ {2}\+ "--require"$/, '--require just before it')
  t.match(lines[preload + 1], /^ {3} "\/var\/runtime\/index\.mjs"$/, 'and the entry just after')
  t.match(lines[preload - 2], /^ {2}\+ "--enable-source-maps"$/, 'the configured flag before them')

  const java = await cli('print', '--runtime', 'java17', '--json')
  t.equal(java.code, 0, java.err)
  const j = JSON.parse(java.out) as { runtime: string; mode: string; memory: number; argvIn: string[]; argvOut: string[] }
  t.equal(j.runtime, 'java17')
  t.equal(j.memory, 128, 'the same default memory as invoke: 128 MB, as on Lambda')
  t.ok(j.argvOut.includes('-XX:+TieredCompilation'), 'the java flag is in the output argv')
  t.equal(j.argvOut.length, j.argvIn.length + 1)

  const dotnet = await cli('print', '--runtime', 'dotnet8:single-file')
  t.equal(dotnet.code, 0, dotnet.err)
  t.match(dotnet.out, /^dotnet8 \(single-file\) at 128 MB\n/)
  t.match(dotnet.out, 'wrapper execs:')

  const provided = await cli('print', '--runtime', 'provided.al2')
  t.equal(provided.code, 0, provided.err)
  t.match(provided.out, /^provided\.al2\n/)
  t.match(provided.out, 'never reads AWS_LAMBDA_EXEC_WRAPPER', 'explains it never runs wrappers')
  t.notMatch(provided.out, 'wrapper execs')
})

t.test('init', async (t) => {
  const fresh = join(dir, 'fresh')
  const first = await cli('init', '--cwd', fresh)
  t.equal(first.code, 0, first.err)
  t.equal(first.out, 'wrote wrapgen.config.ts; edit it, then run: npx wrapgen build\n')
  const file = join(fresh, 'wrapgen.config.ts')
  t.match(readFileSync(file, 'utf8'), "name: 'fresh',", 'named after the folder, in single quotes like the rest')

  const built = await cli('build', '--cwd', fresh, '--out', join(dir, 'out', 'init'), '--json')
  t.equal(built.code, 0, `the starter config builds: ${built.err}`)
  const m = (JSON.parse(built.out) as { manifest: Manifest }).manifest
  t.equal(m.name, 'fresh')
  t.same(m.bundle?.inputs.some((i) => i.path.endsWith('preloads/timing.ts')), true, 'with the timing preload')

  const again = await cli('init', '--cwd', fresh)
  t.equal(again.code, 1)
  t.match(again.err, /wrapgen\.config\.ts: already exists; pass --force to overwrite it/)

  const badName = await cli('init', '--cwd', fresh, '--force', '--name', 'Not Valid')
  t.equal(badName.code, 2, 'a name the config would refuse is refused here')
  t.equal(badName.err, 'wrapgen: --name: "Not Valid" must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit\n')
  t.match(readFileSync(file, 'utf8'), "name: 'fresh'", 'the config is unchanged')

  const forced = await cli('init', '--cwd', fresh, '--force', '--name', 'renamed')
  t.equal(forced.code, 0, forced.err)
  t.match(readFileSync(file, 'utf8'), "name: 'renamed',")
})

t.before(() => {
  if (existsSync(bin)) return
  const r = spawnSync('npm', ['run', 'prepare'], { cwd: repo, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`npm run prepare failed: ${r.stdout}${r.stderr}`)
})

t.test('the built bin builds examples/basic', async (t) => {
  const out = join(dir, 'out', 'bin')
  const r = spawnSync(process.execPath, [bin, 'build', '--cwd', 'examples/basic', '--out', out], { cwd: repo, encoding: 'utf8', timeout: scaled(30_000) })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /^built basic \(basic@[0-9a-f]{12}\) in \d+ ms\n/)
  t.ok(r.stdout.split('\n').includes('  AWS_LAMBDA_EXEC_WRAPPER=/opt/wrapgen/exec'), 'prints the variable to set')
  t.ok(existsSync(join(out, 'layer.zip')))
  t.ok(existsSync(join(out, 'layer/wrapgen/exec')))
})

t.test('errors are bounded: a huge value or many problems print a few KiB', async (t) => {
  const dir = t.testdir({
    'package.json': JSON.stringify({ name: 'big', private: true }),
    '.wrapgenrc.json': JSON.stringify({ name: 'A'.repeat(500_000), env: { set: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`${i}bad`, 'x'])) } }),
  })
  let err = ''
  const code = await main(['build', '--cwd', dir], { out: () => {}, err: (s) => void (err += s) })
  t.equal(code, 1)
  t.ok(err.length < 60_000, `${err.length} characters`)
  // Validation shows a huge value as its first 80 characters and its length; any other long line is clipped.
  t.match(err, /"\.\.\. \(\d+ characters\)|\.\.\. \(\d+ more characters\)/, 'a long value or line is clipped')
  t.ok(err.split('\n').every((l) => l.length <= 1100), 'no line is longer than the clip')
  t.match(err, /^ {2}\.\.\. and \d+ more\n$/m, 'the list of problems is cut')
})

t.test('--cwd that is not a folder is a usage error', async (t) => {
  const err: string[] = []
  const code = await main(['build', '--cwd', '/nonexistent/wrapgen-test'], { out: () => {}, err: (s) => void err.push(s) })
  t.equal(code, 2)
  t.equal(err.join(''), 'wrapgen: --cwd /nonexistent/wrapgen-test: no such folder\n')
})
