// Files wrapgen ships and reads at build time; the renderers get their text, never a path.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './package-root.js'

let template: string | undefined

/** wrappers/exec.sh, the wrapper template (read once). */
export function wrapperTemplate(): string {
  return (template ??= readFileSync(join(packageRoot(), 'wrappers/exec.sh'), 'utf8'))
}
