// The two config types: what users write (everything optional) and what the core sees (resolved).
import type { RuntimeId } from '../runtimes/ids.js'

export type { RuntimeId }

/** Environment edits. Applied in this order: unset, set, default, prepend, append. */
export interface EnvEdits {
  /** Variables set to this value, replacing any value they had. @default {} */
  set?: Record<string, string>
  /** Variables set only when unset or empty. @default {} */
  default?: Record<string, string>
  /**
   * Values put in front of the variable's current value, joined with its separator
   * (`:` for PATH-like variables and DOTNET_STARTUP_HOOKS, a space for NODE_OPTIONS,
   * JAVA_TOOL_OPTIONS, RUBYOPT); never added twice. @default {}
   */
  prepend?: Record<string, string>
  /** Like `prepend`, but at the end. @default {} */
  append?: Record<string, string>
  /** Variables removed from the environment. @default [] */
  unset?: string[]
}

/** A startup hook run by the preload bundle. */
export interface PreloadSpec {
  /** A local file (`./preloads/x.ts`), a package specifier (`@acme/preloads/otel`) or a built-in (`wrapgen/preloads/timing`). */
  module: string
  /** Passed to the hook's `setup(options)`; must be JSON. @default {} */
  options?: Record<string, unknown>
  /** A critical hook that throws stops start-up (the function fails init) instead of being skipped. @default false */
  critical?: boolean
  /**
   * Milliseconds the hook may take to load and set up (an async setup included) before it is reported
   * as over budget: in the timing line, on stderr, and in `wrapgen invoke`'s init report. The hook is
   * not stopped: a synchronous loop cannot be interrupted from inside the process, and an async one
   * keeps running. `wrapgen build --analyze` measures each hook's load and setup (sandboxed) and fails
   * the build (exit 1) when one takes longer. @default 1000
   */
  budgetMs?: number
}

export interface RuntimeOptions {
  /** Interpreter flags, inserted just before the program entry so they override the runtime's own. @default [] */
  flags?: string[]
  /** Environment edits applied only for this runtime family, after the top-level `env`. @default {} */
  env?: EnvEdits
}

export interface NodeOptions extends RuntimeOptions {
  /** Startup hooks bundled into one preload file, run in this order. @default [] */
  preloads?: Array<string | PreloadSpec>
  /**
   * How flags and the preload reach node: `argv` inserts them into the command line (they do not
   * leak into child processes); `NODE_OPTIONS` prepends them to that variable. @default 'argv'
   */
  inject?: 'argv' | 'NODE_OPTIONS'
  /**
   * ES module hooks, loaded with `--import` after the preloads and before the handler, in this order.
   * A module that exports `resolve`/`load`/`initialize` is registered as module loader hooks
   * (`module.register`, options as `data`); any other runs its setup, which may be async. Each is
   * bundled on its own. Needs node 18.19 / 20.6 or later. @default []
   */
  imports?: Array<string | PreloadSpec>
  /** Packages left out of the bundle (resolved at run time). @default ['@aws-sdk/*'] */
  external?: string[]
  /**
   * Which package.json fields esbuild reads for packages without an `exports` map. `['module', 'main']`
   * takes their ES module builds, which esbuild can tree-shake (a smaller, faster preload), but a
   * package whose `module` build targets browsers would then break. @default ['main', 'module']
   */
  mainFields?: string[]
  /**
   * Ship a V8 code cache of the preload bundle, made at build time by the node running wrapgen, every
   * function compiled: the function's node then skips compiling the bundle when it accepts the cache
   * (same V8 version, architecture and V8 flags; Lambda's memory flags are among them, so list the
   * function's memory sizes). A node that rejects it, or finds none for its memory size, compiles the
   * bundle as without one. `true` makes only the cache for node without memory flags (local runs).
   * @default false
   */
  codeCache?: boolean | { memoryMB?: number[] }
}

/** A Python or Ruby startup hook: a local file copied into the layer, or a module the runtime can import. */
export interface HookSpec {
  /**
   * A local file (`./hooks/otel.py`, `./hooks/otel.rb`) or a file of an npm package (`@acme/hooks/python/otel.py`),
   * both shipped in the layer; or a module name found on the runtime's own path (`acme_hooks.otel`, `acme/hooks`).
   */
  module: string
  /** Passed to the hook: python calls `setup(options)` if the module defines it; ruby reads `WrapgenHooks.options`. Must be JSON. @default {} */
  options?: Record<string, unknown>
  /** A critical hook that fails stops start-up instead of being skipped. @default false */
  critical?: boolean
}

export interface PythonOptions extends RuntimeOptions {
  /** Startup hooks run in this order before the runtime's bootstrap runs (and so before the handler is imported). @default [] */
  preloads?: Array<string | HookSpec>
}

