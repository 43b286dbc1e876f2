// Type test for defineConfig: `tsc --noEmit` (run by `npm test`) checks it; a stale @ts-expect-error fails the build.
// It is also a tap test, since tap runs every file in test/.
import t from 'tap'
import { defineConfig } from '../src/config/define.js'
import type { CONFIG_KEYS } from '../src/config/schema.js'
import type { RuntimeId, WrapgenConfig } from '../src/config/types.js'

// Every key, each with a valid value.
const full = defineConfig({
  name: 'acme-startup',
  failMode: 'closed',
  runtimes: ['nodejs22.x', 'python3.12', 'java21', 'dotnet8', 'ruby3.3'],
  env: {
    set: { LOG_LEVEL: 'info' },
    default: { POWERTOOLS_SERVICE_NAME: 'acme' },
    prepend: { PATH: '/opt/acme/bin' },
    append: { NODE_OPTIONS: '--enable-source-maps' },
    unset: ['DEBUG'],
  },
  node: {
    flags: ['--enable-source-maps'],
    env: { set: { NODE_ENV: 'production' } },
    preloads: [
      './preloads/warm.ts',
      'wrapgen/preloads/timing',
      { module: '@acme/preloads/otel', options: { serviceName: 'acme', sampleRate: 0.1, tags: ['a'], nested: { on: true } }, critical: true },
    ],
    inject: 'NODE_OPTIONS',
    external: ['@aws-sdk/*', 'pg-native'],
    mainFields: ['module', 'main'],
  },
  python: { flags: ['-X', 'importtime'], env: { default: { PYTHONUNBUFFERED: '1' } } },
  java: { flags: ['-XX:+UseSerialGC'], env: { append: { JAVA_TOOL_OPTIONS: '-Dacme=1' } } },
  dotnet: { flags: [], env: { prepend: { DOTNET_STARTUP_HOOKS: '/opt/acme/Hook.dll' } } },
  ruby: { flags: ['-W0'], env: { unset: ['RUBYOPT'] } },
  chain: ['/opt/otel-handler'],
})

// The minimal config: only `name` is required.
const minimal: WrapgenConfig = defineConfig({ name: 'tiny' })

// @ts-expect-error: unknown key (a typo of failMode)
defineConfig({ name: 'x', failmode: 'open' })

// @ts-expect-error: failMode is 'open' or 'closed'
defineConfig({ name: 'x', failMode: 'half' })

// @ts-expect-error: flags are strings, not one string
defineConfig({ name: 'x', node: { flags: '--enable-source-maps' } })

// @ts-expect-error: flags are strings, not numbers
defineConfig({ name: 'x', python: { flags: [1] } })

// @ts-expect-error: inject is 'argv' or 'NODE_OPTIONS'
defineConfig({ name: 'x', node: { inject: 'env' } })

// @ts-expect-error: preload options are an object
defineConfig({ name: 'x', node: { preloads: [{ module: 'm', options: 'verbose' }] } })

// @ts-expect-error: a preload object needs `module`
defineConfig({ name: 'x', node: { preloads: [{ critical: true }] } })

// @ts-expect-error: critical is a boolean
defineConfig({ name: 'x', node: { preloads: [{ module: 'm', critical: 'yes' }] } })

// @ts-expect-error: name is required
defineConfig({ failMode: 'open' })

// @ts-expect-error: env values are strings
defineConfig({ name: 'x', env: { set: { PORT: 8080 } } })

// @ts-expect-error: runtimes are catalogue ids: nodejs20 is nodejs20.x
defineConfig({ name: 'x', runtimes: ['nodejs20'] })

// @ts-expect-error: OS-only runtimes never run a wrapper, so they are not in the union
defineConfig({ name: 'x', runtimes: ['provided.al2023'] })

// @ts-expect-error: dotnet modes are not runtime ids
defineConfig({ name: 'x', runtimes: ['dotnet8:single-file'] })

// The runtimes added with the catalogue's last update are ids.
const newest: RuntimeId[] = ['nodejs24.x', 'python3.14', 'java25', 'dotnet10', 'ruby3.4']
defineConfig({ name: 'x', runtimes: newest })

// The schema's top-level keys (src/config/schema.ts) are exactly WrapgenConfig's, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const schemaKeysMatch: Same<(typeof CONFIG_KEYS)[number], keyof WrapgenConfig> = true

// @ts-expect-error: inject/external are node-only (python has preloads of its own since issue 7)
defineConfig({ name: 'x', python: { external: ['x'] } })

// @ts-expect-error: a java agent needs its jar
defineConfig({ name: 'x', java: { agents: [{ options: 'a=1' }] } })

t.test('defineConfig returns its input unchanged', async (t) => {
  const input: WrapgenConfig = { name: 'same', node: { preloads: ['./a.ts'] } }
  t.equal(defineConfig(input), input, 'the very same object')
  t.equal(full.name, 'acme-startup')
  t.same(minimal, { name: 'tiny' })
  t.equal(schemaKeysMatch, true)
})
