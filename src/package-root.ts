// Finds wrapgen's own folder (where runtimes/, preloads/, wrappers/ live), from src/ or dist/src/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wrapgen') return (root = dir)
    const up = dirname(dir)
    if (up === dir) throw new Error('wrapgen: cannot find its own package.json')
    dir = up
  }
}
