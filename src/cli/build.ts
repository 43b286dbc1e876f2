// `wrapgen build`: writes DIR/layer/, DIR/layer.zip and DIR/manifest.json.
import { relative, resolve, sep } from 'node:path'
import { build } from '../api.js'
import { EXIT } from '../errors.js'
import { renderDockerfile } from '../extensions/dockerfile.js'
import { CONFIG_HELP, CONFIG_OPTIONS, warnTo, type Command } from './context.js'

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

const command: Command = {
  summary: 'build the layer',
  help: `Usage: wrapgen build [--config FILE] [--cwd DIR] [--out DIR] [--json] [--dockerfile]

Builds the layer from the config: DIR/layer/ (the tree exactly as it appears under /opt),
DIR/layer.zip (deterministic, modes kept) and DIR/manifest.json.

Options:
  --out DIR       where to write (default: dist, relative to the config's folder)
  --dockerfile    also print the Dockerfile lines that put this layer into a container image
                  (COPY the tree to /opt, set AWS_LAMBDA_EXEC_WRAPPER); see docs/runtimes.md
${CONFIG_HELP}
`,
  options: { ...CONFIG_OPTIONS, out: { type: 'string' }, dockerfile: { type: 'boolean' } },
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
    if (values.json) {
      ctx.out(`${JSON.stringify({ ...written, ms, manifest: result.manifest, ...(dockerfile ? { dockerfile } : {}) }, null, 2)}\n`)
      return EXIT.ok
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
        '',
        'Attach the layer to a function and set:',
        ...Object.entries(m.functionEnvironment).map(([k, v]) => `  ${k}=${v}`),
        '',
      ].join('\n'),
    )
    if (dockerfile) ctx.out(`\nFor a container image, add to its Dockerfile:\n\n${dockerfile}`)
    return EXIT.ok
  },
}
export default command
