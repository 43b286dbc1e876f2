// The house rules of src/ (docs/architecture.md), checked by `npm test` before the tests run:
//   npx depcruise src preloads runners --config .dependency-cruiser.cjs --output-type err-long
// Floors, lowest first; a file imports its own floor or lower, never higher:
//   base         src/{errors,cleanup,package-root,version,assets}.ts
//   core         the build pipeline: src/{config,runtimes,plan,render,layer,startup-hooks}/, src/build.ts
//   foundations  src/sandbox/ (starting untrusted code), src/layer-tree/ (reading and laying out layers)
//   features     src/{verify,invoke,compose,extensions}/: none imports another, except verify's entry
//   entries      src/cli/, src/{bin,index,api,api-verify}.ts: wire the features together
// Beside src/: runners/ (shipped in the layer, run in the function's process) and preloads/ (built-in hooks).

const BASE = '^src/(errors|cleanup|package-root|version|assets)\\.ts$'
const CORE = '^src/((config|runtimes|plan|render|layer|startup-hooks)/|build\\.ts$)'
const FOUNDATIONS = '^src/(sandbox|layer-tree)/'
const FEATURES = '^src/(verify|invoke|compose|extensions)/'
const ENTRIES = '^src/(cli/|(bin|index|api|api-verify)\\.ts$)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: two files that need each other are one concern split badly, or a value (a constant, a type) sits on the wrong side. Move what both need below both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import that does not resolve: a file moved without its importers.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: a type from a higher floor ties the files together as much as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
