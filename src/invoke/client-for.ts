// Which runtime client an invoke run uses for a catalogue runtime (clients.ts): node's, python's or java's.
import type { RuntimeFixture } from '../runtimes/types.js'
import type { RuntimeClient } from './clients.js'
import { javaClient } from './java.js'
import { nodeClient } from './node.js'
import { pythonClient } from './python.js'

export interface ClientOptions {
  /** The function's code folder (aws-lambda-ric may be installed beside it). */
  readonly taskDir: string
  /** A python or java binary to run instead of the one found for the runtime. */
  readonly interpreter?: string | undefined
  /** A folder holding the Java client's jars instead of the Maven local repository. */
  readonly ricJars?: string | undefined
}

export async function clientFor(runtime: RuntimeFixture, opts: ClientOptions): Promise<RuntimeClient> {
  if (runtime.family === 'python') return pythonClient(runtime.id, opts.interpreter)
  if (runtime.family === 'java') return javaClient(runtime, { interpreter: opts.interpreter, ricJars: opts.ricJars })
  return nodeClient(opts.taskDir)
}

/** The handler invoke uses when none is given: Lambda's console defaults; java has none that fits every function. */
export function defaultHandler(runtime: RuntimeFixture): string | undefined {
  if (runtime.family === 'python') return 'lambda_function.lambda_handler'
  if (runtime.family === 'java') return undefined
  return 'index.handler'
}
