// The runtime catalogue: the real fixtures under runtimes/, their expansion, and the format's checks.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadCatalogue, selectRuntimes } from '../src/runtimes/catalogue.js'
import { expandRuntime } from '../src/runtimes/expand.js'
import { evalExpr, interpolate } from '../src/runtimes/expr.js'
import { RUNTIME_IDS } from '../src/runtimes/ids.js'
import { CATALOGUE_DATE, compatibleRuntimes, MAX_COMPATIBLE_RUNTIMES, supportedRuntimes } from '../src/runtimes/supported.js'
import type { RuntimeFixture } from '../src/runtimes/types.js'

const { runtimes, commonEnv } = loadCatalogue()

const find = (id: string, mode = 'default'): RuntimeFixture => {
  const f = runtimes.find((r) => r.id === id && r.mode === mode)
  if (!f) throw new Error(`no fixture ${id}:${mode}`)
  return f
}
const expand = (id: string, memory: number | undefined, functionEnv?: Record<string, string>, mode = 'default') =>
  expandRuntime(find(id, mode), { memory, commonEnv, ...(functionEnv ? { functionEnv } : {}) })

// lambda-runtimes.md §2, argv at 1024 MB, verbatim.
const DOC_ARGV = {
  'nodejs18.x': ['/var/lang/bin/node', '--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=51', '--max-old-space-size=922', '/var/runtime/index.mjs'],
  'java8.al2': ['/var/lang/bin/java', '-XX:MaxHeapSize=734003k', '-XX:MaxMetaspaceSize=104858k', '-XX:ReservedCodeCacheSize=52429k', '-XX:+UseSerialGC', '-javaagent:/var/runtime/amzn-log4j-security-jdk8-0.1alpha.jar', '-Xshare:on', '-XX:-TieredCompilation', '-Djava.net.preferIPv4Stack=true', '-XX:+ErrorFileToStderr', '-classpath', '<jars>', 'lambdainternal.AWSLambda'],
  java17: ['/var/lang/bin/java', '-XX:MaxHeapSize=891289k', '-javaagent:/var/runtime/lib/Log4jHotPatch.jar=log4jFixerVerbose=false', '-XX:+UseSerialGC', '-Xshare:on', '-XX:SharedArchiveFile=/var/lang/lib/server/runtime.jsa', '-XX:+TieredCompilation', '-XX:TieredStopAtLevel=1', '--add-opens=java.base/java.io=ALL-UNNAMED', '-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac', '-Djava.net.preferIPv4Stack=true', '-XX:+ErrorFileToStderr', '-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=/var/runtime/lib/jni/libaws-lambda-jni.linux-x86_64.so', '-classpath', '<jars>', 'com.amazonaws.services.lambda.runtime.api.client.AWSLambda', 'example.App::handleRequest'],
  dotnet8: ['/var/lang/bin/dotnet', 'exec', '--depsfile', '/var/task/MyFn.deps.json', '--runtimeconfig', '/var/task/MyFn.runtimeconfig.json', '/var/runtime/Amazon.Lambda.RuntimeSupport.dll', 'MyFn::MyFn.Function::Handler'],
}

t.test('the catalogue holds every built-in runtime', async (t) => {
  const keys = runtimes.map((r) => (r.mode === 'default' ? r.id : `${r.id}:${r.mode}`))
  t.same(keys, [
    'dotnet6:class-library', 'dotnet6:executable-assembly', 'dotnet6:single-file',
    'dotnet8:class-library', 'dotnet8:executable-assembly', 'dotnet8:single-file',
    'dotnet10:class-library', 'dotnet10:executable-assembly', 'dotnet10:single-file',
    'java8.al2', 'java11', 'java17', 'java21', 'java25',
    'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x',
    'provided.al2', 'provided.al2023',
    'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14',
    'ruby3.2', 'ruby3.3', 'ruby3.4',
  ])
  t.equal(loadCatalogue(), loadCatalogue(), 'the package catalogue is read once')
  t.equal(commonEnv.LAMBDA_TASK_ROOT, '/var/task')
  t.equal(commonEnv.PATH, '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin')
  t.equal(commonEnv.LD_LIBRARY_PATH, '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib')
  t.notOk('AWS_LAMBDA_FUNCTION_MEMORY_SIZE' in commonEnv, 'memory size comes from expand, not common-env')
  t.notOk('PYTHONPATH' in commonEnv, 'PYTHONPATH is not set when the wrapper runs')
})

