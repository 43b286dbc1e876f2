// Resolving the startup hooks of node (imports), python, ruby, java and dotnet: local paths made absolute, defaults
// filled in. Called from config/resolve.ts (one call per family).
import { isAbsolute, resolve as resolvePath } from 'node:path'
import type {
  NodeOptions, PreloadSpec, ResolvedPreload,
  DotnetOptions, DotnetStartupHookSpec, HookSpec, JavaAgentSpec, JavaOptions, PythonOptions, ResolvedHook, RubyOptions,
} from '../config/types.js'

/** A hook's time budget unless the config says otherwise (see PreloadSpec.budgetMs). Here, not in
 * config/resolve.ts, which imports this file: defined there, it made a circle. */
export const DEFAULT_BUDGET_MS = 1000

export const isLocalPath = (m: string): boolean => m.startsWith('./') || m.startsWith('../') || isAbsolute(m)
/** `@acme/hooks/python/otel.py`: a file of an npm package (a path in it, with the file's extension). */
export const isPackageFile = (m: string, exts: readonly string[]): boolean => !isLocalPath(m) && m.includes('/') && exts.some((e) => m.endsWith(e))

/** python.preloads / ruby.preloads: local files are shipped, anything else is a module name. */
export function resolveScriptHooks(r: PythonOptions | RubyOptions | undefined, root: string): ResolvedHook[] {
  return (r?.preloads ?? []).map((p) => {
    const spec: HookSpec = typeof p === 'string' ? { module: p } : p
    return { name: spec.module, file: isLocalPath(spec.module) ? resolvePath(root, spec.module) : undefined, package: isPackageFile(spec.module, ['.py', '.rb']), options: { ...spec.options }, critical: spec.critical ?? false, budgetMs: DEFAULT_BUDGET_MS }
  })
}

export function resolveJavaAgents(j: JavaOptions | undefined, root: string): { agents: ResolvedHook[]; inject: 'argv' | 'JAVA_TOOL_OPTIONS' } {
  const agents = (j?.agents ?? []).map((a) => {
    const spec: JavaAgentSpec = typeof a === 'string' ? { jar: a } : a
    const local = isLocalPath(spec.jar)
    return { name: spec.jar, file: local ? resolvePath(root, spec.jar) : undefined, package: !local, options: { args: spec.options ?? '' }, critical: spec.critical ?? false }
  })
  return { agents, inject: j?.inject ?? 'argv' }
}

/** dotnet.startupHooks: assemblies, always shipped (local or a package's file). */
export function resolveDotnetHooks(d: DotnetOptions | undefined, root: string): ResolvedHook[] {
  return (d?.startupHooks ?? []).map((h) => {
    const spec: DotnetStartupHookSpec = typeof h === 'string' ? { assembly: h } : h
    const local = isLocalPath(spec.assembly)
    return { name: spec.assembly, file: local ? resolvePath(root, spec.assembly) : undefined, package: !local, options: { ...spec.options }, critical: spec.critical ?? false }
  })
}

/** node.imports: shaped like node.preloads (local files absolute, anything else a specifier). */
export function resolveNodeImports(n: NodeOptions, root: string): ResolvedPreload[] {
  return (n.imports ?? []).map((p) => {
    const spec: PreloadSpec = typeof p === 'string' ? { module: p } : p
    return { name: spec.module, import: isLocalPath(spec.module) ? resolvePath(root, spec.module) : spec.module, options: { ...spec.options }, critical: spec.critical ?? false, budgetMs: DEFAULT_BUDGET_MS }
  })
}

/** The hooks as the config hash sees them: names and options, never the machine's absolute paths. */
export function hookHashView<T extends { readonly node: { readonly preloads: readonly ResolvedPreload[]; readonly imports: readonly ResolvedPreload[] }; readonly python: { readonly preloads: readonly ResolvedHook[] }; readonly ruby: { readonly preloads: readonly ResolvedHook[] }; readonly java: { readonly agents: readonly ResolvedHook[] }; readonly dotnet: { readonly startupHooks: readonly ResolvedHook[] } }>(c: T): Pick<T, 'node' | 'python' | 'ruby' | 'java' | 'dotnet'> {
  const strip = (hooks: readonly ResolvedHook[]): unknown[] => hooks.map(({ file, ...h }) => ({ ...h, local: file !== undefined }))
  const specs = (hooks: readonly ResolvedPreload[]): unknown[] => hooks.map(({ import: _i, ...p }) => p)
  return {
    node: { ...c.node, preloads: specs(c.node.preloads), imports: specs(c.node.imports) },
    python: { ...c.python, preloads: strip(c.python.preloads) },
    ruby: { ...c.ruby, preloads: strip(c.ruby.preloads) },
    java: { ...c.java, agents: strip(c.java.agents) },
    // Only when used, so that configs without .NET hooks keep the id they had before the key existed.
    dotnet: (({ startupHooks, ...d }) => (startupHooks.length ? { ...d, startupHooks: strip(startupHooks) } : d))(c.dotnet),
  } as unknown as Pick<T, 'node' | 'python' | 'ruby' | 'java' | 'dotnet'>
}
