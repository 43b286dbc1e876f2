// The config door: finding and reading files (load), checking them (validate), filling defaults (resolve), and what users see.
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { main } from '../src/cli/main.js'
import { loadConfig, SEARCH_PLACES } from '../src/config/load.js'
import { openConfig, wrappableRuntimes } from '../src/config/open.js'
import { supportedRuntimes } from '../src/runtimes/supported.js'
import { resolveConfig } from '../src/config/resolve.js'
import type { WrapgenConfig } from '../src/config/types.js'
import type { Finding } from '../src/config/validate.js'
import { UserError } from '../src/errors.js'
import { loadCatalogue } from '../src/runtimes/catalogue.js'

/** How messages name files: relative to the process's cwd. */
const rel = (p: string): string => relative(process.cwd(), p) || p
const pkg = (extra: object = {}): string => JSON.stringify({ name: 'fixture', private: true, type: 'module', ...extra })
/** Temp bundles the `.ts` loader writes beside a config (must never survive a load). */
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => /^\.wrapgen\.config\..*\.mjs$/.test(f))

/** Runs `fn`, which must reject with a UserError, and returns that error. */
async function userError(t: Test, fn: () => Promise<unknown>): Promise<UserError> {
  try {
    await fn()
  } catch (e) {
    t.type(e, UserError, 'a UserError')
    return e as UserError
  }
  t.fail('expected a UserError')
  throw new Error('unreachable')
}

// One raw config per file; each says which file it came from.
const sample = (place: string): { name: string; failMode: 'closed'; runtimes: string[] } => ({
  name: `from${place.replace(/[^a-z]/g, '-')}`.replace(/-+/g, '-'),
  failMode: 'closed',
  runtimes: ['nodejs20.x'],
})
const json = (v: unknown): string => JSON.stringify(v, null, 2)
const yaml = (v: ReturnType<typeof sample>): string => `# a YAML comment\nname: ${v.name}\nfailMode: ${v.failMode}\nruntimes:\n  - ${v.runtimes[0]}\n`
// TypeScript syntax on purpose (a type annotation), so only a TS-aware loader reads these.
const ts = (v: unknown): string => `const config: { name: string } = ${JSON.stringify(v)}\nexport default config\n`

/** The file contents for each search place (package.json carries the config under its `wrapgen` key). */
const CONTENTS: Record<string, (v: ReturnType<typeof sample>) => string> = {
  'package.json': (v) => pkg({ wrapgen: v }),
  '.wrapgenrc': json,
  '.wrapgenrc.json': json,
  '.wrapgenrc.yaml': yaml,
  '.wrapgenrc.yml': yaml,
  '.wrapgenrc.js': (v) => `export default ${JSON.stringify(v)}\n`,
  '.wrapgenrc.mjs': (v) => `export default ${JSON.stringify(v)}\n`,
  '.wrapgenrc.cjs': (v) => `module.exports = ${JSON.stringify(v)}\n`,
  '.wrapgenrc.ts': ts,
  'wrapgen.config.ts': ts,
  'wrapgen.config.mts': ts,
  'wrapgen.config.cts': ts,
  'wrapgen.config.mjs': (v) => `export default ${JSON.stringify(v)}\n`,
  'wrapgen.config.cjs': (v) => `module.exports = ${JSON.stringify(v)}\n`,
  'wrapgen.config.js': (v) => `export default ${JSON.stringify(v)}\n`,
}

t.test('load: every search place and format', async (t) => {
  t.same(Object.keys(CONTENTS), SEARCH_PLACES, 'the table covers every search place, in order')
  for (const place of SEARCH_PLACES) {
    const want = sample(place)
    const dir = t.testdir({
      ...(place === 'package.json' ? {} : { 'package.json': pkg() }),
      [place]: CONTENTS[place]!(want),
    })
    const got = await loadConfig({ cwd: dir })
    t.same(got, { raw: want, configFile: join(dir, place), root: dir }, place)
    t.same(leftovers(dir), [], `${place}: no temp bundle left`)
  }
  const yamlRc = sample('.wrapgenrc')
  const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc': yaml(yamlRc) })
  t.same((await loadConfig({ cwd: dir })).raw, yamlRc, '.wrapgenrc holding YAML')
})

t.test('load: search from a subfolder finds the config in the package root', async (t) => {
  const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc.json': json({ name: 'root' }), src: { handlers: { deep: {} } } })
  const got = await loadConfig({ cwd: join(dir, 'src/handlers/deep') })
  t.same(got, { raw: { name: 'root' }, configFile: join(dir, '.wrapgenrc.json'), root: dir })
})

t.test('load: the search stops at the nearest package.json', async (t) => {
  const dir = t.testdir({ 'wrapgen.config.js': 'export default { name: "outer" }\n', 'package.json': pkg(), inner: { 'package.json': pkg() } })
  const e = await userError(t, () => loadConfig({ cwd: join(dir, 'inner') }))
  t.equal(e.message, `${rel(join(dir, 'inner'))}: no wrapgen config found; run "wrapgen init" to write one, or pass --config FILE`)
})

