#!/usr/bin/env node
// `npm run mutate`: plants each of the plausible one-line bugs below (issue 22) in a throw-away copy of
// the repo, one at a time, runs the tests that guard against it, and says whether they caught it.
//
// The copy holds the tracked files as they are in the working tree (`git ls-files`), node_modules as a
// symlink, and a dist/ from one `npm run build`; the working tree is never written. Each mutation gets
// a copy of its own: its file is changed at the anchor (which must occur exactly once, or the run stops
// before testing anything), then rebuilt where the tests need it (a .ts file under src/ is transpiled
// into dist/ with the build's options, byte-identical to tsc's output, checked; the Java runner is
// recompiled by runners/java/build.sh), then its guarding tests run with tap (--disable-coverage, a
// --grep for the one test). Before that, every guarding test runs once on the unchanged copy: a test
// that fails there (or that its --grep does not select) is reported as "broken baseline", never as
// "caught".
//
// Prints one line per mutation (caught, survived, broken baseline) and "N/12 caught"; exits 0 only
// when every mutation was caught, 1 otherwise, 2 when it could not run (an anchor not found once, a
// failed build). MUTATE_JOBS (default 2) runs that many test runs at once; MUTATE_ONLY=3,7 runs only
// those mutations; MUTATE_KEEP=1 keeps the temp folder (each run's log is in it). `--check` only checks
// the table (every anchor once, every test file there) and exits: `npm test` runs it, so a change that
// moves an anchor fails CI at once instead of the next mutation run.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))

/**
 * The mutations: `file`, an exact `anchor` and its `replace`ment, the `tests` that guard against it
 * (a test file and a tap --grep: a regular expression on its top-level test names, without
 * backslashes, which tap's option parsing doubles), `rebuild` for a file the tests do not read as
 * source, and what the mistake is.
 */
