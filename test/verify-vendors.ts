// Real vendors' exec wrappers, as wrapgen's own scripts in their shapes (test/fixtures/wrappers/vendors):
// `wrapgen verify --wrapper FILE` must give each its stated verdict by default (nothing but the file)
// and with the stated options. False positives and false negatives are counted over the whole set,
// and both must be 0. Everything runs in the sandbox, real interpreters included, as a user runs it.
// WRAPGEN_VENDOR_RECORD=FILE writes each line's outcome as JSON (the table in docs/verify.md).
import { writeFileSync } from 'node:fs'
import t from 'tap'
import { readVendorFixtures, type VerdictLine, type VendorFixture } from './fixtures/vendor-wrappers.js'
import { verify } from '../src/api-verify.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { passed, type VerifyReport } from '../src/verify/types.js'

t.setTimeout(1_800_000)
const fixtures = readVendorFixtures()
const failures = (r: VerifyReport) => r.results.filter((x) => x.status === 'fail')

/** One line's outcome, said as a verdict line is written: `pass` or `fail CHECK: detail`. */
function outcome(r: VerifyReport): string {
  const f = failures(r).sort((a, b) => Number(a.shell !== 'exec') - Number(b.shell !== 'exec'))[0]
  return f ? `fail ${f.check}: ${f.detail.slice(0, 160)}` : 'pass'
}

function right(line: VerdictLine, r: VerifyReport): boolean {
  const v = line.verdict
  if (v.pass) return passed(r) && (!v.warn || r.warnings.some((w) => w.includes(v.warn!)))
  return failures(r).some((x) => (x.shell === 'exec' || x.shell === null) && x.check === v.check && x.detail.includes(v.because))
}

/** A few verify runs at once: each is itself a pool of sandboxes. */
async function inTurn<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!)
  }))
  return out
}

t.test('vendor-shaped wrappers: the right verdict by default and with options', { skip: sandboxAvailable() ? false : 'bubblewrap is not usable here: --wrapper runs only in the sandbox' }, async (t) => {
  t.ok(fixtures.length >= 25, `${fixtures.length} vendor-shaped wrappers`)
  t.ok(new Set(fixtures.flatMap((f) => f.models.map((m) => m.split('/')[0]))).size >= 10, 'from at least 10 vendors')
  const jobs = fixtures.flatMap((f) => f.lines.map((line) => ({ f, line })))
  const runs = await inTurn(jobs, 2, async ({ f, line }) => ({ f, line, r: await verify(line.verify) }))
  let falsePositives = 0
  let falseNegatives = 0
  const record: Array<{ fixture: string; models: readonly string[]; options: string; expected: string; got: string; right: boolean; ms: number; runtimes: number }> = []
  for (const { f, line, r } of runs) {
    const ok = right(line, r)
    // As in the corpus: a failure reported on a good wrapper is a false positive; a defect not
    // reported (or reported for another reason) is a false negative.
    if (!ok && line.verdict.pass) falsePositives++
    if (!ok && !line.verdict.pass) falseNegatives++
    record.push({ fixture: f.name, models: f.models, options: line.options, expected: line.text, got: outcome(r), right: ok, ms: r.ms, runtimes: new Set(r.results.map((x) => x.runtime)).size })
    t.ok(ok, `${f.name}${line.options ? ` ${line.options}` : ''}: ${line.text}`, { got: outcome(r), warnings: r.warnings, failures: failures(r).slice(0, 4).map((x) => `${x.runtime} ${x.shell} ${x.check}: ${x.detail}`) })
  }
  if (process.env.WRAPGEN_VENDOR_RECORD) writeFileSync(process.env.WRAPGEN_VENDOR_RECORD, `${JSON.stringify(record, null, 2)}\n`)
  t.comment(`vendor wrappers: ${fixtures.length} wrappers, ${jobs.length} verdict lines; false positives ${falsePositives} (a good wrapper failed), false negatives ${falseNegatives} (a defect passed or was not named)`)
  t.equal(falsePositives, 0, 'no good wrapper fails')
  t.equal(falseNegatives, 0, 'every defect is found, for its reason')
})

