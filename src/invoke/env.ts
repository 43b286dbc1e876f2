// The command and environment a real function has at start (the runtime catalogue's argv and
// variables for one memory size), with this run's handler, Runtime API address and wrapper.
import { UsageError } from '../errors.js'
import { lambdaIdentity } from '../sandbox/index.js'
import { loadCatalogue } from '../runtimes/catalogue.js'
import { expandRuntime } from '../runtimes/expand.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import type { RuntimeClient } from './clients.js'

/** Node runtimes in the catalogue: the only ones whose real runtime client runs here. */
export function nodeRuntimes(): RuntimeFixture[] {
  return loadCatalogue().runtimes.filter((r) => r.family === 'node')
}

export function nodeRuntime(id: string): RuntimeFixture {
  const found = nodeRuntimes().find((r) => r.id === id)
  if (!found) {
    const ids = nodeRuntimes().map((r) => r.id).join(', ')
    throw new UsageError(`--runtime ${id}: wrapgen invoke runs Node runtimes only (AWS's real Node runtime client); use one of ${ids}`)
  }
  return found
}

/** Runtimes whose AWS runtime client invoke can run: node, python, and java17+ (java8.al2 and java11 run AWS's older, unpublished lambdainternal runtime). */
export function invokeRuntimes(): RuntimeFixture[] {
  return loadCatalogue().runtimes.filter((r) => r.family === 'node' || r.family === 'python' || (r.family === 'java' && r.entry === 'com.amazonaws.services.lambda.runtime.api.client.AWSLambda'))
}

export function invokeRuntime(id: string): RuntimeFixture {
  const found = invokeRuntimes().find((r) => r.id === id)
  if (!found) {
    const ids = invokeRuntimes().map((r) => r.id).join(', ')
    const why = /^(java8|java11)/.test(id) ? ' (its runtime client, lambdainternal, is not published)' : /^(ruby|dotnet)/.test(id) ? ' (its runtime client is not reachable here: docs/invoke.md)' : ''
    throw new UsageError(`--runtime ${id}: wrapgen invoke runs ${ids}, or provided.al2 / provided.al2023${why}`)
  }
  return found
}

export interface FunctionEnvInput {
  readonly runtime: RuntimeFixture
  readonly memory: number
  readonly handler: string
  readonly runtimeApi: string
  readonly functionName: string
  /** /opt/wrapgen/exec, or undefined to run without a wrapper. */
  readonly wrapper: string | undefined
  /** The function's own variables (they win, as on Lambda, except the reserved ones set here). */
  readonly functionEnv: Readonly<Record<string, string>>
  /** Maps a Lambda path to the one the process sees. */
  readonly path: (p: string) => string
  readonly mapped: boolean
  /** The runtime client: the argv as it runs here (path-mapped too), and its own variables. */
  readonly client?: RuntimeClient | undefined
}

/** Variables that hold Lambda paths, which a path-mapped run rewrites. */
const PATH_VARS = ['PATH', 'LD_LIBRARY_PATH', 'NODE_PATH', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']

export function functionCommand(input: FunctionEnvInput): { argv: string[]; env: Record<string, string> } {
  // Fake credentials drawn at random in Lambda's formats (the function name and log group are set below).
  const commonEnv = { ...loadCatalogue().commonEnv, ...lambdaIdentity() }
  const inst = expandRuntime(input.runtime, { memory: input.memory, commonEnv, functionEnv: input.functionEnv })
  const name = input.functionName
  const env: Record<string, string> = {
    ...inst.env,
    _HANDLER: input.handler,
    AWS_LAMBDA_RUNTIME_API: input.runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memory),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    // Our entry reports node's start on this fd, then deletes the variable.
    WRAPGEN_INVOKE_REPORT_FD: '3',
  }
  // On Lambda the runtime clients write framed logs to this fd; here fd 3 is our report channel, and
  // without the variable every client logs on stdout, which invoke collects.
  delete env._LAMBDA_TELEMETRY_LOG_FD
  if (input.wrapper !== undefined) env.AWS_LAMBDA_EXEC_WRAPPER = input.wrapper
  else delete env.AWS_LAMBDA_EXEC_WRAPPER
  if (input.mapped) {
    for (const k of PATH_VARS) {
      const v = env[k]
      if (v !== undefined) env[k] = v.split(':').map((p) => (/^\/(opt|var|tmp)(\/|$)/.test(p) ? input.path(p) : p)).join(':')
    }
    if (env.AWS_LAMBDA_EXEC_WRAPPER !== undefined) env.AWS_LAMBDA_EXEC_WRAPPER = input.path(env.AWS_LAMBDA_EXEC_WRAPPER)
  }
  input.client?.env?.(env)
  const argv = input.client ? input.client.argv(inst.argv, input.handler, input.path) : inst.argv.map((a) => (input.mapped && /^\/(opt|var)\//.test(a) ? input.path(a) : a))
  return { argv, env }
}
