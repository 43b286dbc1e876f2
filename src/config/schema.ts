// The config's shape as data: allowed keys, enums, patterns and their documentation. It renders the
// JSON Schema shipped as `wrapgen/schema.json` (editor completion for .wrapgenrc.json/.yaml via
// "$schema"), and holds the enums and patterns validate.ts and types.ts share, so the three agree.
// test/schema.ts checks schema.json against this file and against wrapgen's own validation, and
// test/types.ts checks at compile time that CONFIG_KEYS are exactly WrapgenConfig's keys.
import { RUNTIME_IDS } from '../runtimes/ids.js'
import { EXTENSION_NAME } from './extensions.js'
import { VAR_NAME, WRAPGEN_VARS } from './env-vars.js'

export const FAIL_MODES = ['open', 'closed'] as const
export const INJECT_MODES = ['argv', 'NODE_OPTIONS'] as const
export const MAIN_FIELDS = ['main', 'module', 'browser'] as const
/** `name`: what the layer, the zip comment and WRAPGEN_APPLIED are called. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** Top-level keys, in the order the docs list them (`$schema` lets JSON and YAML configs name the schema). */
export const CONFIG_KEYS = ['$schema', 'name', 'failMode', 'runtimes', 'env', 'node', 'python', 'java', 'dotnet', 'ruby', 'chain', 'extensions', 'customRuntime'] as const
export const ENV_KEYS = ['set', 'default', 'prepend', 'append', 'unset'] as const
export const RUNTIME_KEYS = ['flags', 'env'] as const
export const NODE_KEYS = ['flags', 'env', 'preloads', 'imports', 'inject', 'external', 'mainFields', 'codeCache'] as const
/** Lambda's memory sizes, in MB (node.codeCache.memoryMB). */
export const LAMBDA_MEMORY_MB = [128, 10240] as const
export const PRELOAD_KEYS = ['module', 'options', 'critical', 'budgetMs'] as const

/** The subset of JSON Schema (draft-07) this file writes. */
export interface JsonSchema {
  $schema?: string
  $id?: string
  title?: string
  description?: string
  type?: 'object' | 'array' | 'string' | 'boolean' | 'number' | 'integer'
  exclusiveMinimum?: number
  minimum?: number
  maximum?: number
  properties?: Record<string, JsonSchema>
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  required?: string[]
  items?: JsonSchema
  enum?: readonly string[]
  pattern?: string
  minLength?: number
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  not?: JsonSchema
  default?: unknown
  examples?: unknown[]
}

// No argv element or environment value can carry a NUL byte.
const NO_NUL = '^[^\\u0000]*$'
const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', description, pattern: NO_NUL, ...extra })
const strings = (description: string, items: JsonSchema = { type: 'string', pattern: NO_NUL }): JsonSchema => ({ type: 'array', description, items })

const varName: JsonSchema = {
  allOf: [
    { pattern: VAR_NAME.source },
    // The wrapper's own switches, its own variables (wrapgen_*) and IFS cannot be set from it.
    { not: { enum: [...WRAPGEN_VARS, 'IFS'] } },
    { not: { pattern: '^wrapgen_' } },
  ],
}
const varMap = (description: string, minLength = 0): JsonSchema => ({
  type: 'object',
  description,
  propertyNames: varName,
  additionalProperties: { type: 'string', pattern: NO_NUL, ...(minLength ? { minLength } : {}) },
})

function envEdits(description: string): JsonSchema {
  return {
    type: 'object',
    description: `${description} Applied in this order: unset, set, default, prepend, append.`,
    additionalProperties: false,
    properties: {
      set: varMap('Variables set to this value, replacing any value they had.'),
      default: varMap('Variables set only when unset or empty.'),
      prepend: varMap('Values put in front of the current value with the variable\'s separator (a space for NODE_OPTIONS, JAVA_TOOL_OPTIONS, RUBYOPT; ":" otherwise); never added twice.', 1),
      append: varMap('Like prepend, at the end.', 1),
      unset: { type: 'array', description: 'Variables removed from the environment.', items: { type: 'string', ...varName } },
    },
  }
}

const flags = strings('Interpreter flags, inserted just before the program entry so they override the runtime\'s own. An option\'s value may be the next element (["-X", "importtime"]).')

function runtime(name: string, extra: Record<string, JsonSchema> = {}): JsonSchema {
  return {
    type: 'object',
    description: `Options for the ${name} runtimes.`,
    additionalProperties: false,
    properties: { flags, env: envEdits(`Environment edits for the ${name} runtimes only, after the top-level env.`), ...extra },
  }
}