const MUTATIONS = [
  {
    file: 'runners/java/src/WrapgenAgents.java',
    anchor: '      } catch (Throwable t) {',
    replace: '      } catch (Exception t) {',
    rebuild: 'java',
    tests: [['test/hooks.ts', 'Error outside premain']],
    what: 'the Java runner catches only Exception: an agent\'s ExceptionInInitializerError aborts the JVM',
  },
  {
    file: 'runners/ruby/run.rb',
    anchor: 'raise if e.is_a?(SystemExit) || e.is_a?(Interrupt)',
    replace: 'raise if e.is_a?(Interrupt)',
    tests: [['test/hooks.ts', 'ruby, real interpreter']],
    what: 'the ruby runner rescues SystemExit: a hook\'s `exit 3` is "skipped" and the function starts',
  },
  {
    file: 'runners/node/import.mjs',
    anchor: 'if (setup) await setup(hook.options, context)',
    replace: 'if (setup) setup(hook.options, context)',
    tests: [['test/hooks.ts', 'node.imports, real node']],
    what: 'node.imports: setup() is not awaited: a rejection is unhandled, the timing covers nothing',
  },
  {
    file: 'src/layer-tree/merge.ts',
    anchor: "a.kind === 'symlink' && b.kind === 'symlink' && a.target === b.target",
    replace: "a.kind === 'symlink' && b.kind === 'symlink'",
    tests: [['test/compose.ts', 'part of what a layer ships']],
    what: 'compose: two layers\' symlinks compared by kind only: a changed target is no conflict',
  },
  {
    file: 'src/layer-tree/read.ts',
    anchor: "e.kind === 'symlink' ? e.target : `0${e.mode.toString(8)}`",
    replace: "e.kind === 'symlink' ? e.target : ''",
    tests: [['test/compose.ts', 'part of what a layer ships']],
    what: 'compose: a folder input\'s sha256 leaves modes out',
  },
  {
    file: 'src/verify/judge.ts',
    anchor: 'if (v.deviation && !allow.includes(v.deviation.kind)) return',
    replace: 'if (v.deviation && !allow.length) return',
    tests: [['test/verify-corpus.ts', 'deliberate changes fail']],
    what: 'verify: --allow of one kind accepts a deliberate change of any kind',
  },
  {
    file: 'src/sandbox/bwrap.ts',
    anchor: "export const NAMESPACES = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts']",
    replace: "export const NAMESPACES = ['--unshare-pid', '--unshare-ipc', '--unshare-uts']",
    tests: [['test/security/contain.ts', 'sandbox has no network']],
    what: 'the sandbox shares the host\'s network (no --unshare-net)',
  },
  {
    file: 'src/verify/writes.ts',
    anchor: 'for (const p of snapshot(root).keys()) if (!own.has(p)) elsewhere.push',
    replace: "for (const p of snapshot(root).keys()) if (!own.has(p.split('/')[0])) elsewhere.push",
    tests: [['test/security/contain.ts', 'write check sees']],
    what: 'verify\'s write check judges a path at the root by its top folder: a write under /var is missed',
  },
  {
    file: 'src/invoke/extensions.ts',
    anchor: 'const deadlineHr = start + scaled(SHUTDOWN_MS)',
    replace: 'const deadlineHr = performance.now() + scaled(SHUTDOWN_MS)',
    tests: [['test/extensions.ts', 'deadlineMs is the start']],
    what: 'invoke: SHUTDOWN\'s deadline counts 2 s from the event, the runtime\'s share not counted',
  },
  {
    file: 'src/compose/write.ts',
    anchor: '  if (self && !self.isDirectory()) throw new UserError(`--out ${show(dir)}: is a file, not a folder; give a new or empty folder`)\n',
    replace: '',
    tests: [['test/reliability.ts', 'never 70']],
    what: 'compose --out naming a file is not checked: the file system\'s ENOTDIR ends in exit 70',
  },
  {
    file: 'src/layer/write.ts',
    anchor: "if (typeof m.wrapgenVersion !== 'string' || typeof m.id !== 'string' || typeof m.configHash !== 'string' || !Array.isArray(files)) return undefined",
    replace: "if (typeof m.wrapgenVersion !== 'string' || !Array.isArray(files)) return undefined",
    tests: [['test/reliability.ts', 'nothing lost']],
    what: 'build --out takes a user\'s manifest.json with files and wrapgenVersion for its own, and replaces it',
  },
  {
    file: 'src/layer/zip.ts',
    anchor: 'export const EPOCH = new Date(1980, 0, 1, 0, 0, 0)',
    replace: 'export const EPOCH = new Date(Date.UTC(1980, 0, 1, 0, 0, 0))',
    tests: [['test/layer.ts', 'non-UTC TZ']],
    what: 'the zip\'s fixed time taken as UTC: DOS dates depend on TZ',
  },
].map((m, i) => ({ id: i + 1, ...m }))

const fail = (message) => {
  process.stderr.write(`mutate: ${message}\n`)
  process.exit(2)
}
const count = (text, s) => text.split(s).length - 1

// Every anchor, in the working tree, before anything is copied or run.
for (const m of MUTATIONS) {
  const path = join(repo, m.file)
  if (!existsSync(path)) fail(`mutation ${m.id}: ${m.file} does not exist; update the table in scripts/mutate.mjs`)
  const n = count(readFileSync(path, 'utf8'), m.anchor)
  if (n !== 1) fail(`mutation ${m.id}: its anchor occurs ${n} times in ${m.file}, not once; update the table in scripts/mutate.mjs:\n  ${JSON.stringify(m.anchor)}`)
  for (const [file, grep] of m.tests) {
    if (!existsSync(join(repo, file))) fail(`mutation ${m.id}: its test file ${file} does not exist`)
    if (grep.includes('\\')) fail(`mutation ${m.id}: its --grep ${JSON.stringify(grep)} holds a backslash, which tap's option parsing doubles`)
  }
}
if (process.argv.includes('--check')) {
  process.stdout.write(`mutate: the ${MUTATIONS.length} mutations' anchors and test files are in place\n`)
  process.exit(0)
}
const only = (process.env.MUTATE_ONLY ?? '').split(',').filter(Boolean).map(Number)
const chosen = only.length ? MUTATIONS.filter((m) => only.includes(m.id)) : MUTATIONS
const jobs = Math.max(1, Number(process.env.MUTATE_JOBS) || 2)
const started = Date.now()
const elapsed = (since = started) => `${Math.round((Date.now() - since) / 1000)} s`
const say = (line) => process.stdout.write(`${line}\n`)

