// The two config types: what users write (everything optional) and what the core sees (resolved).

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
  /** Names the layer zip and the manifest. Lowercase letters, digits, `-`, `_`. */
  name: string
  /**
   * `open`: when wrapgen's own files are missing, run the original command unchanged with one line
   * on stderr. `closed`: exit non-zero instead. @default 'open'
   */
  failMode?: 'open' | 'closed'
  /** Runtimes the layer supports (Lambda runtime identifiers). The oldest node one sets the bundle target. @default every node, python, java, dotnet and ruby runtime in the catalogue */
  runtimes?: string[]
  /** Environment edits for every runtime. @default {} */
  env?: EnvEdits
  node?: NodeOptions
  python?: RuntimeOptions
  java?: RuntimeOptions
  dotnet?: RuntimeOptions
  ruby?: RuntimeOptions
  /**
   * Further exec wrappers (absolute paths, e.g. `/opt/otel-handler`) run after wrapgen's, in order,
   * each receiving the edited command. One that ignores its arguments must be last. An entry may be
   * `{ path, allow }` to accept deliberate changes of that wrapper in `wrapgen verify`. @default []
   */
  chain?: Array<string | ChainEntry>
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
  /** Per chained wrapper path, the deliberate changes verify accepts from it (`chain: [{ path, allow }]`). */
  readonly chainAllow?: Readonly<Record<string, readonly string[]>>
  /** Absolute path of the config file, or undefined for an inline config. */
  readonly configFile: string | undefined
  /** Folder that relative paths and package specifiers resolve from. */
  readonly root: string
}