const critical: JsonSchema = { type: 'boolean', description: 'A critical hook that fails stops start-up instead of being skipped.', default: false }

/** python.preloads / ruby.preloads: a file shipped in the layer, or a module the runtime can import (src/startup-hooks/). */
function scriptHooks(description: string): JsonSchema {
  const module = str('A local file (./hooks/otel.py), a file of an npm package (@acme/hooks/python/otel.py), or a module name found on the runtime\'s own path.', { minLength: 1 })
  return {
    type: 'array',
    description,
    items: { oneOf: [module, { type: 'object', additionalProperties: false, required: ['module'], properties: { module, options: { type: 'object', description: 'Passed to the hook (JSON).' }, critical } }] },
  }
}

const javaAgents: JsonSchema = {
  type: 'array',
  description: 'Java agent jars shipped in the layer, started in this order before the main class (docs/hooks.md).',
  items: {
    oneOf: [
      str('The agent jar: local (./agents/otel.jar) or in an npm package (@acme/hooks/java/otel.jar).', { minLength: 1 }),
      { type: 'object', additionalProperties: false, required: ['jar'], properties: { jar: str('The agent jar.', { minLength: 1 }), options: str('The options string premain receives.'), critical } },
    ],
  },
}

const dotnetHooks: JsonSchema = {
  type: 'array',
  description: '.NET startup hook assemblies shipped in the layer, run in this order before the function\'s code, each isolated (docs/hooks.md).',
  items: {
    oneOf: [
      str('The assembly: local (./hooks/Otel.StartupHook.dll) or in an npm package (@acme/hooks/dotnet/Otel.StartupHook.dll).', { minLength: 1 }),
      { type: 'object', additionalProperties: false, required: ['assembly'], properties: { assembly: str('The startup hook assembly.', { minLength: 1 }), options: { type: 'object', description: 'Passed to the hook as JSON text: AppContext.GetData("wrapgen.hook.options") while its Initialize runs.' }, critical } },
    ],
  },
}

const moduleSpec = str('A local file (./preloads/x.ts), a package specifier (@acme/preloads/otel) or a built-in (wrapgen/preloads/timing).', { pattern: '^[^\\u0000]*\\S[^\\u0000]*$' })

/** node.preloads / node.imports: a module specifier, or { module, options, critical[, budgetMs] }. */
function nodeHooks(description: string, budget: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    module: moduleSpec,
    options: { type: 'object', description: 'Passed to the hook\'s setup(options); plain JSON, embedded in the bundle.' },
    critical,
    ...(budget ? { budgetMs: { type: 'number', exclusiveMinimum: 0, maximum: 600000, default: 1000, description: 'Time the hook\'s setup may take before it is reported as over budget at run time; `wrapgen build --analyze` measures it and fails the build when it is over.' } } : {}),
  }
  return { type: 'array', description, items: { oneOf: [moduleSpec, { type: 'object', additionalProperties: false, required: ['module'], properties }] } }
}

const node: JsonSchema = {
  type: 'object',
  description: 'Options for the node runtimes: flags, environment and the preload bundle.',
  additionalProperties: false,
  properties: {
    flags,
    env: envEdits('Environment edits for the node runtimes only, after the top-level env.'),
    preloads: nodeHooks('Startup hooks bundled into one preload file (/opt/wrapgen/preload.cjs), run in this order before the handler loads.', true),
    imports: nodeHooks('ES module hooks loaded with --import after the preloads and before the handler, in this order (module.register loaders, or a setup). Needs node 18.19 / 20.6 or later.', false),
    inject: { type: 'string', enum: INJECT_MODES, default: 'argv', description: 'argv: flags and --require on the command line (spawned processes do not inherit them; fork() children do, through execArgv); NODE_OPTIONS: prepended to that variable.' },
    external: strings('Packages left out of the bundle (resolved at run time). Default: ["@aws-sdk/*"].'),
    mainFields: { type: 'array', description: 'Which package.json fields esbuild reads for packages without an exports map. Default: ["main", "module"].', items: { type: 'string', enum: MAIN_FIELDS } },
    codeCache: {
      description: 'Ship a V8 code cache of the preload bundle, used when the function\'s node accepts it (same V8, architecture and flags). true: for node without memory flags; { memoryMB: [...] }: also for Lambda\'s flags at each memory size. Default: false.',
      oneOf: [
        { type: 'boolean' },
        { type: 'object', additionalProperties: false, properties: { memoryMB: { type: 'array', items: { type: 'integer', minimum: LAMBDA_MEMORY_MB[0], maximum: LAMBDA_MEMORY_MB[1] } } } },
      ],
    },
  },
}