export interface RubyOptions extends RuntimeOptions {
  /** Startup hooks required in this order before the runtime's own script. @default [] */
  preloads?: Array<string | HookSpec>
}

/** A Java agent jar (a `Premain-Class` in its manifest), shipped in the layer. */
export interface JavaAgentSpec {
  /** Path of the agent jar: local (`./agents/otel.jar`) or in an npm package (`@acme/hooks/java/otel.jar`). */
  jar: string
  /** The agent's options string (what `-javaagent:x.jar=<options>` would pass to `premain`). @default '' */
  options?: string
  /** A critical agent that fails stops start-up instead of being skipped. @default false */
  critical?: boolean
}

export interface JavaOptions extends RuntimeOptions {
  /** Java agents, started in this order before the main class. @default [] */
  agents?: Array<string | JavaAgentSpec>
  /**
   * How the agents reach the JVM: `argv` puts one `-javaagent:` before the main class (child JVMs do
   * not inherit it); `JAVA_TOOL_OPTIONS` prepends it there (child JVMs inherit it, and the JVM prints
   * "Picked up JAVA_TOOL_OPTIONS: ..." on stderr). @default 'argv'
   */
  inject?: 'argv' | 'JAVA_TOOL_OPTIONS'
}

/** A .NET startup hook assembly (a `StartupHook` class in no namespace with `static void Initialize()`), shipped in the layer. */
export interface DotnetStartupHookSpec {
  /** Path of the assembly: local (`./hooks/Otel.StartupHook.dll`) or in an npm package (`@acme/hooks/dotnet/Otel.StartupHook.dll`). */
  assembly: string
  /** Passed to the hook as JSON text: `AppContext.GetData("wrapgen.hook.options")` while its `Initialize` runs. Must be JSON. @default {} */
  options?: Record<string, unknown>
  /** A critical hook that fails stops start-up instead of being skipped. @default false */
  critical?: boolean
}

export interface DotnetOptions extends RuntimeOptions {
  /**
   * Startup hooks run in this order before the function's code, in every .NET mode (class library,
   * executable assembly, single-file executable): wrapgen's runner joins `DOTNET_STARTUP_HOOKS` once,
   * first, and runs them each isolated and timed. @default []
   */
  startupHooks?: Array<string | DotnetStartupHookSpec>
}

/** What `defineConfig` accepts. */
export interface WrapgenConfig {
  /** The JSON Schema a .wrapgenrc.json or .yaml file follows (`wrapgen/schema.json`); ignored by wrapgen. */
  $schema?: string
  /** Names the layer zip and the manifest. Lowercase letters, digits, `-`, `_`. */
  name: string
  /**
   * `open`: when wrapgen's own files are missing, run the original command unchanged with one line
   * on stderr. `closed`: exit non-zero instead. @default 'open'
   */
  failMode?: 'open' | 'closed'
  /**
   * Runtimes the layer supports (Lambda runtime identifiers). The oldest node one sets the bundle
   * target; the manifest lists at most 15 of them (Lambda's limit).
   * @default the runtimes AWS supported when this wrapgen version's catalogue was checked (docs/runtimes.md)
   */
  runtimes?: RuntimeId[]
  /** Environment edits for every runtime. @default {} */
  env?: EnvEdits
  node?: NodeOptions
  python?: PythonOptions
  java?: JavaOptions
  dotnet?: DotnetOptions
  ruby?: RubyOptions
  /**
   * Further exec wrappers (absolute paths, e.g. `/opt/otel-handler`) run after wrapgen's, in order,
   * each receiving the edited command. One that ignores its arguments must be last. An entry may be
   * `{ path, allow }` to accept deliberate changes of that wrapper in `wrapgen verify`. @default []
   */
  chain?: Array<string | ChainEntry>
  /**
   * External extensions, each placed at `/opt/extensions/<name>` with the exec bit; Lambda starts
   * every one before the runtime. A string is an executable file of the project (`'./bin/agent'`);
   * `{ entry: './src/ext.ts' }` is a Node program wrapgen bundles with esbuild into one file run by
   * `#!/usr/bin/env node` (Node runtimes only). `files` adds what it needs to the layer
   * (`{ 'acme/agent.json': './agent.json' }`, paths under /opt). See docs/extensions.md. @default {}
   */
  extensions?: Record<string, ExtensionSpec>
  /**
   * Custom runtimes (`provided.al2`, `provided.al2023`) never run AWS_LAMBDA_EXEC_WRAPPER. With
   * `bootstrap: true` the layer adds `/opt/bootstrap`, a shim that runs the function's own program
   * (`command`) through AWS_LAMBDA_EXEC_WRAPPER as the managed runtimes do: environment edits
   * apply, interpreter flags cannot. The function must not ship `/var/task/bootstrap` (Lambda runs
   * that first). See docs/runtimes.md. @default { bootstrap: false, command: '/var/task/main' }
   */
  customRuntime?: CustomRuntimeOptions
}

