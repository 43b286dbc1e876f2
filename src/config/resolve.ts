// The one door from a user config to the ResolvedConfig that planners and renderers see.
import { isAbsolute, relative, resolve as resolvePath } from 'node:path'
import { UserError } from '../errors.js'
import type { EnvEdits, PreloadSpec, ResolvedConfig, ResolvedEnvEdits, ResolvedNode, ResolvedRuntime, RuntimeOptions, WrapgenConfig, NodeOptions } from './types.js'
import { validateConfig, type Finding, type ValidateContext } from './validate.js'
import { resolveCustomRuntime, resolveExtensions } from './extensions.js'
import { DEFAULT_BUDGET_MS, resolveDotnetHooks, resolveJavaAgents, resolveNodeImports, resolveScriptHooks } from '../startup-hooks/resolve.js'

export interface ResolveOptions extends ValidateContext {
  /** Absolute path of the config file, if any. */
  readonly configFile: string | undefined
  /** Folder relative paths resolve from (the config file's folder). */
  readonly root: string
  /** Every runtime id the layer supports by default. */
  readonly defaultRuntimes: readonly string[]
  /** Called once per warning. */
  readonly onWarning?: (w: Finding) => void
}

/** How many problems one error lists. */
const MAX_LISTED = 50

/** Validates `raw` (throwing one UserError listing every problem) and fills in every default. */
export function resolveConfig(raw: unknown, opts: ResolveOptions): ResolvedConfig {
  const { errors, warnings } = validateConfig(raw, opts)
  const where = opts.configFile ? relative(process.cwd(), opts.configFile) || opts.configFile : 'inline config'
  if (errors.length > 0) {
    throw new UserError(`${where}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the config; fix ${errors.length === 1 ? 'it' : 'them'} and run again`, {
      // Bounded: a generated config with a million bad keys must not print a million lines.
      details: [
        ...errors.slice(0, MAX_LISTED).map((e) => `${e.path}: ${e.message}`),
        ...(errors.length > MAX_LISTED ? [`... and ${errors.length - MAX_LISTED} more`] : []),
      ],
    })
  }
  for (const w of warnings) opts.onWarning?.(w)
  const c = raw as WrapgenConfig
  return {
    name: c.name,
    failMode: c.failMode ?? 'open',
    runtimes: [...(c.runtimes ?? opts.defaultRuntimes)],
    env: envEdits(c.env),
    node: node(c.node ?? {}, opts.root),
    python: { ...runtime(c.python), preloads: resolveScriptHooks(c.python, opts.root) },
    java: { ...runtime(c.java), ...resolveJavaAgents(c.java, opts.root) },
    dotnet: { ...runtime(c.dotnet), startupHooks: resolveDotnetHooks(c.dotnet, opts.root) },
    ruby: { ...runtime(c.ruby), preloads: resolveScriptHooks(c.ruby, opts.root) },
    chain: (c.chain ?? []).map((w) => (typeof w === 'string' ? w : w.path)),
    // Only when a chain entry is an object: a config without it resolves exactly as before.
    ...((c.chain ?? []).some((w) => typeof w !== 'string') ? { chainAllow: Object.fromEntries((c.chain ?? []).flatMap((w) => (typeof w === 'string' ? [] : [[w.path, [...(w.allow ?? [])]]]))) } : {}),
    extensions: resolveExtensions(c.extensions, opts.root),
    customRuntime: resolveCustomRuntime(c.customRuntime),
    configFile: opts.configFile,
    root: opts.root,
  }
}

function envEdits(e: EnvEdits | undefined): ResolvedEnvEdits {
  return {
    set: { ...e?.set },
    default: { ...e?.default },
    prepend: { ...e?.prepend },
    append: { ...e?.append },
    unset: [...(e?.unset ?? [])],
  }
}

function runtime(r: RuntimeOptions | undefined): ResolvedRuntime {
  return { flags: [...(r?.flags ?? [])], env: envEdits(r?.env) }
}

function node(n: NodeOptions, root: string): ResolvedNode {
  return {
    ...runtime(n),
    inject: n.inject ?? 'argv',
    external: [...(n.external ?? ['@aws-sdk/*'])],
    mainFields: [...(n.mainFields ?? ['main', 'module'])],
    ...(n.codeCache ? { codeCache: { memoryMB: [...new Set(n.codeCache === true ? [] : (n.codeCache.memoryMB ?? []))].sort((a, b) => a - b) } } : {}),
    imports: resolveNodeImports(n, root),
    preloads: (n.preloads ?? []).map((p) => {
      const spec: PreloadSpec = typeof p === 'string' ? { module: p } : p
      return {
        name: spec.module,
        import: isLocal(spec.module) ? resolvePath(root, spec.module) : spec.module,
        options: { ...spec.options },
        critical: spec.critical ?? false,
        budgetMs: spec.budgetMs ?? DEFAULT_BUDGET_MS,
      }
    }),
  }
}

const isLocal = (m: string): boolean => m.startsWith('./') || m.startsWith('../') || isAbsolute(m)
