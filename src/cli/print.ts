// `wrapgen print --runtime ID`: the command and environment the wrapper produces for a runtime's real argv.
import { openConfig } from '../config/open.js'
import { EXIT, UsageError } from '../errors.js'
import { plan as makePlan } from '../plan/plan.js'
import { simulate } from '../plan/simulate.js'
import { LAYER_DIR } from '../plan/types.js'
import { loadCatalogue, selectRuntimes } from '../runtimes/catalogue.js'
import { expandRuntime } from '../runtimes/expand.js'
import { DEFAULT_MEMORY_MB } from '../runtimes/memory.js'
import { configHelp, CONFIG_OPTIONS, warnTo, type Command } from './context.js'

const command: Command = {
  summary: 'show what the wrapper does for one runtime',
  help: `Usage: wrapgen print --runtime ID [--memory MB] [--config FILE] [--cwd DIR] [--json]

Shows the argv the runtime's bootstrap passes to the wrapper, the argv the wrapper execs, and the
environment variables it changes. Computed from the same plan the script is rendered from; run
"wrapgen verify" to prove the script agrees.

Options:
  --runtime ID    a Lambda runtime id (nodejs20.x, python3.12, java17, dotnet8, ...); for runtimes
                  with modes add one: dotnet8:single-file
  --memory MB     the function's memory (default ${DEFAULT_MEMORY_MB}, Lambda's default)
${configHelp(16)}
`,
  options: { ...CONFIG_OPTIONS, runtime: { type: 'string' }, memory: { type: 'string' } },
  async run(values, _p, ctx) {
    const id = values.runtime
    if (typeof id !== 'string') throw new UsageError('--runtime is required, e.g. --runtime nodejs20.x (see wrapgen print --help)')
    const memory = Number(values.memory ?? DEFAULT_MEMORY_MB)
    if (!Number.isInteger(memory) || memory < 128 || memory > 10240) throw new UsageError(`--memory ${values.memory}: give whole megabytes from 128 to 10240`)
    const catalogue = loadCatalogue()
    // Throws a usage error with a "did you mean" (nodejs20 -> nodejs20.x) or the runtime's modes.
    const fixtures = selectRuntimes(catalogue.runtimes, id)
    const config = await openConfig({ cwd: ctx.cwd, configFile: values.config as string | undefined, onWarning: warnTo(ctx) })
    const plan = makePlan(config)
    const reports = fixtures.map((fixture) => {
      if (fixture.family === 'none') return { runtime: fixture.id, mode: fixture.mode, note: fixture.note ?? 'this runtime never runs AWS_LAMBDA_EXEC_WRAPPER' }
      const inst = expandRuntime(fixture, { memory, commonEnv: catalogue.commonEnv })
      const env: Record<string, string> = { ...inst.env, AWS_LAMBDA_EXEC_WRAPPER: `/opt/${LAYER_DIR}/exec` }
      const r = simulate(plan, { argv: inst.argv, env, wrapperDir: `/opt/${LAYER_DIR}` })
      const changed: Record<string, string | null> = {}
      for (const k of new Set([...Object.keys(env), ...Object.keys(r.env)])) if (env[k] !== r.env[k]) changed[k] = r.env[k] ?? null
      return { runtime: fixture.id, mode: fixture.mode, memory, branch: r.branch, argvIn: inst.argv, argvOut: r.argv ?? null, added: r.added, envChanged: changed, stderr: r.stderr, exitCode: r.exitCode ?? null }
    })
    if (values.json) {
      ctx.out(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`)
      return EXIT.ok
    }
    for (const r of reports) {
      ctx.out(`${r.runtime}${r.mode === 'default' ? '' : ` (${r.mode})`}${'memory' in r ? ` at ${r.memory} MB` : ''}\n`)
      if ('note' in r) {
        ctx.out(`  ${r.note}\n\n`)
        continue
      }
      ctx.out(`  bootstrap passes:\n${r.argvIn.map((a) => `    ${JSON.stringify(a)}\n`).join('')}`)
      ctx.out(r.argvOut ? `  wrapper execs:\n${r.argvOut.map((a, i) => `  ${r.added.includes(i) ? '+' : ' '} ${JSON.stringify(a)}\n`).join('')}` : `  wrapper exits ${r.exitCode}\n`)
      const env = Object.entries(r.envChanged)
      ctx.out(env.length ? `  environment changes:\n${env.map(([k, v]) => `    ${k}=${v === null ? '(unset)' : JSON.stringify(v)}\n`).join('')}` : '  environment unchanged\n')
      for (const line of r.stderr) ctx.out(`  stderr: ${line}\n`)
      ctx.out('\n')
    }
    return EXIT.ok
  },
}
export default command