/** An external extension: an executable file, or a Node entry to bundle. */
export type ExtensionSpec = string | { file: string; entry?: undefined; files?: Record<string, string> } | { entry: string; file?: undefined; files?: Record<string, string> }

export interface CustomRuntimeOptions {
  /** Add the /opt/bootstrap shim. @default false */
  bootstrap?: boolean
  /** The function's own program, which the shim runs (absolute). The function may override it with WRAPGEN_BOOTSTRAP. @default '/var/task/main' */
  command?: string
}

export interface ResolvedExtension {
  readonly name: string
  readonly kind: 'file' | 'entry'
  /** Absolute path of the executable or the Node entry. */
  readonly source: string
  /** Extra layer files: path under /opt, absolute source path. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly source: string }>
}

export interface ResolvedCustomRuntime {
  readonly bootstrap: boolean
  readonly command: string
}

/** A chained wrapper and the deliberate changes `wrapgen verify` accepts from it (as `--allow` does). */
export interface ChainEntry {
  path: string
  allow?: Array<'handler' | 'runtime-api' | 'replace-runtime' | 'option-change'>
}

export const FAMILIES = ['node', 'python', 'java', 'dotnet', 'ruby'] as const
export type Family = (typeof FAMILIES)[number]

export interface ResolvedEnvEdits {
  readonly set: Readonly<Record<string, string>>
  readonly default: Readonly<Record<string, string>>
  readonly prepend: Readonly<Record<string, string>>
  readonly append: Readonly<Record<string, string>>
  readonly unset: readonly string[]
}

export interface ResolvedPreload {
  /** The specifier as written in the config (names the hook in logs). */
  readonly name: string
  /** What esbuild imports: an absolute path for local files, else the specifier. */
  readonly import: string
  readonly options: Readonly<Record<string, unknown>>
  readonly critical: boolean
  /** Milliseconds before the hook is reported as over budget. */
  readonly budgetMs: number
}

export interface ResolvedRuntime {
  readonly flags: readonly string[]
  readonly env: ResolvedEnvEdits
}

export interface ResolvedNode extends ResolvedRuntime {
  readonly preloads: readonly ResolvedPreload[]
  readonly imports: readonly ResolvedPreload[]
  readonly inject: 'argv' | 'NODE_OPTIONS'
  readonly external: readonly string[]
  readonly mainFields: readonly string[]
  /** Memory sizes to make code caches for (a cache without memory flags is always made); absent: no cache. */
  readonly codeCache?: { readonly memoryMB: readonly number[] }
}

/** A startup hook of python, ruby, java or dotnet, resolved. */
export interface ResolvedHook {
  /** As written in the config (names the hook in logs). */
  readonly name: string
  /** Absolute path of the local file shipped in the layer, or undefined for a module found at run time. */
  readonly file: string | undefined
  /** A file inside an npm package (`@acme/hooks/python/otel.py`), resolved from the config's folder at build time and shipped. */
  readonly package: boolean
  /** Python/ruby/dotnet: JSON options; java: `{ args: string }`. */
  readonly options: Readonly<Record<string, unknown>>
  readonly critical: boolean
}

export interface ResolvedPython extends ResolvedRuntime {
  readonly preloads: readonly ResolvedHook[]
}
export interface ResolvedRuby extends ResolvedRuntime {
  readonly preloads: readonly ResolvedHook[]
}
export interface ResolvedDotnet extends ResolvedRuntime {
  readonly startupHooks: readonly ResolvedHook[]
}
export interface ResolvedJava extends ResolvedRuntime {
  readonly agents: readonly ResolvedHook[]
  readonly inject: 'argv' | 'JAVA_TOOL_OPTIONS'
}

/** The validated config every planner and renderer works from: every field present, paths absolute. */
export interface ResolvedConfig {
  readonly name: string
  readonly failMode: 'open' | 'closed'
  readonly runtimes: readonly string[]
  readonly env: ResolvedEnvEdits
  readonly node: ResolvedNode
  readonly python: ResolvedPython
  readonly java: ResolvedJava
  readonly dotnet: ResolvedDotnet
  readonly ruby: ResolvedRuby
  readonly chain: readonly string[]
  /** Sorted by name. */
  readonly extensions: readonly ResolvedExtension[]
  readonly customRuntime: ResolvedCustomRuntime
  /** Per chained wrapper path, the deliberate changes verify accepts from it (`chain: [{ path, allow }]`). */
  readonly chainAllow?: Readonly<Record<string, readonly string[]>>
  /** Absolute path of the config file, or undefined for an inline config. */
  readonly configFile: string | undefined
  /** Folder that relative paths and package specifiers resolve from. */
  readonly root: string
}
