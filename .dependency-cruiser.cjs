// The house rules of src/ (docs/architecture.md), checked by `npm test` before the tests run:
//   npx depcruise src preloads runners --config .dependency-cruiser.cjs --output-type err-long
// Floors, lowest first; a file imports its own floor or lower, never higher:
//   base         src/{errors,cleanup,package-root,version,assets,terminal}.ts, src/limits/ (time limits scaled to the machine)
//   core         the build pipeline: src/{config,runtimes,plan,render,layer,startup-hooks}/, src/build.ts
//   foundations  src/sandbox/ (starting untrusted code), src/layer-tree/ (reading and laying out layers)
//   features     src/{verify,invoke,compose,extensions}/: none imports another, except verify's entry
//   entries      src/cli/, src/{bin,index,api,api-verify}.ts: wire the features together
// Beside src/: runners/ (shipped in the layer, run in the function's process) and preloads/ (built-in hooks).

const BASE = '^src/((errors|cleanup|package-root|version|assets|terminal)\\.ts$|limits/)'
const CORE = '^src/((config|runtimes|plan|render|layer|startup-hooks)/|build\\.ts$)'
const FOUNDATIONS = '^src/(sandbox|layer-tree)/'
const FEATURES = '^src/(verify|invoke|compose|extensions)/'
const ENTRIES = '^src/(cli/|(bin|index|api|api-verify)\\.ts$)'
const PLACED = [BASE, CORE, FOUNDATIONS, FEATURES, ENTRIES]

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
      name: 'base-imports-base-only',
      severity: 'error',
      comment: 'errors, cleanup, package-root, version, assets, terminal and limits/ are the ground floor: everything may use them, so they use nothing of wrapgen above them.',
      from: { path: BASE },
      to: { path: '^src/', pathNot: BASE },
    },
    {
      name: 'core-below-foundations',
      severity: 'error',
      comment: 'The build pipeline (config -> plan -> render -> layer files) is pure and needs no sandbox, no layer reading and no feature. What a feature and the core share belongs in the core.',
      from: { path: CORE },
      to: { path: [FOUNDATIONS, FEATURES, ENTRIES] },
    },
    {
      name: 'foundations-below-features',
      severity: 'error',
      comment: 'src/sandbox and src/layer-tree serve verify, invoke, compose and extensions alike, so they must not know any of them (nor the CLI). Pass what they need as arguments.',
      from: { path: FOUNDATIONS },
      to: { path: [FEATURES, ENTRIES] },
    },
    {
      name: 'foundations-apart',
      severity: 'error',
      comment: 'The sandbox and the layer tree are separate foundations: neither imports the other, so each can change (issue 17 hardens the sandbox) without touching the other.',
      from: { path: '^src/(sandbox|layer-tree)/' },
      to: { path: '^src/(sandbox|layer-tree)/', pathNot: '^src/$1/' },
    },
    {
      name: 'sandbox-through-its-entry',
      severity: 'error',
      comment: 'Code wrapgen did not write starts only through src/sandbox/index.ts, so a rule the sandbox adds holds for every command. Import from src/sandbox/index.ts.',
      from: { pathNot: '^src/sandbox/' },
      to: { path: '^src/sandbox/', pathNot: '^src/sandbox/index\\.ts$' },
    },
    {
      name: 'features-below-entries',
      severity: 'error',
      comment: 'A feature does not import the CLI or the package entries; they import it. Move what both need into the feature or below it.',
      from: { path: FEATURES },
      to: { path: ENTRIES },
    },
    {
      name: 'features-apart',
      severity: 'error',
      comment: "Features do not import each other: what two need goes into a foundation or the core. The one door is src/verify/index.ts (its harness, and the Column interface through which compose, extensions and invoke add to verify's report); verify itself imports no other feature.",
      from: { path: '^src/(verify|invoke|compose|extensions)/' },
      to: { path: FEATURES, pathNot: ['^src/$1/', '^src/verify/index\\.ts$'] },
    },
    {
      name: 'src-not-tests-or-benchmarks',
      severity: 'error',
      comment: 'wrapgen ships src/; test/ and bench/ are not in the package. Move the helper into src/ (or the fixture into test/).',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-reads-runners-as-files',
      severity: 'error',
      comment: 'runners/ is shipped into the layer and runs in the function\'s process; wrapgen reads those files (packageRoot-relative paths, the bundler), it never imports them.',
      from: { path: '^src/' },
      to: { path: '^runners/' },
    },
    {
      name: 'runners-self-contained',
      severity: 'error',
      comment: "A runner ends up in every layer and runs before the function: it imports only node's built-ins and its own files, nothing of wrapgen and no package.",
      from: { path: '^runners/' },
      to: { pathNot: '^runners/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'preloads-use-the-preload-api',
      severity: 'error',
      comment: 'A built-in preload is a hook like a user\'s: it imports wrapgen/preload (runners/node/preload/index.ts) and node\'s built-ins, nothing else of wrapgen.',
      from: { path: '^preloads/' },
      to: { pathNot: '^(runners/node/preload/index\\.ts|preloads/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'src-no-dev-dependencies',
      severity: 'error',
      comment: 'A devDependency is not installed with wrapgen: src/ may import only dependencies (and the optional peer, looked up at run time).',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'every-file-on-a-floor',
      severity: 'error',
      comment: 'A file of src/ on no floor escapes the rules above: add its folder to one of the floors at the top of .dependency-cruiser.cjs (and to docs/architecture.md).',
      from: {},
      to: { path: '^src/', pathNot: PLACED },
    },
    {
      name: 'every-importer-on-a-floor',
      severity: 'error',
      comment: 'A file of src/ on no floor escapes the rules above: add its folder to one of the floors at the top of .dependency-cruiser.cjs (and to docs/architecture.md).',
      from: { path: '^src/', pathNot: PLACED },
      to: {},
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import that does not resolve: a file moved without its importers.',
      from: {},
      // aws-lambda-ric is an optional peer (it builds native code): npm ci leaves it out and
      // `npm run setup:invoke` adds it, so on a fresh clone its one importer does not resolve yet.
      to: { couldNotResolve: true, pathNot: '^aws-lambda-ric$' },
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
