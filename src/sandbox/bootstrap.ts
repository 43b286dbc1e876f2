// The emulated runtime bootstrap (bootstrap.sh beside this file): every run of a wrapper, a function or
// a probe starts with it, as Lambda's managed runtimes start with theirs.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../package-root.js'

/** Where a Lambda tree has it (as on Lambda: /var/runtime/bootstrap). */
export const LAMBDA_BOOTSTRAP = '/var/runtime/bootstrap'

/** The host path of bootstrap.sh (the source, with its comments). */
export const bootstrapScript = (): string => join(packageRoot(), 'src/sandbox/bootstrap.sh')

/**
 * Writes the bootstrap into `runtimeDir` (a tree's /var/runtime) as `bootstrap`, mode 0755, without
 * its comments: code under test reads nothing there that names the harness. Returns its host path.
 */
export function installBootstrap(runtimeDir: string): string {
  const text = readFileSync(bootstrapScript(), 'utf8').split('\n').filter((l, i) => i === 0 || !/^\s*#/.test(l)).join('\n')
  const file = join(runtimeDir, 'bootstrap')
  writeFileSync(file, text)
  chmodSync(file, 0o755)
  return file
}