/** `extensions`: name -> an executable of the project, or { entry } (a Node file to bundle) / { file }, with `files`. */
function extensions(): JsonSchema {
  const files: JsonSchema = { type: 'object', description: 'Files the extension needs, as { "layer/path": "./local/file" } (paths under /opt).', additionalProperties: { type: 'string', minLength: 1 } }
  const path = (description: string): JsonSchema => str(description, { minLength: 1 })
  return {
    type: 'object',
    description: 'External extensions, each placed at /opt/extensions/<name> with the exec bit (Lambda starts at most 10). See docs/extensions.md.',
    propertyNames: { pattern: EXTENSION_NAME.source },
    additionalProperties: {
      oneOf: [
        path('An executable file of the project, e.g. ./bin/agent.'),
        { type: 'object', additionalProperties: false, required: ['entry'], properties: { entry: path('A Node program wrapgen bundles with esbuild into one file.'), files } },
        { type: 'object', additionalProperties: false, required: ['file'], properties: { file: path('An executable file of the project.'), files } },
      ],
    },
  }
}

/** The JSON Schema of a wrapgen config (draft-07: what editors and most validators read). */
export function configSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://unpkg.com/wrapgen/schema.json',
    title: 'wrapgen config',
    description: 'A wrapgen config (.wrapgenrc.json, .wrapgenrc.yaml, or the "wrapgen" key of package.json). See https://github.com/wrapgen/wrapgen#config-reference',
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      $schema: { type: 'string', description: 'The schema this file follows, e.g. ./node_modules/wrapgen/schema.json.' },
      name: str('Names the layer zip and the manifest: 1-64 of a-z 0-9 . _ -, starting with a letter or digit.', { pattern: NAME_PATTERN.source, examples: ['acme-startup'] }),
      failMode: { type: 'string', enum: FAIL_MODES, default: 'open', description: 'open: when the layer\'s own files are missing, run the original command unchanged with one line on stderr. closed: exit 1 instead.' },
      runtimes: {
        type: 'array',
        description: 'Lambda runtimes the layer supports. The oldest node one sets the bundle target; the manifest lists at most 15. Default: the runtimes AWS supported when this wrapgen version\'s catalogue was checked.',
        items: { type: 'string', enum: RUNTIME_IDS },
      },
      env: envEdits('Environment edits for every runtime.'),
      node,
      python: runtime('python', { preloads: scriptHooks('Startup hooks run in this order before the runtime\'s bootstrap imports the handler (docs/hooks.md).') }),
      java: runtime('java', { agents: javaAgents, inject: { type: 'string', enum: ['argv', 'JAVA_TOOL_OPTIONS'], default: 'argv', description: 'argv: one -javaagent: before the main class; JAVA_TOOL_OPTIONS: prepended there (child JVMs inherit it; the JVM prints "Picked up ..." on stderr).' } }),
      dotnet: runtime('dotnet', { startupHooks: dotnetHooks }),
      ruby: runtime('ruby', { preloads: scriptHooks('Startup hooks required in this order before the runtime\'s own script (docs/hooks.md).') }),
      chain: strings('Further exec wrappers (absolute paths) run after wrapgen\'s, in order; one that ignores its arguments must be last.', { type: 'string', pattern: '^/[^\\u0000]*$' }),
      extensions: extensions(),
      customRuntime: {
        type: 'object',
        description: 'Custom runtimes (provided.al2, provided.al2023) never run AWS_LAMBDA_EXEC_WRAPPER; bootstrap: true adds /opt/bootstrap, a shim that runs the function\'s own program through it. See docs/runtimes.md.',
        additionalProperties: false,
        properties: {
          bootstrap: { type: 'boolean', default: false, description: 'Add the /opt/bootstrap shim.' },
          command: str('The function\'s own program (absolute; not /var/task/bootstrap or /opt/bootstrap). Default: /var/task/main.', { pattern: '^/[^\\u0000]*$' }),
        },
      },
    },
  }
}

/** schema.json's exact text (the file in the package is this, checked by test/schema.ts). */
export const schemaJson = (): string => `${JSON.stringify(configSchema(), null, 2)}\n`
