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
   * keeps running. @default 1000
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
  /** Packages left out of the bundle (resolved at run time). @default ['@aws-sdk/*'] */
  external?: string[]
  /**
   * Which package.json fields esbuild reads for packages without an `exports` map. `['module', 'main']`
   * takes their ES module builds, which esbuild can tree-shake (a smaller, faster preload), but a
   * package whose `module` build targets browsers would then break. @default ['main', 'module']
   */
  mainFields?: string[]
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
  python?: RuntimeOptions
  java?: RuntimeOptions
  dotnet?: RuntimeOptions
  ruby?: RuntimeOptions
  /**
   * Further exec wrappers (absolute paths, e.g. `/opt/otel-handler`) run after wrapgen's, in order,
   * each receiving the edited command. One that ignores its arguments must be last. @default []
   */
  chain?: string[]
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
  readonly inject: 'argv' | 'NODE_OPTIONS'
  readonly external: readonly string[]
  readonly mainFields: readonly string[]
}

/** The validated config every planner and renderer works from: every field present, paths absolute. */
export interface ResolvedConfig {
  readonly name: string
  readonly failMode: 'open' | 'closed'
  readonly runtimes: readonly string[]
  readonly env: ResolvedEnvEdits
  readonly node: ResolvedNode
  readonly python: ResolvedRuntime
  readonly java: ResolvedRuntime
  readonly dotnet: ResolvedRuntime
  readonly ruby: ResolvedRuntime
  readonly chain: readonly string[]
  /** Sorted by name. */
  readonly extensions: readonly ResolvedExtension[]
  readonly customRuntime: ResolvedCustomRuntime
  /** Absolute path of the config file, or undefined for an inline config. */
  readonly configFile: string | undefined
  /** Folder that relative paths and package specifiers resolve from. */
  readonly root: string
}