t.test('every fixture expands at every memory size', async (t) => {
  for (const f of runtimes) {
    for (const memory of [128, 1024, 10240, undefined]) {
      const name = `${f.id}:${f.mode} @ ${memory ?? 'unset'}`
      const inst = expandRuntime(f, { memory, commonEnv })
      t.notOk(inst.argv.some((a) => a.includes('${')), `${name}: no placeholder left`)
      if (f.family === 'none') {
        t.same(inst.argv, [], `${name}: no argv`)
        t.equal(f.entry, null)
        t.match(f.note, /does not exist.*127.*is not an executable.*126/s, `${name}: note states the contract`)
        t.notOk('AWS_EXECUTION_ENV' in inst.env, `${name}: no AWS_EXECUTION_ENV on provided`)
      } else {
        t.equal(inst.env.AWS_EXECUTION_ENV, `AWS_Lambda_${f.id}`, `${name}: AWS_EXECUTION_ENV`)
        t.match(inst.argv[0], /^\/var\/(lang\/bin|task)\//, `${name}: argv[0] is the interpreter or binary`)
      }
      if (f.family === 'none' || f.mode === 'single-file') t.equal(inst.entryIndex, -1, `${name}: no entry`)
      else t.ok(inst.entryIndex >= 0, `${name}: entry found (${inst.entryIndex})`)
      t.equal(inst.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, memory === undefined ? undefined : String(memory), `${name}: memory env`)
    }
  }
})

t.test('exact argv at 1024 MB matches lambda-runtimes.md', async (t) => {
  t.same(expand('nodejs18.x', 1024).argv, DOC_ARGV['nodejs18.x'])
  t.same(expand('java8.al2', 1024).argv, DOC_ARGV['java8.al2'])
  t.same(expand('java17', 1024).argv, DOC_ARGV.java17)
  t.same(expand('dotnet8', 1024, undefined, 'class-library').argv, DOC_ARGV.dotnet8)
  t.equal(expand('java17', 1024).entryIndex, DOC_ARGV.java17.length - 2, 'java17 main class is second to last')
  t.equal(expand('dotnet8', 1024, undefined, 'class-library').entryIndex, DOC_ARGV.dotnet8.length - 2, 'dotnet RuntimeSupport dll is second to last')
  t.same(expand('dotnet8', 1024, undefined, 'single-file').argv, ['/var/task/MyFn'])
})

t.test('memory-dependent values', async (t) => {
  t.same(expand('nodejs18.x', 128).argv.slice(4, 6), ['--max-semi-space-size=6', '--max-old-space-size=116'])
  t.same(expand('nodejs18.x', 10240).argv.slice(4, 6), ['--max-semi-space-size=512', '--max-old-space-size=9216'])
  t.notOk(expand('nodejs18.x', undefined).argv.some((a) => a.includes('space-size')), 'node memory flags absent when memory is unset')
  t.same(expand('java8.al2', 128).argv.slice(1, 4), ['-XX:MaxHeapSize=91750k', '-XX:MaxMetaspaceSize=13107k', '-XX:ReservedCodeCacheSize=6554k'])
  t.equal(expand('java17', 10240).argv[1], '-XX:MaxHeapSize=8912896k')
})

t.test('NODE_OPTIONS drops conditional node flags', async (t) => {
  const n24 = expand('nodejs24.x', 1024, { NODE_OPTIONS: '--max-old-space-size=100' })
  t.notOk(n24.argv.some((a) => a.includes('space-size')), 'node 24: both memory flags dropped')
  t.equal(n24.argv[n24.entryIndex], '/var/runtime/index.mjs')
  t.equal(n24.env.NODE_OPTIONS, '--max-old-space-size=100', 'function variables reach the wrapper')
  t.notOk(expand('nodejs24.x', 1024, { NODE_OPTIONS: '--max_semi_space_size=8' }).argv.some((a) => a.includes('space-size')), 'underscore spelling too')
  t.ok(expand('nodejs24.x', 1024, { NODE_OPTIONS: '--enable-source-maps' }).argv.includes('--max-old-space-size=922'), 'other NODE_OPTIONS keep them')

  const n22 = expand('nodejs22.x', 1024)
  t.same(n22.argv.slice(-3), ['--no-experimental-require-module', '--no-experimental-detect-module', '/var/runtime/index.mjs'])
  const n22d = expand('nodejs22.x', 1024, { NODE_OPTIONS: '--experimental-detect-module' })
  t.notOk(n22d.argv.includes('--no-experimental-detect-module'), 'node 22: detect flag dropped')
  t.ok(n22d.argv.includes('--no-experimental-require-module'), 'node 22: require flag kept')
  t.notOk(expand('nodejs20.x', 1024, { NODE_OPTIONS: '--experimental-require-module' }).argv.includes('--no-experimental-require-module'))
  t.notOk(expand('nodejs18.x', 1024).argv.some((a) => a.includes('experimental')), 'node 18 has no experimental flags')

  const user = expand('nodejs20.x', 1024, { NODE_PATH: '/mine' })
  t.equal(user.env.NODE_PATH, '/mine', 'a user NODE_PATH wins')
  t.match(expand('nodejs22.x', 1024).env.NODE_PATH, /^\/opt\/nodejs\/node22\/node_modules:/)
})

t.test('evalExpr', async (t) => {
  t.equal(evalExpr('1 + 2 * 3', {}), 7, 'precedence')
  t.equal(evalExpr('(1 + 2) * 3', {}), 9, 'parentheses')
  t.equal(evalExpr('10 - 4 - 3', {}), 3, 'left associative')
  t.equal(evalExpr('7 / 2', {}), 3, 'integer division')
  t.equal(evalExpr('-7 / 2', {}), -3, 'truncates toward zero')
  t.equal(evalExpr('memory - memory / 10', { memory: 1024 }), 922)
  t.equal(evalExpr('(memory * 1024 * 10 + 50) / 100', { memory: 1024 }), 104858)
  t.throws(() => evalExpr('mem + 1', { memory: 1 }), { message: 'bad expression "mem + 1": unknown name "mem"' })
  t.throws(() => evalExpr('1 2', {}), { message: 'bad expression "1 2": unexpected "2"' })
  t.throws(() => evalExpr('1 + 1 )', {}), { message: /unexpected "\)"/ })
  t.throws(() => evalExpr('4 / (2 - 2)', {}), { message: 'bad expression "4 / (2 - 2)": division by zero' })
  t.throws(() => evalExpr('(1 + 2', {}), { message: /missing \)/ })
  t.throws(() => evalExpr('1 +', {}), { message: /unexpected end/ })
  t.throws(() => evalExpr('', {}), { message: /unexpected end/ })
  t.equal(interpolate('a=${memory / 2}k, b=${1 + 1}', { memory: 10 }), 'a=5k, b=2')
  t.equal(interpolate('$LATEST', {}), '$LATEST', 'a bare $ is literal')
})

