// node.imports: each ES module hook bundled on its own (esbuild, ESM), so a loader-hooks module is one
// self-contained file module.register() can load in node's hooks thread, and the runner (runners/node/
// import.mjs) can import the others one by one, each isolated. Reads disk through esbuild, like bundle.ts.
import type { Message } from 'esbuild'
import type { ResolvedConfig, ResolvedPreload } from '../config/types.js'
import { UserError } from '../errors.js'
import { nodeBundleOptions, nodeTarget } from '../layer/bundle.js'
import { hookPath } from './layout.js'

export interface BuiltImport {
  readonly hook: ResolvedPreload
  /** Relative to the runner's folder (wrapgen/). */
  readonly file: string
  /** Exports resolve/load/initialize: registered as module loader hooks rather than run. */
  readonly register: boolean
  readonly code: Uint8Array
  /** esbuild's inputs, with the bytes each contributes (for build --analyze). */
  readonly inputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
}

const LOADER_EXPORTS = ['resolve', 'load', 'initialize']
// Bundled CommonJS code calls require() for node's own modules; an ES module has none of its own.
const BANNER = "import { createRequire as __wrapgenCreateRequire } from 'node:module';\nconst require = __wrapgenCreateRequire(import.meta.url);"

export async function bundleImports(config: ResolvedConfig): Promise<BuiltImport[]> {
  const { build } = await import('esbuild')
  const target = nodeTarget(config.runtimes)
  const out: BuiltImport[] = []
  for (const [i, hook] of config.node.imports.entries()) {
    const file = hookPath('imports', { name: hook.name, file: undefined, package: false, options: {}, critical: false }, i).replace(/\.[cm]?[jt]sx?$/, '') + '.mjs'
    let result
    try {
      result = await build({
        entryPoints: [hook.import],
        ...nodeBundleOptions(config, target),
        outfile: file,
        format: 'esm',
        banner: { js: BANNER },
      })
    } catch (cause) {
      const errors = (cause as { errors?: Message[] }).errors ?? []
      throw new UserError(`node.imports[${i}].module: cannot bundle ${JSON.stringify(hook.name)} from ${config.root}; check the path, or install the package there`, { details: errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`), cause })
    }
    const exports = Object.values(result.metafile.outputs)[0]?.exports ?? []
    const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {}).map(([path, v]) => ({ path, bytes: v.bytesInOutput }))
    out.push({ hook, file, register: exports.some((e) => LOADER_EXPORTS.includes(e)), code: result.outputFiles[0]!.contents, inputs })
  }
  return out
}