t.test('every fixture cites the vendor file it models and states a default verdict', async (t) => {
  for (const f of fixtures as readonly VendorFixture[]) {
    t.ok(f.models.every((m) => /^[\w.-]+\/[\w.-]+ \S+ @ [0-9a-f]{12}/.test(m)), `${f.name}: MODELS lines name repo, path and commit`, { models: f.models })
    t.ok(f.shape.length > 20, `${f.name}: says its shape`)
    t.equal(f.lines[0]!.options, '', `${f.name}: the first line is the default run`)
  }
})

t.test('scope: the runtimes a wrapper is plausibly for, one per command shape, and why (scope.ts)', async (t) => {
  const { chooseScope, codeOf } = await import('../src/verify/scope.js')
  const { loadCatalogue } = await import('../src/runtimes/catalogue.js')
  const { join } = await import('node:path')
  const { VENDORS_DIR } = await import('./fixtures/vendor-wrappers.js')
  const runtimes = loadCatalogue().runtimes
  const scope = (name: string, layers: string[] = [], shebang = '#!/bin/bash') => {
    const file = join(VENDORS_DIR, name)
    return chooseScope({ file, lambdaPath: `/opt/${name.split('/').pop()}`, shebang, trees: layers.map((l) => join(VENDORS_DIR, l)), runtimes })
  }
  const families = (s: { fixtures: ReadonlyArray<{ family: string }> }) => [...new Set(s.fixtures.map((f) => f.family))].sort()
  const ruby = scope('aws-sample-ruby-wrapper.rb', [], '#!/usr/bin/env ruby')
  t.same(families(ruby), ['ruby'], 'a ruby wrapper: ruby runtimes only')
  t.match(ruby.lines.join('\n'), /its #! line runs ruby, which only ruby runtimes have.*\nleft out: node, python, java, dotnet \(no ruby there\)/)
  t.same(ruby.fixtures.map((f) => f.id), ['ruby3.4'], 'one for the same command shape: the newest')
  t.match(ruby.lines[0], /ruby3\.4 \(for ruby3\.2, ruby3\.3: the same command shape\)/)
  t.same(families(scope('otel-node/layer/otel-handler')), ['node'], 'NODE_OPTIONS: node')
  t.same(families(scope('datadog/layer/datadog_wrapper')), ['dotnet', 'java'], 'branches on *dotnet* and *java*')
  t.same(families(scope('otel-java-wrapper.sh')), ['java'], 'a java class as the handler')
  t.same(families(scope('aws-sample-importtime.sh')), ['dotnet', 'java', 'node', 'python', 'ruby'], 'names no runtime: every family')
  t.same(families(scope('newrelic-java/layer/newrelic-java-handler')), ['dotnet', 'java', 'node', 'python', 'ruby'], 'alone, a script that only sources its helper names nothing')
  t.same(families(scope('newrelic-java/layer/newrelic-java-handler', ['newrelic-java/layer'])), ['java'], 'with its layer, the sourced helper is read too')
  t.same(families(scope('otel-python/layer/otel-handler', ['otel-python/layer'])), ['python'], 'the sibling it execs through BASH_SOURCE, and the layer\'s python/ folder')
  const dd = scope('datadog/layer/datadog_wrapper')
  t.same(dd.fixtures.filter((f) => f.family === 'java').map((f) => f.id), ['java11', 'java25'], 'java: the entry-last shape and the java17+ one (-XX:-TieredCompilation, which it names, only in the older)')
  t.notOk(dd.memorySensitive, 'one memory size')
  t.equal(codeOf('#!/bin/sh\n# JAVA_TOOL_OPTIONS in a comment\n: <<\'END\'\nNODE_OPTIONS in docs\nEND\nexec "$@" # python\n').trim(), 'exec "$@"', 'comments and documentation blocks are not code')
})

t.test('judge: a change accepted excuses that change only; a replacer\'s own program; what a failure names (judge.ts, explain.ts)', async (t) => {
  const { failureOfAll, judgeArgvAll } = await import('../src/verify/judge.js')
  const base = ['/var/lang/bin/java', '-Xshare:on', '-classpath', 'a.jar', 'lambdainternal.AWSLambda', 'two words', 'x']
  const got = ['/var/lang/bin/java', '-Xshare:auto', '-classpath', 'a.jar', 'lambdainternal.AWSLambda', 'two', 'words', 'x']
  const v = judgeArgvAll('lambdainternal.AWSLambda', got, base, {}, {})
  t.match(v.map((x) => x.deviation?.kind ?? x.problem), ['option-change', /"two words" was re-split/], 'the -Xshare change, then the re-split behind it')
  t.match(failureOfAll(v, ['option-change']), /re-split/, 'accepting the option change does not accept the re-split')
  t.match(failureOfAll(v, []), /re-split/, 'a defect is named before a change not accepted')
  t.same(judgeArgvAll('lambdainternal.AWSLambda', got.slice(0, 5), base.slice(0, 5), {}, {}).map((x) => x.deviation?.kind ?? x.problem ?? 'ok'), ['option-change', 'ok'], 'the change alone: nothing else')
  const single = judgeArgvAll(null, ['/var/task/MyFn'], ['/var/task/MyFn', 'arg'], {}, { _HANDLER: 'MyFn' })
  t.match(single[0]?.deviation, { kind: 'replace-runtime', what: /function's own program "\/var\/task\/MyFn" \(\$LAMBDA_TASK_ROOT\/\$_HANDLER\) without the runtime's arguments/ })
  const dropped = judgeArgvAll(null, ['/var/task/MyFn'], ['/var/task/MyFn', 'two words'], {}, {})
  t.notMatch(dropped[0]?.problem ?? '', /re-split/, 'an argument dropped whole is not said to be re-split')

  const { explainFailure, explainClauses } = await import('../src/verify/explain.js')
  const { mkdirSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const opt = t.testdir({ 'empty.jar': '', 'text.jar': 'not a zip', 'ok.sh': '#!/bin/sh\n', handler: '#!/bin/sh\n', bootstrap: '#!/bin/sh\n', lib: {} })
  mkdirSync(join(opt, 'lib', 'x'), { recursive: true })
  writeFileSync(join(opt, 'lib', 'x', 'y.js'), '')
  const e = explainFailure([
    "/opt/handler: line 3: /opt/lib-handler.sh: No such file or directory",
    'Error opening zip file or JAR manifest missing : /opt/empty.jar',
    "Error: Cannot find module '@acme/tracer'",
    'Error: /opt/text.jar is broken; /opt/ok.sh ran',
    '/opt/bootstrap: line 2: /var/task/index.handler: No such file or directory',
  ], opt, ['index.handler'])
  t.same(e.missing, ['/opt/lib-handler.sh'], 'a path not in the tree')
  t.same(e.unusable.map((u) => u.path), ['/opt/empty.jar', '/opt/text.jar'], 'an empty file and a jar with no zip header')
  t.same(e.modules, ['@acme/tracer (under /opt/nodejs/node_modules in its layer)'])
  t.equal(e.program, '/var/task/index.handler')
  const said = explainClauses(e, false).join('\n')
  t.match(said, /function's own program \/var\/task\/index\.handler .*--allow replace-runtime/)
  t.match(said, /\/opt\/empty\.jar, and it is present but empty \(0 bytes\)/)
  t.match(said, /it needs \/opt\/lib-handler\.sh, the module @acme\/tracer .* --with-layer DIR/)
})
