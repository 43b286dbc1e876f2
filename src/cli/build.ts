// `wrapgen build`: writes DIR/layer/, DIR/layer.zip and DIR/manifest.json.
import { relative, resolve, sep } from 'node:path'
import { build } from '../api.js'
import { EXIT } from '../errors.js'
import { overBudget, renderAnalysis } from '../layer/analyze.js'
import { analyzeLayer } from './analyze.js'
import { renderDockerfile } from '../render/dockerfile.js'
import { configHelp, CONFIG_OPTIONS, warnTo, type Command } from './context.js'

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

const command: Command = {
  summary: 'build the layer',
  help: `Usage: wrapgen build [--config FILE] [--cwd DIR] [--out DIR] [--json] [--dockerfile] [--analyze [--unsafe-host]]

Builds the layer from the config: DIR/layer/ (the tree exactly as it appears under /opt),
DIR/layer.zip (deterministic, modes kept) and DIR/manifest.json.

Only wrapgen's own output is replaced (DIR/manifest.json says so): a layer/, layer.zip or
manifest.json of yours is left alone and the build stops with a message. The new output is staged in
DIR and renamed into place under a lock (DIR/.wrapgen.lock), so an interrupted build leaves the old
output or the new one, and two builds into DIR never mix. See docs/reliability.md.

Options:
  --out DIR       where to write (default: dist, relative to the config's folder)
  --dockerfile    also print the Dockerfile lines that put this layer into a container image
                  (COPY the tree to /opt, set AWS_LAMBDA_EXEC_WRAPPER); see docs/runtimes.md
  --analyze       after building, say what each node bundle costs: its packages by bytes (esbuild's
                  metafile) and by load time, and its start-up over \`node -e 0\`, measured by loading it
                  with node 7 times in the sandbox (your hooks run); exit 1 when a preload hook took
                  longer than its budgetMs (docs/hooks.md, "What a bundle costs")
  --unsafe-host   with --analyze, run the hooks on this host when bubblewrap is missing
${configHelp(16)}
`,
  options: { ...CONFIG_OPTIONS, out: { type: 'string' }, dockerfile: { type: 'boolean' }, analyze: { type: 'boolean' }, 'unsafe-host': { type: 'boolean' } },
  async run(values, _positionals, ctx) {
    const started = performance.now()
    const out = values.out === undefined ? undefined : resolve(ctx.cwd, values.out as string)
    const result = await build({ cwd: ctx.cwd, configFile: values.config as string | undefined, ...(out ? { outDir: out } : {}), onWarning: warnTo(ctx) })
    const written = result.written!
    const ms = Math.round(performance.now() - started)
    // Relative to the config's folder, which is the usual Docker build context.
    const dockerfile = values.dockerfile === true
      ? renderDockerfile({ config: result.config, id: result.manifest.id, layerDir: relative(result.config.root, written.layerDir).split(sep).join('/') || '.', env: result.manifest.functionEnvironment })
      : undefined
    const analysis = values.analyze === true ? await analyzeLayer(result, { unsafeHost: values['unsafe-host'] === true }) : undefined
    const over = analysis ? overBudget(analysis) : []
    const verdict = (): number => {
      for (const line of over) ctx.err(`wrapgen: ${line}\n`)
      return over.length ? EXIT.user : EXIT.ok
    }
    if (values.json) {
      const json = analysis?.map((r) => ({ ...r, ...(r.measured ? { measured: { ...r.measured, packageMs: Object.fromEntries(r.measured.packageMs) } } : {}) }))
      ctx.out(`${JSON.stringify({ ...written, ms, manifest: result.manifest, ...(dockerfile ? { dockerfile } : {}), ...(json ? { analysis: json } : {}) }, null, 2)}\n`)
      return verdict()
    }
    const rel = (p: string): string => relative(process.cwd(), p) || '.'
    const m = result.manifest
    ctx.out(
      [
        `built ${m.name} (${m.id}) in ${ms} ms`,
        `  layer tree  ${rel(written.layerDir)}/ (${result.files.map((f) => f.path).join(', ')})`,
        `  layer zip   ${rel(written.zip)} (${kb(result.zip.byteLength)})`,
        `  manifest    ${rel(written.manifest)}`,
        m.bundle ? `  preload     ${m.preload} (${kb(m.bundle.bytes)}, ${m.bundle.inputs.length} inputs, target ${m.bundle.target}, external ${m.bundle.external.join(' ') || 'none'})` : '  preload     none (no node preloads configured)',
        ...(result.config.node.codeCache && m.bundle
          ? [`  code cache  for node ${process.version} (${process.arch}) without memory flags${result.config.node.codeCache.memoryMB.map((mb) => `, at ${mb} MB`).join('')}: used only on that node version`]
          : []),
        `  runtimes    ${m.compatibleRuntimes.join(', ')}`,
        // Lambda's PublishLayerVersion takes at most 15; the layer still works on the others.
        ...(m.compatibleRuntimesLeftOut.length
          ? [`  left out    ${m.compatibleRuntimesLeftOut.join(', ')} (not in the manifest's compatibleRuntimes: Lambda accepts at most 15; the layer still works there)`]
          : []),
        '',
        'Attach the layer to a function and set:',
        ...Object.entries(m.functionEnvironment).map(([k, v]) => `  ${k}=${v}`),
        // Ends with a blank line, so what runs next (verify's table in npm run example) stands apart.
        '',
        '',
      ].join('\n'),
    )
    if (dockerfile) ctx.out(`\nFor a container image, add to its Dockerfile:\n\n${dockerfile}`)
    if (analysis) ctx.out(analysis.length ? `What each node bundle costs at start-up:\n\n${renderAnalysis(analysis)}` : 'No node bundle to analyze (no node.preloads or node.imports).\n')
    return verdict()
  },
}
export default command
