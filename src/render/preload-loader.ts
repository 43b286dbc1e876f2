// The preload file of a layer built with node.codeCache: a small CommonJS loader that compiles the
// bundle (preload.bundle.cjs) with the V8 code cache built beside it, when this node can accept it.
import { PRELOAD_BUNDLE_FILE } from '../plan/types.js'

/**
 * The bundle is compiled as node compiles a CommonJS module: wrapped in a function of the module's
 * five variables. The cache is made for exactly this text (V8 checks its length), so the producer and
 * the loader share it.
 */
export const MODULE_HEAD = '(function (exports, require, module, __filename, __dirname) {'
export const MODULE_TAIL = '\n})'

export interface CacheFile {
  /** AWS_LAMBDA_FUNCTION_MEMORY_SIZE the cache is for ('' when unset: node without Lambda's memory flags). */
  readonly memory: string
  readonly file: string
}

export interface LoaderInput {
  readonly name: string
  /** process.versions.v8 and process.arch of the node that made the caches. */
  readonly v8: string
  readonly arch: string
  readonly caches: readonly CacheFile[]
}

/**
 * Source of preload.cjs. A cache is read only when this node's V8 and architecture are the ones that
 * made it and one exists for the memory size (Lambda's memory flags change V8's flag hash); V8 then
 * checks it again (version, flags, source) and, when it rejects it, compiles the source as it would
 * without one. Either way the bundle runs with the same module variables a plain require would give
 * it (this module's). An import() left in the bundle (of an external package: the bundler turns those
 * of built-ins into requires) goes to node's main-context loader, the one option a cached script
 * keeps (node prints an ExperimentalWarning when it is first used); a node without that option
 * (before 20.12 / 21.7) requires the bundle as usual instead.
 */
export function renderPreloadLoader(input: LoaderInput): string {
  const caches = input.caches.map((c) => `[${JSON.stringify(c.memory)}, ${JSON.stringify(c.file)}]`).join(', ')
  return [
    `// wrapgen preload for ${input.name}: runs ${PRELOAD_BUNDLE_FILE} (the hooks), from the V8 code cache built with it when this node accepts it.`,
    "'use strict'",
    "const { readFileSync } = require('node:fs')",
    "const vm = require('node:vm')",
    `const file = __dirname + '/${PRELOAD_BUNDLE_FILE}'`,
    'const dynamicImport = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER',
    'if (dynamicImport === undefined) require(file)',
    'else {',
    `  const name = process.versions.v8 === ${JSON.stringify(input.v8)} && process.arch === ${JSON.stringify(input.arch)} ? new Map([${caches}]).get(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '') : undefined`,
    '  let cachedData',
    '  if (name !== undefined) {',
    '    try {',
    "      cachedData = readFileSync(__dirname + '/' + name)",
    '    } catch {}',
    '  }',
    `  const source = ${JSON.stringify(MODULE_HEAD)} + readFileSync(file, 'utf8') + ${JSON.stringify(MODULE_TAIL)}`,
    '  const script = new vm.Script(source, { filename: file, cachedData, importModuleDynamically: dynamicImport })',
    '  script.runInThisContext()(exports, require, module, file, __dirname)',
    '}',
    '',
  ].join('\n')
}
