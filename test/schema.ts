// wrapgen/schema.json: in sync with src/config/schema.ts, valid JSON Schema for a real validator
// (ajv), and in agreement with wrapgen's own validation on the examples and on wrong configs.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as AjvModule from 'ajv'
import t from 'tap'
import { loadConfig } from '../src/config/load.js'
import { openConfig, wrappableRuntimes } from '../src/config/open.js'
import { CONFIG_KEYS, configSchema, ENV_KEYS, NODE_KEYS, PRELOAD_KEYS, RUNTIME_KEYS, schemaJson, type JsonSchema } from '../src/config/schema.js'
import { validateConfig } from '../src/config/validate.js'
import { HOOK_KEYS } from '../src/startup-hooks/validate.js'
import { RUNTIME_IDS } from '../src/runtimes/ids.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
// ajv is CommonJS: its default export arrives as the module object under NodeNext.
const Ajv = AjvModule.Ajv
const ajv = new Ajv({ allErrors: true, strict: true })
const schema = JSON.parse(readFileSync(join(repo, 'schema.json'), 'utf8')) as JsonSchema
const validateSchema = ajv.compile(schema)

const wrapgenErrors = (raw: unknown): string[] =>
  validateConfig(raw, { knownRuntimes: wrappableRuntimes(), nodeOptionsFlags: process.allowedNodeEnvironmentFlags }).errors.map((e) => `${e.path}: ${e.message}`)
