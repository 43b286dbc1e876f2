// `wrapgen invoke`: run a function through the layer on a local Lambda Runtime API, with AWS's real
// runtime client (node, python, java), and show where its cold start went.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defaultRuntime } from '../invoke/default-runtime.js'
import { openConfig } from '../config/open.js'
import { EXIT, UsageError, UserError } from '../errors.js'
import { allSucceeded, renderInvokeRun } from '../invoke/report.js'
import { runInvoke } from '../invoke/run.js'
import { DEFAULT_MEMORY_MB } from '../runtimes/memory.js'
import { configHelp, CONFIG_OPTIONS, warnTo, type Command } from './context.js'

const positiveInt = (name: string, v: unknown, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${String(v)}: give a whole number from ${min} to ${max}`)
  return n
}

/** A built layer's compatible runtimes (DIR or DIR/layer holds wrapgen/manifest.json), or undefined. */
function manifestRuntimes(dir: string): string[] | undefined {
  for (const file of [join(dir, 'wrapgen/manifest.json'), join(dir, 'layer/wrapgen/manifest.json')]) {
    try {
      const runtimes = (JSON.parse(readFileSync(file, 'utf8')) as { compatibleRuntimes?: unknown }).compatibleRuntimes
      if (Array.isArray(runtimes) && runtimes.every((r) => typeof r === 'string')) return runtimes as string[]
    } catch {
      // Not there (or not a manifest): the other place, then the default.
    }
  }
  return undefined
}

/** The event: inline JSON when it looks like JSON (an object, array or string), else a file or - for stdin. */
function readEvent(spec: string | undefined, cwd: string): unknown {
  if (spec === undefined) return {}
  if (/^\s*[[{"]/.test(spec)) {
    try {
      return JSON.parse(spec) as unknown
    } catch (cause) {
      throw new UserError(`--event: the inline event is not JSON: ${(cause as Error).message}`, { cause })
    }
  }
  const where = spec === '-' ? 'standard input' : spec
  let text: string
  try {
    text = readFileSync(spec === '-' ? 0 : resolve(cwd, spec), 'utf8')
  } catch (cause) {
    throw new UserError(`--event ${spec}: cannot read ${where}: ${(cause as Error).message}`, { cause })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new UserError(`--event ${spec}: ${where} is not JSON: ${(cause as Error).message}`, { cause })
  }
}

/** The handler's form for the runtime's family: java's Class::method, everyone else's module.export. */
function checkHandler(handler: string | undefined, runtime: string): void {
  if (handler === undefined) return
  if (/^java/.test(runtime)) {
    if (!/^[A-Za-z_$][\w$.]*(::[A-Za-z_$][\w$]*)?$/.test(handler)) throw new UsageError(`--handler ${handler}: give Class::method (or a class implementing RequestHandler), e.g. example.Handler::handleRequest`)
  } else if (!/^[^.].*\.[^.]/.test(handler)) throw new UsageError(`--handler ${handler}: give module.export, e.g. index.handler or src/app.main`)
}

const command: Command = {
  summary: 'run a function through the layer on a local Lambda Runtime API and report its cold start',
  help: `Usage: wrapgen invoke [--handler index.handler] [--task DIR] [--event JSON|FILE|-] [options]

Builds the layer from the config (in a temp folder), starts the function the way Lambda does -- the
emulated bootstrap, AWS_LAMBDA_EXEC_WRAPPER=/opt/wrapgen/exec, the interpreter with wrapgen's hooks,
AWS's own runtime client (node: aws-lambda-ric 3.3.0; python: awslambdaric; java:
aws-lambda-java-runtime-interface-client), the handler -- on a local Runtime API (127.0.0.1 only),
sends the event, prints each result (or the error as Lambda reports it) and an init report: wrapper
start -> interpreter start -> each hook -> handler loaded -> first invoke answered, in milliseconds.
Inside bubblewrap the layer is at /opt and the task at /var/task, read-only; without it, the same
tree under a temp folder. No Docker, no AWS account. Node, Python and Java runtimes, and custom
runtimes (provided.*). Files in /opt/extensions run as external extensions on an emulated Extensions
API. See docs/invoke.md and docs/extensions.md.

