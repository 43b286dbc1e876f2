// The Node runtimes' client for invoke: AWS's aws-lambda-ric (an optional peer dependency, found by
// ricPackageDir) at /var/runtime/node_modules/aws-lambda-ric, this machine's node at
// /var/lang/bin/node, and our /var/runtime/index.mjs, which reports node's start and calls its run().
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../package-root.js'
import type { RuntimeClient } from './clients.js'
import { ricPackageDir } from './layout.js'

export function nodeClient(taskDir: string): RuntimeClient {
  const ricDir = ricPackageDir([taskDir, process.cwd()])
  const version = (JSON.parse(readFileSync(join(ricDir, 'package.json'), 'utf8')) as { version?: string }).version ?? '?'
  return {
    family: 'node',
    processName: 'node',
    ran: `node ${process.version} (${process.execPath}), aws-lambda-ric ${version}`,
    notes: [],
    binds: [[ricDir, '/var/runtime/node_modules/aws-lambda-ric'], [process.execPath, '/var/lang/bin/node']],
    files: [['/var/runtime/index.mjs', readFileSync(join(packageRoot(), 'src/invoke/assets/runtime-entry.mjs'))]],
    argv: (argv, _handler, path) => argv.map((a) => (/^\/(opt|var)\//.test(a) ? path(a) : a)),
  }
}

/** Custom runtimes (provided.*) bring their own runtime; node stays at /var/lang/bin/node for extensions written in node. */
export function providedClient(): RuntimeClient {
  return {
    family: 'node',
    processName: 'bootstrap',
    ran: 'the function\'s own bootstrap',
    notes: [],
    binds: [[process.execPath, '/var/lang/bin/node']],
    argv: (argv) => [...argv],
  }
}
