// `wrapgen compose`: several vendors' layers as one layer whose wrapper chains theirs.
import { existsSync, statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { compose, isInside, type LayerArg } from '../compose/compose.js'
import { writeComposed } from '../compose/write.js'
import { openConfig } from '../config/open.js'
import { EXIT, UsageError } from '../errors.js'
import { CONFIG_OPTIONS, warnTo, type Command, envOption } from './context.js'

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

/** LAYER, LAYER=/opt/PATH (its wrapper named) or LAYER=none (it has none). */
export function parseLayerArg(arg: string, cwd: string): LayerArg {
  const m = /^(.+)=(\/opt\/.+|none)$/.exec(arg)
  if (m && !existsSync(resolve(cwd, arg))) {
    if (m[2] !== 'none' && m[2]!.split('/').includes('..')) throw new UsageError(`${arg}: the wrapper path must not contain ".."`)
    return { path: resolve(cwd, m[1]!), wrapper: m[2] }
  }
  const eq = arg.lastIndexOf('=')
  if (eq > 0 && !existsSync(resolve(cwd, arg)) && existsSync(resolve(cwd, arg.slice(0, eq)))) throw new UsageError(`${arg}: a wrapper is named as LAYER=/opt/PATH (an absolute path under /opt) or LAYER=none`)
  return { path: resolve(cwd, arg) }
}

const command: Command = {
  summary: "combine several vendors' layers into one layer whose wrapper runs each of theirs",
  help: `Usage: wrapgen compose LAYER... --out DIR [--config FILE] [--name NAME] [--allow-conflicts] [--json]

Combines layers (zips, or folders holding what Lambda unpacks into /opt) into one layer, for a
function that needs several vendors' exec wrappers (Lambda runs only one AWS_LAMBDA_EXEC_WRAPPER).

Give the layers in the order the function lists them: Lambda unpacks them in that order, and a later
layer's file replaces an earlier one's at the same path. compose
  - reports every path two layers ship differently, which one wins, and whether that breaks the
    other (its wrapper, or a file of its that names the path); a break stops compose unless
    --allow-conflicts;
  - runs each layer's wrapper in the sandbox (bubblewrap, read-only /opt, stand-in interpreters) to
    learn whether it passes the runtime's command on or replaces the runtime (a web adapter's);
  - chains them in wrapgen's wrapper, each from its own /opt path: those that pass the command on
    first, in layer order, the one that replaces the runtime last; two that replace it are refused;
  - runs the composed wrapper on one runtime of each family and checks each vendor's environment
    edits arrived;
  - writes DIR/layer/ (the /opt tree, modes and symlinks kept), DIR/layer.zip, DIR/manifest.json and
    DIR/compose.json (inputs with size and sha256, chain order, conflicts, what each vendor's wrapper
    does and whether it arrived, the config; also in the layer as /opt/wrapgen/compose.json, without
    the config, whose paths are this machine's: the same inputs give the same layer.zip anywhere).

Each layer's exec wrapper is found as the executable shell script at the top of /opt (or one folder
down) that execs a command, outside extensions/ and package folders. Name it when that guess is wrong:
  LAYER=/opt/PATH   this file is the layer's wrapper
  LAYER=none        the layer has no wrapper (only files)

Options:
  --out DIR          where to write (required): DIR/layer/, layer.zip, manifest.json, compose.json;
                     refused if DIR holds any of those and is not a previous compose output
  --config FILE      wrapgen's own part of the wrapper (env, flags, preloads, failMode, runtimes);
                     without it, a wrapper that only runs the chain. Its chain must be empty.
  --name NAME        the composed layer's name without --config (default: composed)
  --allow-conflicts  write the layer even when a conflict breaks a layer
  --env K=V          a variable the function sets (repeatable): the wrappers run with it, to
                     exercise branches gated on it (e.g. --env _HANDLER=run.sh for a web adapter's
                     program); kept in compose.json, so wrapgen verify --layer runs with it too
  --cwd DIR          run as if started in DIR
  --json             print the result as JSON on stdout

Exit codes: 0 written; 1 a layer, the config or the composition is wrong (the message says which, and
nothing is written); 2 a bad command line; 70 a bug in wrapgen. See docs/compose.md.
`,
  positionals: true,
  options: { ...CONFIG_OPTIONS, out: { type: 'string' }, name: { type: 'string' }, 'allow-conflicts': { type: 'boolean' }, env: { type: 'string', multiple: true } },
  async run(values, positionals, ctx) {
    const started = performance.now()
    if (!positionals.length) throw new UsageError('give the layers to compose: wrapgen compose LAYER.zip|DIR ... --out DIR (see wrapgen compose --help)')
    if (typeof values.out !== 'string' || !values.out) throw new UsageError('--out DIR is required: where to write the composed layer')
    if (values.name !== undefined && values.config !== undefined) throw new UsageError('--name applies without --config; with a config, its name is used')
    const layers = positionals.map((p) => parseLayerArg(p, ctx.cwd))
    for (const l of layers) if (!existsSync(l.path)) throw new UsageError(`${relative(ctx.cwd, l.path) || l.path}: no such layer zip or folder`)
    const out = resolve(ctx.cwd, values.out)
    for (const l of layers) if (statSync(l.path).isDirectory() && isInside(out, l.path)) throw new UsageError(`--out ${values.out}: inside the input folder ${l.path}; write elsewhere`)
    const config = await openConfig({
      cwd: ctx.cwd,
      ...(typeof values.config === 'string' ? { configFile: resolve(ctx.cwd, values.config) } : { config: { name: typeof values.name === 'string' ? values.name : 'composed' } }),
      onWarning: warnTo(ctx),
    })
    const env = envOption(values.env)
    const result = await compose({ layers, config, allowConflicts: values['allow-conflicts'] === true, ...(Object.keys(env).length ? { env } : {}) })
    const written = writeComposed(result.output, out)
    const ms = Math.round(performance.now() - started)
    for (const w of result.warnings) ctx.err(`wrapgen: warning: ${w}\n`)
    if (values.json) {
      ctx.out(`${JSON.stringify({ layerDir: written.layerDir, zip: written.zip, manifest: written.manifest, composeFile: written.compose, ms, runtimes: result.runtimes, checked: result.checked, warnings: result.warnings, wrappers: result.classified.map((c) => ({ input: result.manifest.inputs[c.layer]!.file, wrapper: c.wrapper, kind: c.kind, reason: c.reason, editsArgv: c.editsArgv, byRuntime: c.byRuntime })), compose: result.manifest }, null, 2)}\n`)
      return EXIT.ok
    }
    const rel = (p: string): string => relative(process.cwd(), p) || '.'
    const m = result.manifest
    const does = (i: number): string => {
      const c = result.classified.find((x) => x.layer === i)
      if (!c) return 'no wrapper'
      const vars = [...new Set(Object.values(c.byRuntime).flatMap((e) => Object.keys(e.env)))]
      return `${c.wrapper}: ${c.kind === 'passes' ? `passes the command on${c.editsArgv ? ', adds arguments' : ''}${vars.length ? `, sets ${vars.join(' ')}` : ''}` : `replaces the runtime (${c.reason})`}`
    }
    const lost = result.attribution.filter((a) => !a.arrived && !a.deferred).length
    const deferred = result.attribution.filter((a) => a.deferred).length
    const unchecked = result.runtimes.filter((rt) => !result.checked.includes(rt))
    ctx.out(
      [
        `composed ${m.inputs.length} layer(s) into ${rel(out)} in ${ms} ms`,
        'inputs, in the order Lambda applies them (a later one wins a shared path):',
        ...m.inputs.map((l, i) => `  ${i + 1}. ${l.file} (${l.format}, ${kb(l.size)}, sha256 ${l.sha256.slice(0, 12)}): ${does(i)}`),
        m.conflicts.length ? 'conflicts:' : 'conflicts: none',
        ...m.conflicts.map((c) => `  ${c.path}: ${c.inputs.join(', ')} differ (${c.differs}); ${c.winner} wins${c.breaks.length ? `; BREAKS ${c.breaks.map((b) => `${b.input}: ${b.reason}`).join('; ')}` : ''}`),
        `chain, run by ${m.wrapper} after its own edits:`,
        ...(m.chain.length ? m.chain.map((c, i) => `  ${i + 1}. ${c.wrapper} (${c.input}, ${c.kind === 'passes' ? 'passes the command on' : 'replaces the runtime, last'})`) : ['  (no vendor wrappers)']),
        `checked on ${result.checked.join(', ') || 'no runtime'}: ${result.attribution.length - lost - deferred} of ${result.attribution.length} vendor environment edits arrived${deferred ? `, ${deferred} not made because an earlier wrapper had set the variable and they apply only when it is unset` : ''}${lost ? ` (${lost} did not: see the warnings)` : ''}`,
        ...(unchecked.length ? [`  not checked on ${unchecked.join(', ')}: the runtime's interpreter did not start there (see the warnings)`] : []),
        `  layer tree  ${rel(written.layerDir)}/`,
        `  layer zip   ${rel(written.zip)} (${kb(result.output.zip.byteLength)})`,
        `  manifest    ${rel(written.manifest)}, ${rel(written.compose)}`,
        '',
        'Attach this one layer instead of the inputs and set:',
        `  AWS_LAMBDA_EXEC_WRAPPER=${m.wrapper}`,
        '',
      ].join('\n'),
    )
    return EXIT.ok
  },
}
export default command
