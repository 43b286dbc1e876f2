// The preload bundle's entry: a CommonJS module that runs the configured hooks in order.
import { relative, sep } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'

/** esbuild resolves these from the config's folder, so local files appear relative to it. */
function specifier(imp: string, root: string): string {
  if (!imp.startsWith('/')) return imp
  const rel = relative(root, imp).split(sep).join('/')
  return rel.startsWith('.') ? rel : `./${rel}`
}

/** Source of the entry; paths relative to `config.root` keep it identical on every machine. */
export function renderPreloadEntry(config: ResolvedConfig): string {
  const hooks = config.node.preloads.map((p) =>
    [
      '  {',
      `    name: ${JSON.stringify(p.name)},`,
      `    options: ${JSON.stringify(p.options)},`,
      `    critical: ${p.critical},`,
      `    budgetMs: ${p.budgetMs},`,
      `    load: () => require(${JSON.stringify(specifier(p.import, config.root))}),`,
      '  },',
    ].join('\n'),
  )
  return [
    `// wrapgen preload for ${config.name}: loaded with --require before the runtime loads the handler.`,
    // A static import: esbuild then inlines the runner as plain top-level code, without the lazy
    // module wrappers a require() of an ES module gets (less code to compile and run on every cold start).
    "import { runHooks } from 'wrapgen/preload/run'",
    'runHooks([',
    ...hooks,
    '])',
    '',
  ].join('\n')
}