Options:
  --handler H       the handler: module.export (default index.handler; python:
                    lambda_function.lambda_handler), java: Class::method (required)
  --task DIR        the function's code, mounted at /var/task (default: the current folder), or
                    its deployment package (.zip, .jar), unpacked there as Lambda does
  --event EVENT     the event: inline JSON ('{"id":1}'), a JSON file, or - for standard input
                    (default {})
  --runtime ID      nodejs18.x, nodejs20.x, nodejs22.x or nodejs24.x: the runtime's argv and
                    environment (the interpreter is always this machine's node);
                    python3.9 ... python3.14: this machine's python3.X with awslambdaric
                    (pip install awslambdaric==4.2.2), else the nearest python that has it;
                    java17, java21, java25: a JDK of that version (else the nearest newer) and
                    the Java runtime client's jars (mvn dependency:get, see docs/invoke.md);
                    or provided.al2 / provided.al2023: a custom runtime, started as Lambda does
                    (/var/task/bootstrap, else /opt/bootstrap: wrapgen's shim with customRuntime).
                    Default: the first of the config's runtimes (or --layer's manifest) that invoke
                    runs, java only for a Class::method --handler or a layer for java alone;
                    nodejs20.x with --no-layer. Said on stderr
  --interpreter P   python or java: the interpreter to run (a python, or a JDK's bin/java)
  --ric-jars DIR    java: a folder with the client's jars instead of ~/.m2/repository
  --count N         invoke N times on the same warm process (default 1)
  --memory MB       function memory, 128 to 10240 (default ${DEFAULT_MEMORY_MB}, Lambda's default)
  --timeout S       per-invoke timeout in seconds (default 3)
  --env K=V         a function environment variable (e.g. WRAPGEN_DISABLE=1); repeatable
  --layer DIR       use an already-built layer tree (wrapgen build's out/layer) instead of building
  --no-layer        run the same function without wrapgen, for comparison
  --with-layer DIR  add another layer's unpacked tree under /opt after wrapgen's (a vendor's
                    extension, say); repeatable, later trees win; extensions in /opt/extensions run
  --mode MODE       sandboxed, path-mapped, or auto (default)
  --quiet           leave out the function's logs
${configHelp(18)}

Exit codes: 0 every invoke succeeded; 1 init failed, an invoke failed or timed out, or a config problem; 2 usage.
`,
  options: {
    ...CONFIG_OPTIONS,
    handler: { type: 'string' },
    task: { type: 'string' },
    event: { type: 'string' },
    runtime: { type: 'string' },
    count: { type: 'string' },
    memory: { type: 'string' },
    timeout: { type: 'string' },
    env: { type: 'string', multiple: true },
    layer: { type: 'string' },
    'with-layer': { type: 'string', multiple: true },
    'no-layer': { type: 'boolean' },
    mode: { type: 'string' },
    quiet: { type: 'boolean' },
    interpreter: { type: 'string' },
    'ric-jars': { type: 'string' },
  },
  async run(values, _positionals, ctx) {
    const mode = (values.mode as string | undefined) ?? 'auto'
    if (mode !== 'auto' && mode !== 'sandboxed' && mode !== 'path-mapped') throw new UsageError(`--mode ${mode}: use auto, sandboxed or path-mapped`)
    const handler = values.handler as string | undefined
    // Given: the handler's form is checked before the config is read; chosen: once the runtime is known.
    if (values.runtime !== undefined) checkHandler(handler, values.runtime as string)
    const count = positiveInt('count', values.count, 1, 1000) ?? 1
    const memory = positiveInt('memory', values.memory, 128, 10240) ?? DEFAULT_MEMORY_MB
    const timeout = positiveInt('timeout', values.timeout, 1, 900) ?? 3
    const env: Record<string, string> = {}
    for (const kv of (values.env as string[] | undefined) ?? []) {
      const eq = kv.indexOf('=')
      if (eq <= 0) throw new UsageError(`--env ${kv}: give NAME=VALUE`)
      env[kv.slice(0, eq)] = kv.slice(eq + 1)
    }
    const noLayer = values['no-layer'] === true
    if (noLayer && values.layer !== undefined) throw new UsageError('--no-layer and --layer: give one or the other')
    const event = readEvent(values.event as string | undefined, ctx.cwd)
    const config = noLayer || values.layer !== undefined ? undefined
      : await openConfig({ cwd: ctx.cwd, configFile: values.config as string | undefined, onWarning: warnTo(ctx) })
    // Not given: the runtime the layer is for, and say so (a layer for nodejs22.x is not run as nodejs20.x).
    let runtime = values.runtime as string | undefined
    if (runtime === undefined) {
      const chosen = config ? defaultRuntime(config.runtimes, "the config's runtimes", handler) : values.layer !== undefined ? defaultRuntime(manifestRuntimes(resolve(ctx.cwd, values.layer as string)), "the layer's manifest (compatibleRuntimes)", handler) : defaultRuntime(undefined, '')
      runtime = chosen.id
      ctx.err(`wrapgen: invoke: --runtime ${chosen.id} (${chosen.why}; give --runtime to choose)\n`)
      checkHandler(handler, runtime)
    }
    const run = await runInvoke({
      config,
      ...(values.layer !== undefined ? { layerDir: resolve(ctx.cwd, values.layer as string) } : {}),
      noLayer,
      taskDir: resolve(ctx.cwd, (values.task as string | undefined) ?? '.'),
      ...(handler !== undefined ? { handler } : {}),
      runtime,
      ...(values.interpreter !== undefined ? { interpreter: resolve(ctx.cwd, values.interpreter as string) } : {}),
      ...(values['ric-jars'] !== undefined ? { ricJars: resolve(ctx.cwd, values['ric-jars'] as string) } : {}),
      events: Array.from({ length: count }, () => event),
      memory,
      timeoutMs: timeout * 1000,
      mode,
      env,
      ...(config ? { functionName: config.name } : {}),
      withLayers: ((values['with-layer'] as string[] | undefined) ?? []).map((d) => resolve(ctx.cwd, d)),
    })
    ctx.out(values.json ? `${JSON.stringify(run, null, 2)}\n` : renderInvokeRun(run, { logs: values.quiet !== true }))
    return allSucceeded(run) ? EXIT.ok : EXIT.user
  },
}
export default command