const work = mkdtempSync(join(tmpdir(), 'wrapgen-mutate-'))
const children = new Set()
const cleanup = () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL')
    } catch {}
  }
  if (process.env.MUTATE_KEEP !== '1') rmSync(work, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

/** Runs a command to the end in its own process group (so an interrupted run ends it too); its output goes to `log`. */
function run(command, args, cwd, log) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } })
    children.add(child)
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.on('close', (code, signal) => {
      children.delete(child)
      writeFileSync(log, out)
      resolve({ code: code ?? 128, signal, out })
    })
  })
}

// The pristine copy: the tracked files, node_modules linked, dist/ built once.
const base = join(work, 'base')
const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' })
if (tracked.status !== 0) fail(`git ls-files failed: ${tracked.stderr}`)
for (const file of tracked.stdout.split('\0').filter(Boolean)) {
  const from = join(repo, file)
  const st = lstatSync(from, { throwIfNoEntry: false })
  if (!st) continue // deleted in the working tree
  const to = join(base, file)
  mkdirSync(dirname(to), { recursive: true })
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to)
  else {
    cpSync(from, to)
    chmodSync(to, st.mode & 0o7777)
  }
}
symlinkSync(join(repo, 'node_modules'), join(base, 'node_modules'))
say(`mutate: ${chosen.length} mutations, ${jobs} at a time, in ${work}`)
const built = await run('npm', ['run', 'build'], base, join(work, 'build.log'))
if (built.code !== 0) {
  cleanup()
  fail(`npm run build failed in the copy:\n${built.out}`)
}
say(`mutate: npm run build in the copy: ${elapsed()}`)

// tap's per-file limit, scaled by this machine's measured slowdown as npm test scales it.
const { machineSlowdown } = await import(join(base, 'dist/src/limits/machine-speed.js'))
const scale = machineSlowdown()
const tapTimeout = Math.round(300 * scale)

// Transpiles a changed .ts file into the copy's dist/ as tsc would (checked on the file unchanged first).
const ts = (await import(join(repo, 'node_modules/typescript/lib/typescript.js'))).default
const parsed = ts.getParsedCommandLineOfConfigFile(join(base, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(`tsconfig.build.json: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`) })
// The package is "type": "module", so NodeNext emits ES modules: the same emit, file by file.
const emitOptions = { ...parsed.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }
function transpile(dir, file, source) {
  const out = ts.transpileModule(source, { compilerOptions: emitOptions, fileName: join(dir, file) })
  return { js: out.outputText, map: out.sourceMapText }
}
const distOf = (file) => join('dist', file.replace(/\.ts$/, '.js'))

/** A copy of the pristine tree for one run. */
function copyOf(name) {
  const dir = join(work, name)
  cpSync(base, dir, { recursive: true, verbatimSymlinks: true })
  return dir
}

/** Plants mutation `m` in `dir` and rebuilds what its tests read; returns an error line, or undefined. */
async function plant(m, dir) {
  const path = join(dir, m.file)
  const text = readFileSync(path, 'utf8')
  const n = count(text, m.anchor)
  if (n !== 1) return `its anchor occurs ${n} times in the copy`
  const mutated = text.replace(m.anchor, () => m.replace)
  writeFileSync(path, mutated)
  if (m.file.endsWith('.ts') && m.file.startsWith('src/')) {
    const js = join(dir, distOf(m.file))
    const same = transpile(dir, m.file, text)
    if (same.js !== readFileSync(js, 'utf8')) return `transpiling ${m.file} unchanged does not give tsc's ${distOf(m.file)}: cannot rebuild it alone`
    const out = transpile(dir, m.file, mutated)
    writeFileSync(js, out.js)
    writeFileSync(`${js}.map`, out.map)
  }
  if (m.rebuild === 'java') {
    const r = await run('sh', ['runners/java/build.sh'], dir, join(work, `m${m.id}-build.log`))
    if (r.code !== 0) return `runners/java/build.sh failed (a JDK is needed): ${r.out.trim().split('\n').pop()}`
  }
  return undefined
}