t.test('load: configFile loads that file, relative to cwd, ignoring the search', async (t) => {
  const dir = t.testdir({
    'package.json': pkg(),
    '.wrapgenrc.json': json({ name: 'searched' }),
    configs: { 'prod.yaml': 'name: prod\n', 'staging.config.ts': ts({ name: 'staging' }) },
  })
  t.same(await loadConfig({ cwd: dir, configFile: 'configs/prod.yaml' }), {
    raw: { name: 'prod' }, configFile: join(dir, 'configs/prod.yaml'), root: join(dir, 'configs'),
  })
  t.same(await loadConfig({ cwd: dir, configFile: join(dir, 'configs/staging.config.ts') }), {
    raw: { name: 'staging' }, configFile: join(dir, 'configs/staging.config.ts'), root: join(dir, 'configs'),
  }, 'an absolute path')
})

t.test('load: precedence is SEARCH_PLACES order (package.json first, wrapgen.config.js last)', async (t) => {
  const dir = t.testdir({ ...Object.fromEntries(SEARCH_PLACES.map((p) => [p, CONTENTS[p]!(sample(p))])) })
  t.equal((await loadConfig({ cwd: dir })).configFile, join(dir, 'package.json'), 'a wrapgen key in package.json beats every file')
  // Take away the winner each time: the next place in the list wins.
  for (const [i, place] of SEARCH_PLACES.entries()) {
    const got = await loadConfig({ cwd: dir })
    t.equal(got.configFile, join(dir, place), `${place} beats ${SEARCH_PLACES.slice(i + 1).join(', ') || 'nothing left'}`)
    t.same(got.raw, sample(place))
    if (place === 'package.json') writeFileSync(join(dir, place), pkg())
    else rmSync(join(dir, place))
  }
  t.same(leftovers(dir), [])
})

t.test('load: a .ts config may import local .ts files, packages beside it, and wrapgen', async (t) => {
  const dir = t.testdir({
    'package.json': pkg(),
    'wrapgen.config.ts': [
      "import { defineConfig } from 'wrapgen'",
      "import { flags } from './shared/flags.ts'",
      "import { pythonFlags } from './shared/python.js'",
      "import { extra } from 'fake-flags'",
      "export default defineConfig({ name: 'ts-imports', node: { flags: [...flags, ...extra] }, python: { flags: pythonFlags } })",
      '',
    ].join('\n'),
    shared: {
      'flags.ts': "export const flags: string[] = ['--enable-source-maps']\n",
      // Imported as './shared/python.js': the TypeScript convention for a .ts file.
      'python.ts': "export const pythonFlags: readonly string[] = ['-X', 'importtime']\n",
    },
    // A package that exists only in the config folder's node_modules (left external, resolved at import).
    node_modules: {
      'fake-flags': {
        'package.json': JSON.stringify({ name: 'fake-flags', version: '1.0.0', type: 'module', exports: './index.js' }),
        'index.js': "export const extra = ['--stack-trace-limit=50']\n",
      },
    },
  })
  const got = await loadConfig({ cwd: dir })
  t.same(got.raw, {
    name: 'ts-imports',
    node: { flags: ['--enable-source-maps', '--stack-trace-limit=50'] },
    python: { flags: ['-X', 'importtime'] },
  })
  t.equal(got.configFile, join(dir, 'wrapgen.config.ts'))
  t.same(leftovers(dir), [], 'the temporary .wrapgen.config.*.mjs is removed')
  t.same(readdirSync(dir).sort(), ['node_modules', 'package.json', 'shared', 'wrapgen.config.ts'], 'nothing else was written')
})

