// `wrapgen verify`: the harness, from the command line.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isComposed } from '../layer-tree/compose-manifest.js'
import { openConfig } from '../config/open.js'
import { EXIT, UsageError } from '../errors.js'
import { renderJunit, renderTable, renderTap, renderWarnings } from '../verify/report.js'
import { verify } from '../api-verify.js'
import { ALLOWANCES, passed, type Allowance } from '../verify/types.js'
import { LAYER_DIR } from '../plan/types.js'
import { configHelp, CONFIG_OPTIONS, warnTo, type Command, envOption } from './context.js'

const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined)

const command: Command = {
  summary: 'verify the wrapper on every runtime',
  help: `Usage: wrapgen verify [--config FILE] [--cwd DIR] [--layer DIR | --wrapper FILE] [options]

Runs the wrapper the way each Lambda runtime's bootstrap runs it (stand-in interpreters that record
every start, and the real node, python, java and ruby where installed), in a sandbox, and checks the
argv, the environment, exec (same pid, exit codes, signals), stdio (and writes outside /tmp),
WRAPGEN_DISABLE, failMode, the exec bit, adversarial arguments and idempotence, for every runtime x
memory size x shell.

What it verifies:
  (default)         the layer built (in a temp folder) from the config
  --layer DIR       an already-built layer (the out folder of wrapgen build, or its layer/ tree),
                    checked against the config it must have been built from. A layer wrapgen
                    compose wrote needs no config: its compose.json holds the config, the
                    runtimes the inputs support, and each vendor wrapper's deliberate changes
                    (accepted as compose classified them); failures and deviations name the
                    vendor layer that made them
  --wrapper FILE    any exec wrapper (a vendor's, a hand-written one), no config: exec'd as Lambda
                    does (its #! line decides; a #!/bin/sh one also under every shell, for
                    portability) and checked against the generic contract (execs, keeps every
                    argument once and in order, options before the entry, nothing on stdout, exit
                    codes and signals pass, writes nothing outside /tmp). Runs only in the sandbox.

Options for --wrapper:
  --at PATH         the wrapper's path on Lambda (default: its path in a --with-layer tree, else
                    /opt/<file name>); scripts that find files beside themselves need it
  --allow LIST      accept deliberate changes: handler (rewrites _HANDLER / the handler argument),
                    runtime-api (points AWS_LAMBDA_RUNTIME_API at a proxy), replace-runtime (runs
                    the function's own program), option-change (drops or replaces a runtime
                    option); also applies to chained wrappers
  --unsafe-host     run the wrapper on this host when bubblewrap is missing (it is code you do not
                    control: it can read and write what you can)

Options:
  --runtime GLOB    runtimes to check, e.g. 'nodejs*', 'java17,dotnet8:*' (default: the config's
                    runtimes; with --wrapper, see --matrix)
  --memory LIST     memory sizes in MB (default 128,1024,10240; with --wrapper, see --matrix)
  --matrix MODE     for --wrapper: quick (default) checks the runtimes the wrapper is plausibly for
                    (its #! interpreter, the runtimes its code or its layer's folders name; all
                    when it names none), one per command shape, at 1024 MB unless it reads the
                    memory size, and prints that choice; full checks every runtime at every size
  --shell LIST      shells among dash, bash, busybox, mksh (default: every one installed)
  --mode MODE       sandboxed (bubblewrap: the layer read-only at /opt, only /tmp writable),
                    path-mapped (the same tree under a temp folder), or auto (default)
  --with-layer DIR  another layer tree to unpack into /opt as well (a vendor's layer, for --wrapper
                    or chained wrappers); repeatable
  --env K=V         a variable the function sets (repeatable), to exercise branches gated on it
  --verbose         with the table: what each failed case exec'd, and its environment diff
  --stand-in-only   skip the real-interpreter probes
  --reporter NAME   table (default), tap, junit, or json
${configHelp(18)}

Exit codes: 0 every check that ran passed; 3 a check failed; 1 a config or input problem (a missing
--with-layer folder, no bubblewrap for --wrapper); 2 usage (--layer with --wrapper, a stray argument).
`,
  options: {
    ...CONFIG_OPTIONS,
    layer: { type: 'string' },
    wrapper: { type: 'string' },
    runtime: { type: 'string' },
    memory: { type: 'string' },
    shell: { type: 'string' },
    mode: { type: 'string' },
    'with-layer': { type: 'string', multiple: true },
    'stand-in-only': { type: 'boolean' },
    reporter: { type: 'string' },
    at: { type: 'string' },
    env: { type: 'string', multiple: true },
    allow: { type: 'string', multiple: true },
    'unsafe-host': { type: 'boolean' },
    verbose: { type: 'boolean' },
    matrix: { type: 'string' },
  },
  async run(values, _positionals, ctx) {
    if (values.layer !== undefined && values.wrapper !== undefined) throw new UsageError('--layer and --wrapper: choose one (--layer checks a layer wrapgen built, --wrapper any wrapper file)')
    if (values.at !== undefined && values.wrapper === undefined) throw new UsageError('--at places the wrapper given with --wrapper; add --wrapper FILE')
    const env = envOption(values.env)
    const allow = ((values.allow as string[] | undefined) ?? []).flatMap((a) => a.split(',').map((x) => x.trim()).filter(Boolean))
    for (const a of allow) if (!(ALLOWANCES as readonly string[]).includes(a)) throw new UsageError(`--allow ${a}: use ${ALLOWANCES.join(', ')}`)
    const reporter = values.json ? 'json' : ((values.reporter as string | undefined) ?? 'table')
    if (!['table', 'tap', 'junit', 'json'].includes(reporter)) throw new UsageError(`--reporter ${reporter}: use table, tap, junit or json`)
    const mode = (values.mode as string | undefined) ?? 'auto'
    if (!['auto', 'sandboxed', 'path-mapped'].includes(mode)) throw new UsageError(`--mode ${mode}: use auto, sandboxed or path-mapped`)
    const matrix = values.matrix as string | undefined
    if (matrix !== undefined && matrix !== 'quick' && matrix !== 'full') throw new UsageError(`--matrix ${matrix}: use quick or full`)
    if (matrix !== undefined && values.wrapper === undefined) throw new UsageError('--matrix chooses what --wrapper checks by default; add --wrapper FILE (a layer is checked on its config\'s runtimes)')
    const memories = list(values.memory)?.map(Number)
    if (memories?.some((m) => !Number.isInteger(m) || m < 128 || m > 10240)) throw new UsageError(`--memory ${values.memory}: give whole megabytes from 128 to 10240, comma-separated`)
    const wrapperFile = values.wrapper === undefined ? undefined : resolve(ctx.cwd, values.wrapper as string)
    const layerDir = values.layer === undefined ? undefined : resolve(ctx.cwd, values.layer as string)
    // A layer wrapgen compose made carries its config: one is read only when given with --config.
    const ownConfig = layerDir !== undefined && values.config === undefined && isComposed(existsSync(join(layerDir, 'layer', LAYER_DIR)) ? join(layerDir, 'layer') : layerDir)
    const config = wrapperFile || ownConfig ? undefined : await openConfig({ cwd: ctx.cwd, configFile: values.config as string | undefined, onWarning: warnTo(ctx) })
    const report = await verify({
      ...(config ? { config } : {}),
      ...(wrapperFile ? { wrapperFile } : {}),
      ...(layerDir ? { layerDir } : {}),
      ...(typeof values.runtime === 'string' ? { runtime: values.runtime } : {}),
      ...(memories ? { memories } : {}),
      ...(list(values.shell) ? { shells: list(values.shell)! } : {}),
      mode: mode as 'auto',
      ...(values['with-layer'] ? { extraLayers: (values['with-layer'] as string[]).map((d) => resolve(ctx.cwd, d)) } : {}),
      standInOnly: values['stand-in-only'] === true,
      ...(values.at !== undefined ? { at: values.at as string } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(allow.length ? { allow: allow as Allowance[] } : {}),
      unsafeHost: values['unsafe-host'] === true,
      ...(matrix ? { matrix: matrix as 'quick' | 'full' } : {}),
    })
    const text = reporter === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reporter === 'tap' ? renderTap(report) : reporter === 'junit' ? renderJunit(report) : renderTable(report, values.verbose === true)
    // Warnings on stderr, before the report: a table read in a terminal or a log shows them above it.
    if (reporter !== 'json') ctx.err(renderWarnings(report))
    ctx.out(text)
    return passed(report) ? EXIT.ok : EXIT.checks
  },
}
export default command
