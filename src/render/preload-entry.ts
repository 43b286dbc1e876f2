// The preload bundle's entry: a module that runs the configured hooks in order.
import { relative, sep } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'

/** The entry's file name in the bundle (esbuild's metafile key and comment line). */
export const PRELOAD_ENTRY_NAME = 'wrapgen-preload-entry.js'

/** The namespace of a CommonJS hook file whose code the entry gets as a function (src/layer/bundle.ts loads it). */
export const HOOK_BODY_NAMESPACE = 'wrapgen-hook-body'

/** esbuild resolves these from the config's folder, so local files appear relative to it. */
export function specifier(imp: string, root: string): string {
  if (!imp.startsWith('/')) return imp
  const rel = relative(root, imp).split(sep).join('/')
  return rel.startsWith('.') ? rel : `./${rel}`
}

/**
 * Source of the entry; paths relative to `config.root` keep it identical on every machine. `bodies`
 * maps a hook's index to its CommonJS file (relative to the root, as esbuild's metafile names it): that
 * hook's code comes as one function the runner calls, instead of esbuild's lazy-module wrapper around
 * a require (two more functions and an object to compile on every cold start; docs/hooks.md, "Cost").
 */
export function renderPreloadEntry(config: ResolvedConfig, bodies: ReadonlyMap<number, string> = new Map()): string {
  const preloads = config.node.preloads
  const imports = [...bodies].map(([i, file]) => `import hook${i} from ${JSON.stringify(`${HOOK_BODY_NAMESPACE}:${file}`)}`)
  const calls = preloads.map((p, i) => {
    // The hook's timing (runHook's HookStart), its options, whether it is critical, its code.
    const timing = `{ name: ${JSON.stringify(p.name)}, ms: 0, ok: true, budgetMs: ${p.budgetMs} }`
    const load = bodies.has(i) ? `hook${i}` : `(exports, module) => { module.exports = require(${JSON.stringify(specifier(p.import, config.root))}) }`
    return `  runHook(${timing}, ${JSON.stringify(p.options)}, ${p.critical}, ${load}${i === preloads.length - 1 ? ', true' : ''})`
  })
  return [
    `// wrapgen preload for ${config.name}: loaded with --require before the runtime loads the handler.`,
    // A static import: esbuild then inlines the runner as plain top-level code, without the lazy
    // module wrappers a require() of an ES module gets (less code to compile and run on every cold start).
    "import { active, runHook } from 'wrapgen/preload/run'",
    ...imports,
    'if (active) {',
    ...calls,
    '}',
    '',
  ].join('\n')
}