t.test('load: errors name the file', async (t) => {
  t.test('a .ts syntax error: file and line', async (t) => {
    const dir = t.testdir({ 'package.json': pkg(), 'wrapgen.config.ts': "export default {\n  name: 'x',\n  oops oops\n}\n" })
    const e = await userError(t, () => loadConfig({ cwd: dir }))
    t.equal(e.message, `${rel(join(dir, 'wrapgen.config.ts'))}:3: Expected "}" but found "oops"`)
    t.ok(e.cause, 'keeps the esbuild error as cause')
    t.same(leftovers(dir), [])
  })
  t.test('a .ts config that throws while loading: no temp bundle left', async (t) => {
    const dir = t.testdir({ 'package.json': pkg(), 'wrapgen.config.ts': "throw new Error('boom')\nexport default {}\n" })
    const e = await userError(t, () => loadConfig({ cwd: dir }))
    t.equal(e.message, `${rel(join(dir, 'wrapgen.config.ts'))}: cannot read the config: boom`)
    t.same(leftovers(dir), [])
  })
  t.test('bad JSON: the file, line and column, and the parser\'s reason', async (t) => {
    const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc.json': '{ "name": "x",\n  "failMode": }\n' })
    const e = await userError(t, () => loadConfig({ cwd: dir }))
    t.equal(e.message, `${rel(join(dir, '.wrapgenrc.json'))}:2:15: cannot read the config: Unexpected "}" in JSON`, 'line and column (before: a character position, or none)')
    t.notMatch(e.message, /JSON Error in|position/, 'no absolute path repeated from cosmiconfig, no character position')
    // A trailing comma, which JSON.parse reports with no position at all.
    const comma = t.testdir({ 'package.json': pkg(), '.wrapgenrc.json': '{\n  "name": "x",\n  "runtimes": ["nodejs20.x",]\n}\n' })
    t.equal((await userError(t, () => loadConfig({ cwd: comma }))).message, `${rel(join(comma, '.wrapgenrc.json'))}:3:28: cannot read the config: JSON does not support trailing commas`)
    // package.json, which cosmiconfig parses itself.
    const inPackage = t.testdir({ 'package.json': '{\n  "name": "p",\n  "wrapgen": { "name": "x" }\n  "private": true\n}\n' })
    t.equal((await userError(t, () => loadConfig({ cwd: inPackage }))).message, `${rel(join(inPackage, 'package.json'))}:4:3: cannot read the config: Expected "," in JSON but found "\\"private\\""`)
  })
  t.test('bad YAML: the file and the parser\'s reason', async (t) => {
    const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc.yaml': 'name: x\n  bad: [\n' })
    const e = await userError(t, () => loadConfig({ cwd: dir }))
    t.equal(e.message, `${rel(join(dir, '.wrapgenrc.yaml'))}: cannot read the config: bad indentation of a mapping entry (2:6)`)
  })
  t.test('an explicit config whose own code hits ENOENT is not "no such config file"', async (t) => {
    const dir = t.testdir({
      'package.json': pkg(),
      'my.config.js': "import { readFileSync } from 'node:fs'\nexport default JSON.parse(readFileSync(new URL('./missing.json', import.meta.url), 'utf8'))\n",
    })
    const e = await userError(t, () => loadConfig({ cwd: dir, configFile: 'my.config.js' }))
    t.match(e.message, `${rel(join(dir, 'my.config.js'))}: cannot read the config: ENOENT`)
  })
})

t.test('load: not found', async (t) => {
  const dir = t.testdir({ 'package.json': pkg(), src: {} })
  const e = await userError(t, () => loadConfig({ cwd: join(dir, 'src') }))
  t.equal(e.message, `${rel(join(dir, 'src'))}: no wrapgen config found; run "wrapgen init" to write one, or pass --config FILE`)
  const viaOpen = await userError(t, () => openConfig({ cwd: dir }))
  t.equal(viaOpen.message, `${rel(dir)}: no wrapgen config found; run "wrapgen init" to write one, or pass --config FILE`)

  const missing = await userError(t, () => loadConfig({ cwd: dir, configFile: 'configs/nope.ts' }))
  t.equal(missing.message, 'configs/nope.ts: no such config file; check --config')
})

// One row per bad config: the detail lines users see, in order.
const BAD: Array<[string, unknown, string[]]> = [
  ['missing name', {}, ['name: is required: it names the layer zip and the manifest, e.g. "acme-startup"']],
  ['bad name', { name: 'My Layer' }, ['name: "My Layer" must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit']],
  ['name not a string', { name: 42 }, ['name: 42 is not a string']],
  ['not an object', ['name'], ['(config): ["name"] is not an object']],
  ['unknown key, close match', { name: 'a', failmode: 'open' }, ['failmode: unknown key; did you mean "failMode"?']],
  ['unknown key, no close match', { name: 'a', layers: [] }, ['layers: unknown key; allowed: name, failMode, runtimes, env, node, python, java, dotnet, ruby, chain, extensions, customRuntime, $schema']],
  ['unknown nested key', { name: 'a', node: { preload: [] } }, ['node.preload: unknown key; did you mean "preloads"?']],
  ['failMode "half"', { name: 'a', failMode: 'half' }, ['failMode: "half" is not allowed; use "open" or "closed"']],
  ['runtimes: unknown, with a guess', { name: 'a', runtimes: ['nodejs19.x'] }, ['runtimes[0]: "nodejs19.x" is not a known runtime; did you mean "nodejs18.x"? (see docs/runtimes.md)']],
  // Several ids are as near: the newest of the family (before: the oldest, python3.10 for python3.15).
  ['runtimes: an unknown version, guessed as the newest', { name: 'a', runtimes: ['python3.19', 'nodejs25.x', 'java26'] }, ['python3', 'nodejs', 'java'].map((family, i) => {
    const newest = wrappableRuntimes().filter((id) => id.startsWith(family)).sort((x, y) => x.localeCompare(y, 'en', { numeric: true })).at(-1)
    return `runtimes[${i}]: ${JSON.stringify(['python3.19', 'nodejs25.x', 'java26'][i])} is not a known runtime; did you mean "${newest}"? (see docs/runtimes.md)`
  })],
  ['runtimes: OS-only', { name: 'a', runtimes: ['nodejs20.x', 'provided.al2'] }, ['runtimes[1]: "provided.al2" never runs AWS_LAMBDA_EXEC_WRAPPER (OS-only runtime); remove it']],
  ['runtimes: not an array', { name: 'a', runtimes: 'nodejs20.x' }, ['runtimes: "nodejs20.x" is not an array of strings']],
  ['env.set: bad variable name', { name: 'a', env: { set: { 'MY-VAR': 'x' } } }, ['env.set.MY-VAR: "MY-VAR" is not a portable variable name (letters, digits, _; not starting with a digit)']],
  ['env.set: name starting with a digit', { name: 'a', env: { set: { '1X': 'x' } } }, ['env.set.1X: "1X" is not a portable variable name (letters, digits, _; not starting with a digit)']],
  ['env.set: non-string value', { name: 'a', env: { set: { LOG_LEVEL: 3 } } }, ['env.set.LOG_LEVEL: 3 is not a string']],
  ['env.set: WRAPGEN_DISABLE', { name: 'a', env: { set: { WRAPGEN_DISABLE: '1' } } }, ["env.set.WRAPGEN_DISABLE: WRAPGEN_DISABLE is wrapgen's own switch; set it on the function instead"]],
  ['env.unset: WRAPGEN_APPLIED', { name: 'a', java: { env: { unset: ['WRAPGEN_APPLIED'] } } }, ["java.env.unset[0]: WRAPGEN_APPLIED is wrapgen's own switch; set it on the function instead"]],
  ['env.prepend: ""', { name: 'a', env: { prepend: { PATH: '' } } }, ['env.prepend.PATH: "" adds nothing; remove the key']],
  ['env.append: ""', { name: 'a', ruby: { env: { append: { RUBYOPT: '' } } } }, ['ruby.env.append.RUBYOPT: "" adds nothing; remove the key']],
  ['env: unknown op', { name: 'a', env: { sett: {} } }, ['env.sett: unknown key; did you mean "set"?']],
  ['node.flags: a bare word', { name: 'a', node: { flags: ['importtime'] } }, [
    'node.flags[0]: "importtime" is not a flag; flags start with "-" (an option\'s value goes in the same element, "--opt=value", or after an option that takes one, such as "-r" or "--require")',
  ]],
  ['python.flags: a bare word', { name: 'a', python: { flags: ['importtime'] } }, [
    'python.flags[0]: "importtime" is not a flag; flags start with "-" (an option\'s value goes in the same element, "--opt=value", or after an option that takes one, such as "-X" or "-W")',
  ]],
  ['flags: not strings', { name: 'a', dotnet: { flags: [1] } }, ['dotnet.flags[0]: 1 is not a string']],
  ['node.preloads[2].module missing', { name: 'a', node: { preloads: ['./a.ts', { module: 'b' }, { critical: true }] } }, [
    'node.preloads[2].module: is required: a local file, a package specifier or "wrapgen/preloads/<name>"',
  ]],
  ['preload: empty module', { name: 'a', node: { preloads: [''] } }, ['node.preloads[0]: "" is not a module; give a file path or a package specifier']],
  ['preload: blank module', { name: 'a', node: { preloads: [{ module: '  ' }] } }, ['node.preloads[0].module: "  " is not a module; give a file path or a package specifier']],
  ['preload options: a function', { name: 'a', node: { preloads: [{ module: 'x', options: { onStart: () => {} } }] } }, [
    'node.preloads[0].options: must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is embedded in the bundle',
  ]],
  ['preload options: a Date', { name: 'a', node: { preloads: [{ module: 'x', options: { at: new Date(0) } }] } }, [
    'node.preloads[0].options: must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is embedded in the bundle',
  ]],
  ['preload options: not an object', { name: 'a', node: { preloads: [{ module: 'x', options: 'verbose' }] } }, ['node.preloads[0].options: "verbose" is not an object']],
  ['preload: critical not boolean', { name: 'a', node: { preloads: [{ module: 'x', critical: 'yes' }] } }, ['node.preloads[0].critical: "yes" is not true or false']],
  ['node.preloads: not an array', { name: 'a', node: { preloads: './a.ts' } }, ['node.preloads: "./a.ts" is not an array']],
  ['node.inject "env"', { name: 'a', node: { inject: 'env' } }, ['node.inject: "env" is not allowed; use "argv" or "NODE_OPTIONS"']],
  ['env.set: IFS', { name: 'a', env: { set: { IFS: ':' } } }, ['env.set.IFS: IFS changes how the wrapper itself reads words; it cannot be set from a wrapper']],
  ['env.unset: a wrapper variable', { name: 'a', node: { env: { unset: ['wrapgen_insert'] } } }, ['node.env.unset[0]: wrapgen_insert is a variable of the wrapper itself; choose another name']],
  ['python.flags ending in an option that takes a value', { name: 'a', python: { flags: ['-X', 'importtime', '-X'] } }, ['python.flags[2]: "-X" takes a value, which must follow it in the list; without one the runtime\'s entry would become its value']],
  ['node.mainFields unknown field', { name: 'a', node: { mainFields: ['module', 'exports'] } }, ['node.mainFields[1]: "exports" is not a package.json field esbuild reads; use "main", "module" or "browser"']],
  ['node.codeCache: a memory size Lambda has not', { name: 'a', node: { codeCache: { memoryMB: [1024, 64] } } }, ['node.codeCache.memoryMB[1]: 64 is not a Lambda memory size; use a whole number of MB from 128 to 10240']],
  ['node.codeCache: not true/false or an object', { name: 'a', node: { codeCache: 'yes' } }, ['node.codeCache: "yes" is not an object']],
  ['chain: relative path', { name: 'a', chain: ['opt/otel-handler'] }, ['chain[0]: "opt/otel-handler" must be an absolute path, e.g. "/opt/otel-handler"']],
  ['a NUL byte in a value', { name: 'a', env: { set: { GREETING: 'hi\0there' } } }, ['env.set.GREETING: "hi\\u0000there" contains a NUL byte, which no argv or environment can carry']],
  ['a NUL byte in a flag', { name: 'a', java: { flags: ['-Dx=\0'] } }, ['java.flags[0]: "-Dx=\\u0000" contains a NUL byte, which no argv or environment can carry']],
]

t.test('validate: one row per bad config (inline, via openConfig)', async (t) => {
  const cwd = t.testdir({})
  for (const [what, config, details] of BAD) {
    const e = await userError(t, () => openConfig({ cwd, config: config as WrapgenConfig }))
    t.equal(e.message, `inline config: ${details.length} problem${details.length === 1 ? '' : 's'} in the config; fix ${details.length === 1 ? 'it' : 'them'} and run again`, what)
    t.same(e.details, details, what)
  }
})

t.test('validate: accepted edge cases', async (t) => {
  const cwd = t.testdir({})
  const got = await openConfig({
    cwd,
    config: {
      name: 'ok.name_1-x',
      python: { flags: ['-X', 'importtime'] },
      node: { flags: ['--require', './x.cjs', '--max-old-space-size=256'], preloads: [{ module: 'x', options: { a: [1, null, 'b', { c: true }] } }] },
      java: { flags: ['-classpath', '/opt/java/lib/*'] },
      env: { set: { _UNDER: '' }, unset: ['NODE_DEBUG'] },
    },
  })
  t.same(got.python.flags, ['-X', 'importtime'], 'a value after an option that takes one')
  t.same(got.node.flags, ['--require', './x.cjs', '--max-old-space-size=256'])
  t.same(got.java.flags, ['-classpath', '/opt/java/lib/*'])
})

t.test('validate: several problems at once are one UserError, in order', async (t) => {
  const cwd = t.testdir({})
  const e = await userError(t, () => openConfig({
    cwd,
    config: {
      failmode: 'open',
      runtimes: ['nodejs19.x', 'provided.al2023'],
      env: { set: { 'A-B': 'x', WRAPGEN_DISABLE: '1' } },
      node: { inject: 'env', preloads: [{ options: { f: () => 1 } }] },
      chain: ['otel'],
    } as unknown as WrapgenConfig,
  }))
  t.equal(e.message, 'inline config: 10 problems in the config; fix them and run again')
  t.same(e.details, [
    'failmode: unknown key; did you mean "failMode"?',
    'name: is required: it names the layer zip and the manifest, e.g. "acme-startup"',
    'runtimes[0]: "nodejs19.x" is not a known runtime; did you mean "nodejs18.x"? (see docs/runtimes.md)',
    'runtimes[1]: "provided.al2023" never runs AWS_LAMBDA_EXEC_WRAPPER (OS-only runtime); remove it',
    'env.set.A-B: "A-B" is not a portable variable name (letters, digits, _; not starting with a digit)',
    "env.set.WRAPGEN_DISABLE: WRAPGEN_DISABLE is wrapgen's own switch; set it on the function instead",
    'chain[0]: "otel" must be an absolute path, e.g. "/opt/otel-handler"',
    'node.inject: "env" is not allowed; use "argv" or "NODE_OPTIONS"',
    'node.preloads[0].module: is required: a local file, a package specifier or "wrapgen/preloads/<name>"',
    'node.preloads[0].options: must be plain JSON (no functions, undefined, symbols, bigints or class instances): it is embedded in the bundle',
  ])
})

t.test('validate: the error header names the config file', async (t) => {
  const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc.json': json({ name: 'a', failMode: 'half' }) })
  const e = await userError(t, () => openConfig({ cwd: dir }))
  t.equal(e.message, `${rel(join(dir, '.wrapgenrc.json'))}: 1 problem in the config; fix it and run again`)
  t.same(e.details, ['failMode: "half" is not allowed; use "open" or "closed"'])

  const direct = (() => {
    try {
      resolveConfig({ name: 'a', node: { inject: 'env' } }, {
        configFile: join(dir, 'wrapgen.config.ts'), root: dir, knownRuntimes: ['nodejs20.x'], defaultRuntimes: ['nodejs20.x'], nodeOptionsFlags: new Set(),
      })
    } catch (e) {
      return e
    }
    return undefined
  })()
  t.type(direct, UserError)
  t.equal((direct as UserError).message, `${rel(join(dir, 'wrapgen.config.ts'))}: 1 problem in the config; fix it and run again`, 'resolveConfig directly')
  t.same((direct as UserError).details, ['node.inject: "env" is not allowed; use "argv" or "NODE_OPTIONS"'])
})

t.test('warnings go to onWarning and do not stop the config', async (t) => {
  const cwd = t.testdir({})
  // --prof is one node refuses in NODE_OPTIONS; --max-old-space-size is allowed there but the runtime's argv wins.
  t.equal(process.allowedNodeEnvironmentFlags.has('--prof'), false, 'node refuses --prof in NODE_OPTIONS')
  t.equal(process.allowedNodeEnvironmentFlags.has('--max-old-space-size'), true)
  const warnings: Finding[] = []
  const got = await openConfig({
    cwd,
    config: {
      name: 'warned',
      env: { set: { PYTHONPATH: '/opt/extra' } },
      python: { env: { default: { AWS_REGION: 'eu-west-1' } } },
      node: { inject: 'NODE_OPTIONS', flags: ['--prof', '--max-old-space-size=512', '--max_semi_space_size=32', '--enable-source-maps'] },
    },
    onWarning: (w) => warnings.push(w),
  })
  t.equal(got.name, 'warned')
  t.same(warnings, [
    { path: 'env.set.PYTHONPATH', message: 'setting PYTHONPATH makes the python runtime drop /opt/python and the layer site-packages from sys.path; prefer a .pth file or append to sys.path in code' },
    { path: 'node.flags[0]', message: '"--prof" is not accepted in NODE_OPTIONS (node refuses to start); use inject: "argv"' },
    { path: 'node.flags[1]', message: '"--max-old-space-size=512" in NODE_OPTIONS is overridden by the runtime\'s own --max-old-space-size on the command line; use inject: "argv" to win' },
    { path: 'node.flags[2]', message: '"--max_semi_space_size=32" in NODE_OPTIONS is overridden by the runtime\'s own --max_semi_space_size on the command line; use inject: "argv" to win' },
    // Families are checked in order node, python, java, dotnet, ruby, after the top-level keys.
    { path: 'python.env.default.AWS_REGION', message: 'AWS_REGION is reserved by Lambda; changing it in a wrapper misleads the runtime' },
  ])

  const none: Finding[] = []
  await openConfig({ cwd, config: { name: 'argv', node: { flags: ['--prof', '--max-old-space-size=512'] } }, onWarning: (w) => none.push(w) })
  t.same(none, [], 'with inject: argv the same flags are fine')
  const prefixed: Finding[] = []
  await openConfig({ cwd, config: { name: 'x', env: { unset: ['AWS_LAMBDA_LOG_FORMAT'] } }, onWarning: (w) => prefixed.push(w) })
  t.same(prefixed, [{ path: 'env.unset[0]', message: 'AWS_LAMBDA_LOG_FORMAT is reserved by Lambda; changing it in a wrapper misleads the runtime' }], 'reserved prefixes')
})

t.test('resolve: defaults', async (t) => {
  const cwd = t.testdir({})
  const got = await openConfig({
    cwd,
    config: {
      name: 'defaults',
      node: {
        preloads: ['./preloads/a.ts', '@acme/preloads/otel', 'wrapgen/preloads/timing', { module: '../up/b.js', options: { level: 2 }, critical: true }, { module: './c.js', budgetMs: 250 }],
      },
    },
  })
  const noEdits = { set: {}, default: {}, prepend: {}, append: {}, unset: [] }
  // The default: the runtimes AWS supports on the catalogue's date (src/runtimes/supported.ts).
  const catalogueIds = supportedRuntimes(loadCatalogue())
  t.same(got, {
    name: 'defaults',
    failMode: 'open',
    runtimes: catalogueIds,
    env: noEdits,
    node: {
      flags: [],
      env: noEdits,
      inject: 'argv',
      external: ['@aws-sdk/*'],
      mainFields: ['main', 'module'],
      imports: [],
      preloads: [
        { name: './preloads/a.ts', import: join(cwd, 'preloads/a.ts'), options: {}, critical: false, budgetMs: 1000 },
        { name: '@acme/preloads/otel', import: '@acme/preloads/otel', options: {}, critical: false, budgetMs: 1000 },
        { name: 'wrapgen/preloads/timing', import: 'wrapgen/preloads/timing', options: {}, critical: false, budgetMs: 1000 },
        { name: '../up/b.js', import: resolve(cwd, '../up/b.js'), options: { level: 2 }, critical: true, budgetMs: 1000 },
        { name: './c.js', import: join(cwd, 'c.js'), options: {}, critical: false, budgetMs: 250 },
      ],
    },
    python: { flags: [], env: noEdits, preloads: [] },
    java: { flags: [], env: noEdits, agents: [], inject: 'argv' },
    dotnet: { flags: [], env: noEdits, startupHooks: [] },
    ruby: { flags: [], env: noEdits, preloads: [] },
    chain: [],
    extensions: [],
    customRuntime: { bootstrap: false, command: '/var/task/main' },
    configFile: undefined,
    root: cwd,
  })
  t.ok(got.runtimes.every((id) => wrappableRuntimes().includes(id)), 'only runtimes that run the wrapper')
  for (const family of ['node', 'python', 'java', 'dotnet', 'ruby']) t.ok(got.runtimes.some((id) => loadCatalogue().runtimes.find((r) => r.id === id)?.family === family), `default runtimes include ${family}`)
  t.notOk(got.runtimes.some((id) => id.startsWith('provided')), 'no OS-only runtime')
})

t.test('resolve: node.codeCache', async (t) => {
  const cwd = t.testdir({})
  const cache = async (codeCache?: boolean | { memoryMB?: number[] }) => (await openConfig({ cwd, config: { name: 'c', node: codeCache === undefined ? {} : { codeCache } } })).node.codeCache
  t.equal(await cache(), undefined, 'absent: no cache')
  t.equal(await cache(false), undefined, 'false: no cache')
  t.same(await cache(true), { memoryMB: [] }, 'true: only the cache for node without memory flags')
  t.same(await cache({}), { memoryMB: [] })
  t.same(await cache({ memoryMB: [1024, 512, 1024] }), { memoryMB: [512, 1024] }, 'memory sizes sorted, once each (the layer is the same for any order)')
})

t.test('resolve: from a file, local paths resolve from the config folder, not cwd', async (t) => {
  const dir = t.testdir({
    'package.json': pkg(),
    'wrapgen.config.ts': ts({ name: 'file', runtimes: ['nodejs22.x'], node: { preloads: ['./hooks/a.ts', 'pkg/b'], external: [] } }),
    src: {},
  })
  const got = await openConfig({ cwd: join(dir, 'src') })
  t.equal(got.configFile, join(dir, 'wrapgen.config.ts'))
  t.equal(got.root, dir)
  t.same(got.runtimes, ['nodejs22.x'])
  t.same(got.node.external, [], 'an explicit empty external list is kept')
  t.same(got.node.preloads.map((p) => p.import), [join(dir, 'hooks/a.ts'), 'pkg/b'])
})

t.test('cli: a config error is one message plus one line per problem, exit 1, no stack', async (t) => {
  const dir = t.testdir({ 'package.json': pkg(), '.wrapgenrc.json': json({ name: 'cli', failmode: 'open', node: { inject: 'env' } }) })
  const header = `wrapgen: ${rel(join(dir, '.wrapgenrc.json'))}: 2 problems in the config; fix them and run again\n`
  const expected = `${header}  - failmode: unknown key; did you mean "failMode"?\n  - node.inject: "env" is not allowed; use "argv" or "NODE_OPTIONS"\n`
  for (const debug of [false, true]) {
    let out = ''
    let err = ''
    const code = await main(['build', '--cwd', dir, ...(debug ? ['--debug'] : [])], { out: (s) => void (out += s), err: (s) => void (err += s) })
    t.equal(code, 1, `exit code (debug: ${debug})`)
    t.equal(out, '', 'nothing on stdout')
    t.equal(err, expected, `stderr (debug: ${debug}): a validation error has no cause, so --debug adds nothing`)
    t.notMatch(err, /\n\s+at /, 'no stack trace')
  }
  t.same(readdirSync(dir).sort(), ['.wrapgenrc.json', 'package.json'], 'nothing was built')
})

t.test('cli: a config that does not parse; --debug adds the cause\'s stack', async (t) => {
  const dir = t.testdir({ 'package.json': pkg(), 'wrapgen.config.ts': "export default {\n  name: 'x',\n  oops oops\n}\n" })
  const line = `wrapgen: ${rel(join(dir, 'wrapgen.config.ts'))}:3: Expected "}" but found "oops"\n`
  const run = async (...extra: string[]): Promise<[number, string]> => {
    let err = ''
    const code = await main(['build', '--cwd', dir, ...extra], { out: () => {}, err: (s) => void (err += s) })
    return [code, err]
  }
  t.same(await run(), [1, line], 'one line, no stack')
  const [code, err] = await run('--debug')
  t.equal(code, 1)
  t.ok(err.startsWith(line), 'the same line first')
  t.match(err.slice(line.length), /^Error: Build failed with 1 error[\s\S]*\n\s+at /, 'then the cause\'s stack')
})

t.test('load: .ts configs are bundled in memory and behave as if loaded from their own file', async (t) => {
  const dir = t.testdir({
    'package.json': pkg(),
    'wrapgen.config.ts': [
      "import { fileURLToPath } from 'node:url'",
      "import { extra } from 'esm-flags'",
      'const here: string = fileURLToPath(import.meta.url)',
      "export default { name: 'where', node: { flags: extra }, python: { flags: ['-X', here] } }",
      '',
    ].join('\n'),
    'cjs.config.cts': "const flags: string[] = require('cjs-flags')\nexport default { name: 'cts', node: { flags } }\n",
    // Both kinds of package, beside the config only: resolved from the config's folder, not the bundle's.
    node_modules: {
      'esm-flags': { 'package.json': JSON.stringify({ name: 'esm-flags', type: 'module', exports: { import: './index.js' } }), 'index.js': "export const extra = ['--no-warnings']\n" },
      'cjs-flags': { 'package.json': JSON.stringify({ name: 'cjs-flags', main: 'main.js' }), 'main.js': "module.exports = ['--no-deprecation']\n" },
    },
  })
  const before = readdirSync(dir).sort()
  const got = await loadConfig({ cwd: dir })
  t.same(got.raw, { name: 'where', node: { flags: ['--no-warnings'] }, python: { flags: ['-X', join(dir, 'wrapgen.config.ts')] } }, 'import.meta.url is the config file')
  const cts = await loadConfig({ cwd: dir, configFile: 'cjs.config.cts' })
  t.same(cts.raw, { name: 'cts', node: { flags: ['--no-deprecation'] } }, "a .cts config's require() resolves from its folder")
  t.same(readdirSync(dir).sort(), before, 'nothing written beside the configs')
  // Loaded twice, the second load is a fresh module (data: URLs are cached by their text).
  t.not((await loadConfig({ cwd: dir })).raw, got.raw)
})

t.test('load: what a JS config module exports', async (t) => {
  const cases: Array<[string, string, RegExp | unknown]> = [
    ['default.config.mjs', "export default { name: 'ok' }\n", { name: 'ok' }],
    ['promise.config.mjs', "export default Promise.resolve({ name: 'later' })\n", { name: 'later' }],
    ['cjs.config.cjs', "module.exports = { name: 'cjs' }\n", { name: 'cjs' }],
    ['null.config.mjs', 'export default null\n', /: its default export is null; export the config object/],
    ['undef.config.cjs', 'module.exports = undefined\n', /: its default export is undefined; /],
    ['named.config.mjs', 'export const name = "x"\n', /: has no default export \(only name\); write: export default defineConfig/],
    ['nothing.config.mjs', 'const x = 1\n', /: has no default export; write: /],
    ['string.config.mjs', 'throw "text"\n', /: cannot read the config: threw "text"$/],
    ['syntax.config.mjs', 'export default {\n  name: "x" "y"\n}\n', /syntax\.config\.mjs:2:13: syntax error: /],
  ]
  const dir = t.testdir({ 'package.json': pkg(), ...Object.fromEntries(cases.map(([f, c]) => [f, c])) })
  for (const [file, , want] of cases) {
    if (want instanceof RegExp) t.match((await userError(t, () => loadConfig({ cwd: dir, configFile: file }))).message, want, file)
    else t.same((await loadConfig({ cwd: dir, configFile: file })).raw, want, file)
  }
})

t.test('load: sizes are bounded', async (t) => {
  const bomb = ['name: bomb', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 6 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`), ''].join('\n')
  const cyclic = 'const c = { name: "cycle" }\nc.self = c\nexport default c\n'
  const dir = t.testdir({ 'package.json': pkg(), 'bomb.yaml': bomb, 'cycle.config.mjs': cyclic, 'big.json': `{"name":"${'a'.repeat(1024 * 1024 + 1)}"}` })
  const started = Date.now()
  t.match((await userError(t, () => loadConfig({ cwd: dir, configFile: 'bomb.yaml' }))).message, /bomb\.yaml: the config holds more than 100000 values/)
  t.ok(Date.now() - started < 2000, `the alias bomb fails fast (${Date.now() - started} ms)`)
  t.match((await userError(t, () => loadConfig({ cwd: dir, configFile: 'cycle.config.mjs' }))).message, /the config holds more than 100000 values/, 'a cycle too')
  t.match((await userError(t, () => loadConfig({ cwd: dir, configFile: 'big.json' }))).message, /^big\.json: 1\.0 MiB is too large for a config \(at most 1 MiB\)$/)
  t.match((await userError(t, () => openConfig({ cwd: dir, config: { name: 'x', node: { flags: Array(200_000).fill('-x') } } as WrapgenConfig }))).message, /^the config: the config holds more than/, 'an inline config too')
})

t.test('load: a config runs in a worker of its own: its process.exit, loop or console.log never reach wrapgen, also for loads at once', async (t) => {
  const dir = t.testdir({
    'package.json': pkg(),
    'exits.config.mjs': 'process.exit(0)\nexport default { name: "x" }\n',
    'slow.config.mjs': 'await new Promise((r) => setTimeout(r, 50))\nexport default { name: "slow" }\n',
    'fast.config.mjs': 'export default { name: "fast" }\n',
  })
  const exit = process.exit
  const listeners = process.listenerCount('beforeExit')
  const results = await Promise.allSettled(['slow', 'exits', 'fast'].map((n) => loadConfig({ cwd: dir, configFile: `${n}.config.mjs` })))
  t.equal(process.exit, exit, 'process.exit is never replaced in wrapgen\'s own thread')
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'an exit fails its own load only: the others, loading at once, are apart')
  t.match((results[1] as PromiseRejectedResult).reason, { message: /exits\.config\.mjs: called process\.exit\(0\) while loading/ })
  t.same((results[0] as PromiseFulfilledResult<{ raw: unknown }>).value.raw, { name: 'slow' })
  t.equal(process.listenerCount('beforeExit'), listeners, 'no watchdog left listening')
})
