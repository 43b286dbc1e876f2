// A layer tree's /opt/extensions: the external extensions Lambda starts, and how many it allows.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Lambda's limit on external extensions per function. */
export const MAX_EXTENSIONS = 10

/** The files Lambda would start: regular files directly in /opt/extensions, by name (RAPID's order). */
export function listExtensions(optDir: string): string[] {
  const dir = join(optDir, 'extensions')
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return []
  return readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort()
}