/** Top-level test results of a tap run: name -> 'ok' | 'not ok' | 'skip'. */
function results(out) {
  const seen = new Map()
  for (const line of out.split('\n')) {
    const r = /^ {4}(not ok|ok) \d+ - (.*)$/.exec(line)
    if (!r) continue
    const skip = / # SKIP\b/.test(r[2])
    const name = r[2].replace(/ # (SKIP|TODO|time=).*$/, '')
    seen.set(name, skip ? 'skip' : r[1])
  }
  return seen
}

const tap = (dir, file, grep, log) => run(join(dir, 'node_modules/.bin/tap'), ['--disable-coverage', '--reporter=tap', `--timeout=${tapTimeout}`, `--grep=${grep}`, file], dir, log)

// The runs: the baselines (each guarding file once, with all its greps), then the mutations.
const byFile = new Map()
for (const m of chosen) for (const [file, grep] of m.tests) byFile.set(file, [...new Set([...(byFile.get(file) ?? []), grep])])
const baseline = new Map()
const outcome = new Map()
const tasks = []
for (const [file, greps] of byFile) {
  tasks.push(async () => {
    const t0 = Date.now()
    const dir = copyOf(`baseline-${file.replace(/\W/g, '-')}`)
    const r = await tap(dir, file, greps.join('|'), join(work, `baseline-${file.replace(/\W/g, '-')}.log`))
    baseline.set(file, { code: r.code, results: results(r.out) })
    say(`  baseline ${file} (${greps.join(' | ')}): ${r.code === 0 ? 'passes' : `FAILS (exit ${r.code})`} in ${elapsed(t0)}`)
  })
}
for (const m of chosen) {
  tasks.push(async () => {
    const t0 = Date.now()
    const dir = copyOf(`m${m.id}`)
    const error = await plant(m, dir)
    if (error) {
      outcome.set(m.id, { verdict: 'not run', detail: error, ms: Date.now() - t0 })
      return
    }
    let caught = false
    const failedTests = []
    for (const [file, grep] of m.tests) {
      const r = await tap(dir, file, grep, join(work, `m${m.id}-${file.replace(/\W/g, '-')}.log`))
      if (r.code !== 0) caught = true
      for (const [name, status] of results(r.out)) if (status === 'not ok') failedTests.push(name)
    }
    outcome.set(m.id, { verdict: caught ? 'caught' : 'survived', detail: failedTests.length ? `failed: ${failedTests.join('; ')}` : '', ms: Date.now() - t0 })
    say(`  mutation ${m.id}: ${caught ? 'caught' : 'survived'} in ${elapsed(t0)}`)
    if (process.env.MUTATE_KEEP !== '1') rmSync(dir, { recursive: true, force: true })
  })
}
// Longest first would be best; the java and reliability runs are the longest, and come first in the table.
let next = 0
await Promise.all(Array.from({ length: jobs }, async () => {
  while (next < tasks.length) await tasks[next++]()
}))

// The verdicts: a mutation whose guarding test fails (or selects nothing) unchanged is not "caught".
say('')
let caughtCount = 0
for (const m of chosen) {
  const o = outcome.get(m.id)
  let verdict = o.verdict
  let detail = o.detail
  for (const [file, grep] of m.tests) {
    const b = baseline.get(file)
    const re = new RegExp(grep)
    const mine = [...b.results].filter(([name, status]) => re.test(name) && status !== 'skip')
    const failing = mine.filter(([, status]) => status === 'not ok').map(([name]) => name)
    const broken = !mine.length ? `--grep ${JSON.stringify(grep)} selects no test that runs in ${file}`
      : failing.length ? `${file} fails without the mutation: ${failing.join('; ')}`
      // Another guarded test of the file may fail; with none failing, the run itself did (a crash, tap's limit).
      : b.code !== 0 && ![...b.results.values()].includes('not ok') ? `${file} exits ${b.code} without the mutation`
      : undefined
    if (broken) (verdict = 'broken baseline'), (detail = broken)
  }
  if (verdict === 'caught') caughtCount++
  say(`${String(m.id).padStart(2)}. ${verdict.padEnd(15)} ${m.file}: ${m.what}${detail ? `\n      ${detail}` : ''}`)
}
say(`\n${caughtCount}/${chosen.length} caught (${elapsed()}; time limits scaled x${scale})`)
cleanup()
process.exit(caughtCount === chosen.length ? 0 : 1)