t.test('selectRuntimes', async (t) => {
  const ids = (glob: string) => selectRuntimes(runtimes, glob).map((r) => `${r.id}:${r.mode}`)
  t.same(ids('nodejs*'), ['nodejs18.x:default', 'nodejs20.x:default', 'nodejs22.x:default', 'nodejs24.x:default'])
  t.same(ids('java17'), ['java17:default'])
  t.same(ids('dotnet8:single-file'), ['dotnet8:single-file'])
  t.same(ids('dotnet8'), ['dotnet8:class-library', 'dotnet8:executable-assembly', 'dotnet8:single-file'])
  t.same(ids('java17, ruby3.?'), ['java17:default', 'ruby3.2:default', 'ruby3.3:default', 'ruby3.4:default'])
  t.same(ids('provided.al2'), ['provided.al2:default'], '"." is literal')
  t.same(ids('java17,java1*'), ['java11:default', 'java17:default'], 'each runtime once, in catalogue order')

  // A glob that matches nothing is a usage error (exit 2) that says what was meant.
  const fails = (glob: string, message: RegExp | string) => t.throws(() => selectRuntimes(runtimes, glob), { message, exitCode: 2 }, glob)
  fails('nodejs20', '--runtime nodejs20: no such runtime; did you mean "nodejs20.x"?')
  fails('python3.1', '--runtime python3.1: no such runtime; did you mean "python3.10"?')
  fails('pyton3.12', '--runtime pyton3.12: no such runtime; did you mean "python3.12"?')
  fails('nodejs99.x', /^--runtime nodejs99\.x: no such runtime; known: /)
  fails('dotnet8:singlefile', '--runtime dotnet8:singlefile: dotnet8 has no mode "singlefile"; its modes: dotnet8:class-library, dotnet8:executable-assembly, dotnet8:single-file (or dotnet8 for all of them)')
  fails('dotnet1', '--runtime dotnet1: no such runtime; did you mean "dotnet10"? (modes: dotnet10:class-library, dotnet10:executable-assembly, dotnet10:single-file)')
  fails('dotnet9', /^--runtime dotnet9: no such runtime; known: /)
  fails('java17,jav21', '--runtime jav21: no such runtime; did you mean "java21"?')
  fails('cobol', /^--runtime cobol: no such runtime; known: dotnet6, .*ruby3\.4 \(see docs\/runtimes\.md\)$/)
  fails(' , ', /give a runtime id or a glob/)
  t.throws(() => selectRuntimes(runtimes, 'nodejs20', 'runtimes[0]'), { message: /^runtimes\[0\] nodejs20: / }, 'the caller names the option')
})

