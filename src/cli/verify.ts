// `wrapgen verify`: the harness, from the command line.
import { resolve } from 'node:path'
import { openConfig } from '../config/open.js'
import { EXIT, UsageError } from '../errors.js'
import { renderJunit, renderTable, renderTap } from '../verify/report.js'
import { verify } from '../verify/run.js'
import { passed } from '../verify/types.js'
import { configHelp, CONFIG_OPTIONS, warnTo, type Command } from './context.js'

const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined)

const command: Command = {
  summary: 'verify the wrapper on every runtime',
  help: `Usage: wrapgen verify [--config FILE] [--cwd DIR] [--layer DIR | --wrapper FILE] [options]

Runs the wrapper the way each Lambda runtime's bootstrap runs it (stand-in interpreters that report
what they received, and the real node, python, java and ruby where installed) and checks the argv,
the environment, exec (same pid, exit codes, signals), stdio, WRAPGEN_DISABLE, failMode, the exec
bit, adversarial arguments and idempotence, for every runtime x memory size x shell.

What it verifies:
  (default)         the layer built (in a temp folder) from the config
  --layer DIR       an already-built layer (the out folder of wrapgen build, or its layer/ tree),
                    checked against the config it must have been built from
  --wrapper FILE    any exec wrapper (a vendor's, a hand-written one), no config: checked against the
                    generic contract only (execs, keeps every argument in order, prints nothing on
                    stdout, passes exit codes and signals, writes nothing outside /tmp)

Options:
  --runtime GLOB    runtimes to check, e.g. 'nodejs*', 'java17,dotnet8:*' (default: the config's
                    runtimes; every runtime with --wrapper)
  --memory LIST     memory sizes in MB (default 128,1024,10240)
  --shell LIST      shells among dash, bash, busybox, mksh (default: every one installed)
  --mode MODE       sandboxed (bubblewrap: the layer read-only at /opt, only /tmp writable),
                    path-mapped (the same tree under a temp folder), or auto (default)
  --with-layer DIR  another layer tree to unpack into /opt as well (for chained wrappers); repeatable
  --stand-in-only   skip the real-interpreter probes
  --reporter NAME   table (default), tap, junit, or json
${configHelp(18)}

Exit codes: 0 every check that ran passed; 3 a check failed; 1 a config or input problem; 2 usage.
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
  },
  async run(values, _p, ctx) {
    const reporter = values.json ? 'json' : ((values.reporter as string | undefined) ?? 'table')
    if (!['table', 'tap', 'junit', 'json'].includes(reporter)) throw new UsageError(`--reporter ${reporter}: use table, tap, junit or json`)
    const mode = (values.mode as string | undefined) ?? 'auto'
    if (!['auto', 'sandboxed', 'path-mapped'].includes(mode)) throw new UsageError(`--mode ${mode}: use auto, sandboxed or path-mapped`)
    const memories = list(values.memory)?.map(Number)
    if (memories?.some((m) => !Number.isInteger(m) || m < 128 || m > 10240)) throw new UsageError(`--memory ${values.memory}: give whole megabytes from 128 to 10240, comma-separated`)
    const wrapperFile = values.wrapper === undefined ? undefined : resolve(ctx.cwd, values.wrapper as string)
    const config = wrapperFile ? undefined : await openConfig({ cwd: ctx.cwd, configFile: values.config as string | undefined, onWarning: warnTo(ctx) })
    const report = await verify({
      ...(config ? { config } : {}),
      ...(wrapperFile ? { wrapperFile } : {}),
      ...(values.layer ? { layerDir: resolve(ctx.cwd, values.layer as string) } : {}),
      ...(typeof values.runtime === 'string' ? { runtime: values.runtime } : {}),
      ...(memories ? { memories } : {}),
      ...(list(values.shell) ? { shells: list(values.shell)! } : {}),
      mode: mode as 'auto',
      ...(values['with-layer'] ? { extraLayers: (values['with-layer'] as string[]).map((d) => resolve(ctx.cwd, d)) } : {}),
      standInOnly: values['stand-in-only'] === true,
    })
    const text = reporter === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reporter === 'tap' ? renderTap(report) : reporter === 'junit' ? renderJunit(report) : renderTable(report)
    ctx.out(text)
    return passed(report) ? EXIT.ok : EXIT.checks
  },
}
export default command