const schemaErrors = (raw: unknown): string[] => (validateSchema(raw) ? [] : (validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message}`))

t.test('schema.json is what src/config/schema.ts renders (npm run schema)', async (t) => {
  t.equal(readFileSync(join(repo, 'schema.json'), 'utf8'), schemaJson())
  const s = configSchema()
  const keys = (o: JsonSchema | undefined): string[] => Object.keys(o?.properties ?? {})
  t.same(keys(s), [...CONFIG_KEYS])
  t.same(keys(s.properties!.env), [...ENV_KEYS])
  // Each runtime's keys: flags and env, plus the startup-hook keys validation accepts for it.
  for (const family of ['python', 'java', 'dotnet', 'ruby'] as const) t.same(keys(s.properties![family]), [...RUNTIME_KEYS, ...HOOK_KEYS[family]], family)
  t.same(keys(s.properties!.node), [...NODE_KEYS])
  t.same(keys(s.properties!.node!.properties!.preloads!.items!.oneOf![1]), [...PRELOAD_KEYS])
  t.same(s.properties!.runtimes!.items!.enum, RUNTIME_IDS, 'runtime ids from the catalogue')
  t.ok(ajv.validateSchema(schema), 'a valid draft-07 schema')
})

t.test('the examples and a full config pass both', async (t) => {
  const examples = ['examples/basic', 'examples/service']
  const configs: Array<[string, unknown]> = []
  for (const e of examples) configs.push([e, (await loadConfig({ cwd: join(repo, e), configFile: undefined })).raw])
  configs.push(['full', {
    $schema: './node_modules/wrapgen/schema.json',
    name: 'acme-startup',
    failMode: 'closed',
    runtimes: ['nodejs22.x', 'python3.14', 'java25', 'dotnet10', 'ruby3.4'],
    env: { set: { LOG_LEVEL: 'info' }, default: { A: '' }, prepend: { PATH: '/opt/acme/bin' }, append: { NODE_OPTIONS: '--enable-source-maps' }, unset: ['DEBUG'] },
    node: {
      flags: ['--enable-source-maps'],
      env: { set: { NODE_ENV: 'production' } },
      preloads: ['./preloads/warm.ts', { module: 'wrapgen/preloads/timing', options: { a: [1, { b: null }] }, critical: true }],
      inject: 'NODE_OPTIONS',
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
    },
    python: { flags: ['-X', 'importtime'] },
    java: { env: { append: { JAVA_TOOL_OPTIONS: '-Dx=1' } } },
    dotnet: {},
    ruby: { flags: ['-W0'] },
    chain: ['/opt/otel-handler'],
  }])
  // Warnings are not errors: a reserved variable is allowed by both.
  configs.push(['warning only', { name: 'w', env: { set: { AWS_REGION: 'eu-west-1' } } }])
  configs.push(['minimal', { name: 'x' }])
  for (const [what, raw] of configs) {
    t.same(wrapgenErrors(raw), [], `${what}: wrapgen accepts it`)
    t.same(schemaErrors(raw), [], `${what}: the schema accepts it`)
  }
})

// Each wrong config, and the key path wrapgen names. Both must reject every one.
const WRONG: Array<[string, unknown, string]> = [
  ['not an object', ['name'], '(config)'],
  ['no name', { failMode: 'open' }, 'name'],
  ['name with capitals', { name: 'Acme' }, 'name'],
  ['name too long', { name: 'a'.repeat(65) }, 'name'],
  ['name not a string', { name: 7 }, 'name'],
  ['unknown top-level key', { name: 'x', failmode: 'open' }, 'failmode'],
  ['$schema not a string', { name: 'x', $schema: 1 }, '$schema'],
  ['failMode', { name: 'x', failMode: 'half' }, 'failMode'],
  ['runtime misspelt', { name: 'x', runtimes: ['nodejs20'] }, 'runtimes[0]'],
  ['OS-only runtime', { name: 'x', runtimes: ['provided.al2023'] }, 'runtimes[0]'],
  ['runtimes not an array', { name: 'x', runtimes: 'nodejs22.x' }, 'runtimes'],
  ['env op misspelt', { name: 'x', env: { sett: { A: '1' } } }, 'env.sett'],
  ['variable name', { name: 'x', env: { set: { 'A-B': '1' } } }, 'env.set.A-B'],
  ['variable value not a string', { name: 'x', env: { set: { PORT: 8080 } } }, 'env.set.PORT'],
  ['wrapgen switch', { name: 'x', env: { set: { WRAPGEN_DISABLE: '1' } } }, 'env.set.WRAPGEN_DISABLE'],
  ['wrapper-internal variable', { name: 'x', env: { default: { wrapgen_x: '1' } } }, 'env.default.wrapgen_x'],
  ['IFS', { name: 'x', node: { env: { set: { IFS: ',' } } } }, 'node.env.set.IFS'],
  ['empty prepend', { name: 'x', env: { prepend: { PATH: '' } } }, 'env.prepend.PATH'],
  ['unset a bad name', { name: 'x', env: { unset: ['1A'] } }, 'env.unset[0]'],
  ['NUL byte', { name: 'x', env: { set: { A: 'a\0b' } } }, 'env.set.A'],
  ['flags not an array', { name: 'x', node: { flags: '--enable-source-maps' } }, 'node.flags'],
  ['flag not a string', { name: 'x', python: { flags: [1] } }, 'python.flags[0]'],
  ['node-only key on python', { name: 'x', python: { external: ['x'] } }, 'python.external'],
  ['java agent without its jar', { name: 'x', java: { agents: [{ options: 'a=1' }] } }, 'java.agents[0].jar'],
  ['budgetMs not a number', { name: 'x', node: { preloads: [{ module: './a.ts', budgetMs: 'soon' }] } }, 'node.preloads[0].budgetMs'],
  ['inject', { name: 'x', node: { inject: 'env' } }, 'node.inject'],
  ['mainFields', { name: 'x', node: { mainFields: ['exports'] } }, 'node.mainFields[0]'],
  ['codeCache memory size', { name: 'x', node: { codeCache: { memoryMB: [100] } } }, 'node.codeCache.memoryMB[0]'],
  ['preload without module', { name: 'x', node: { preloads: [{ critical: true }] } }, 'node.preloads[0].module'],
  ['blank preload', { name: 'x', node: { preloads: ['  '] } }, 'node.preloads[0]'],
  ['preload options not an object', { name: 'x', node: { preloads: [{ module: 'm', options: 'verbose' }] } }, 'node.preloads[0].options'],
  ['critical not a boolean', { name: 'x', node: { preloads: [{ module: 'm', critical: 'yes' }] } }, 'node.preloads[0].critical'],
  ['unknown preload key', { name: 'x', node: { preloads: [{ module: 'm', optons: {} }] } }, 'node.preloads[0].optons'],
  ['relative chain', { name: 'x', chain: ['otel-handler'] }, 'chain[0]'],
]

t.test('wrong configs: both reject each, and wrapgen names the key', async (t) => {
  for (const [what, raw, path] of WRONG) {
    const mine = wrapgenErrors(raw)
    t.ok(mine.some((e) => e.startsWith(`${path}: `)), `${what}: wrapgen names ${path} (${mine.join('; ')})`)
    t.not(schemaErrors(raw).length, 0, `${what}: the schema rejects it too`)
  }
})

t.test('what only wrapgen checks (flag order; the README says so)', async (t) => {
  // Flag order is beyond a schema: a value must follow an option that takes one.
  const raw = { name: 'x', python: { flags: ['importtime'] } }
  t.same(schemaErrors(raw), [], 'the schema cannot tell a flag from a value')
  t.not(wrapgenErrors(raw).length, 0, 'wrapgen can')
})

t.test('a .wrapgenrc.json naming the schema builds', async (t) => {
  const dir = t.testdir({ '.wrapgenrc.json': JSON.stringify({ $schema: './node_modules/wrapgen/schema.json', name: 'rc-json', runtimes: ['python3.14'] }) })
  const config = await openConfig({ cwd: dir })
  t.equal(config.name, 'rc-json')
  t.same(config.runtimes, ['python3.14'])
  writeFileSync(join(dir, '.wrapgenrc.json'), JSON.stringify({ $schema: 1, name: 'rc-json' }))
  const error = await openConfig({ cwd: dir }).then(() => undefined, (e: unknown) => e as { details?: readonly string[] })
  t.same(error?.details, ['$schema: 1 is not a string'], 'wrapgen says what is wrong with $schema')
})