t.test('runtime ids: the generated union is in sync with runtimes/*.json', async (t) => {
  const script = fileURLToPath(new URL('../scripts/runtime-ids.mjs', import.meta.url))
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' })
  t.equal(r.status, 0, `src/runtimes/ids.ts is current (${r.stderr.trim() || 'ok'})`)
  t.same([...RUNTIME_IDS].sort(), [...new Set(runtimes.filter((f) => f.family !== 'none').map((f) => f.id))].sort())
})

t.test('deprecation dates and the default runtimes', async (t) => {
  for (const f of runtimes) t.match(f.deprecation, /^20\d\d-\d\d-\d\d$/, `${f.id}:${f.mode} has a deprecation date`)
  for (const [id, date] of Object.entries({ 'nodejs24.x': '2028-04-30', 'python3.14': '2029-06-30', java25: '2029-06-30', dotnet10: '2028-11-14', 'ruby3.4': '2028-03-31' }))
    t.equal(find(id, id === 'dotnet10' ? 'class-library' : 'default').deprecation, date, `${id} deprecation`)
  const catalogue = loadCatalogue()
  // Fixed by the catalogue date, not today's: the same wrapgen version builds the same default layer.
  t.equal(CATALOGUE_DATE, '2026-11-30')
  t.same(supportedRuntimes(catalogue), ['dotnet10', 'java21', 'java25', 'nodejs22.x', 'nodejs24.x', 'python3.12', 'python3.13', 'python3.14', 'ruby3.3', 'ruby3.4'])
  t.ok(supportedRuntimes(catalogue).length <= MAX_COMPATIBLE_RUNTIMES, 'the default list fits PublishLayerVersion')
  t.same(supportedRuntimes(catalogue, '2024-01-01').length, RUNTIME_IDS.length, 'on an earlier day every runtime was supported')
  t.notOk(supportedRuntimes(catalogue).some((id) => id.startsWith('provided')), 'never an OS-only runtime')
})

