// Files wrapgen ships and reads at build time; the renderers get their text, never a path.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './package-root.js'

let templates: { exec: string; part: string } | undefined

/** wrappers/exec.sh and wrappers/exec-part.sh, the wrapper's templates (read once). */
export function wrapperTemplates(): { readonly exec: string; readonly part: string } {
  const read = (file: string): string => readFileSync(join(packageRoot(), 'wrappers', file), 'utf8')
  return (templates ??= { exec: read('exec.sh'), part: read('exec-part.sh') })
}