t.test('compatibleRuntimes: at most 15, the longest-supported kept', async (t) => {
  const catalogue = loadCatalogue()
  const few = ['nodejs22.x', 'python3.12']
  t.same(compatibleRuntimes(few, catalogue), { kept: few, leftOut: [] })
  const all = [...RUNTIME_IDS]
  const { kept, leftOut } = compatibleRuntimes(all, catalogue)
  t.equal(kept.length, 15)
  t.equal(kept.length + leftOut.length, all.length, 'nothing lost')
  // Earliest deprecation first; among equal dates (2026-06-30), the one listed last.
  t.same(leftOut, ['dotnet6', 'nodejs18.x', 'nodejs20.x', 'python3.9', 'python3.11', 'ruby3.2'], 'the deprecated ones go first')
  t.ok(kept.includes('nodejs24.x') && kept.includes('python3.14') && kept.includes('java25') && kept.includes('dotnet10'), 'the newest stay')
  t.same(kept, all.filter((id) => kept.includes(id)), 'kept in the configured order')
  t.same(compatibleRuntimes(['nodejs22.x', 'nodejs22.x'], catalogue).kept, ['nodejs22.x'], 'duplicates once')
})

t.test('loadCatalogue rejects bad fixtures', async (t) => {
  const good = { id: 'x1', family: 'node', mode: 'default', status: 'inferred', deprecation: '2030-01-31', source: 's', argv: ['/bin/x', { arg: 'y' }], entry: 'y', env: {} }
  const fails = (name: string, content: unknown, message: RegExp) => {
    const dir = t.testdir({ [name]: typeof content === 'string' ? content : JSON.stringify(content) })
    t.throws(() => loadCatalogue(dir), { message }, `${name}: ${String(message)}`)
  }
  fails('bad.json', '{ "id": ', /bad\.json: not valid JSON: /)
  fails('a.json', null, /a\.json: expected an object \(see docs\/runtimes\.md\)/)
  fails('a.json', { ...good, id: '' }, /"id" must be a runtime identifier/)
  fails('a.json', { ...good, family: 'go' }, /"family" must be one of node, python, java, dotnet, ruby, none/)
  fails('a.json', { ...good, mode: undefined }, /"mode" must be a string/)
  fails('a.json', { ...good, status: 'guessed' }, /"status" must be "sourced" or "inferred"/)
  fails('a.json', { ...good, deprecation: 'Apr 30, 2026' }, /"deprecation" must be AWS's deprecation date, YYYY-MM-DD/)
  fails('a.json', { ...good, source: undefined }, /"source" must say where the facts come from/)
  fails('a.json', { ...good, argv: 'node' }, /"argv" must be an array/)
  fails('a.json', { ...good, argv: [{ flag: 'x' }] }, /each "argv" element must be a string or \{ "arg": \.\.\. \}/)
  fails('a.json', { ...good, entry: undefined }, /"entry" must be a string or null/)
  fails('a.json', { ...good, env: { A: 1 } }, /a\.json: "env": "A" must be a string/)
  fails('a.json', { ...good, env: undefined }, /"env": expected an object of strings/)
  fails('common-env.json', ['A=1'], /common-env\.json: expected an object of strings/)

  const dir = t.testdir({
    'common-env.json': JSON.stringify({ A: '1' }),
    'x10.json': JSON.stringify({ ...good, id: 'x10' }),
    'x9.json': JSON.stringify({ ...good, id: 'x9' }),
    'notes.txt': 'ignored',
  })
  const cat = loadCatalogue(join(dir))
  t.same(cat.runtimes.map((r) => r.id), ['x9', 'x10'], 'sorted numerically')
  t.same(cat.commonEnv, { A: '1' })
  writeFileSync(join(dir, 'x11.json'), JSON.stringify({ ...good, id: 'x11' }))
  t.equal(loadCatalogue(dir).runtimes.length, 3, 'other directories are not cached')
})
