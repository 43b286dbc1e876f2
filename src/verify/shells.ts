// The shells a wrapper is run with: every one installed among dash, bash (as sh), busybox ash and mksh.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'

export interface Shell {
  readonly name: string
  /** Path on the host. */
  readonly host: string
  /** File name it must be run as (busybox picks the applet from it). */
  readonly as: string
}

export const SHELLS: readonly Shell[] = [
  { name: 'dash', host: '/usr/bin/dash', as: 'dash' },
  { name: 'bash', host: '/usr/bin/bash', as: 'sh' },
  { name: 'busybox', host: '/usr/bin/busybox', as: 'ash' },
  { name: 'mksh', host: '/usr/bin/mksh', as: 'mksh' },
]

export function findShells(): { found: Shell[]; missing: string[] } {
  const found = SHELLS.map((s) => (existsSync(s.host) ? s : existsSync(s.host.replace('/usr', '')) ? { ...s, host: s.host.replace('/usr', '') } : undefined))
  return { found: found.filter((s): s is Shell => !!s), missing: SHELLS.filter((_, i) => !found[i]).map((s) => s.name) }
}

/** Links each shell into the layout under the name it runs as; returns its Lambda-side path. */
export function linkShell(root: string, shell: Shell): string {
  const dir = join(root, 'var/runtime/shells', shell.name)
  mkdirSync(dir, { recursive: true })
  const link = join(dir, shell.as)
  if (!existsSync(link)) symlinkSync(shell.host, link)
  return `/var/runtime/shells/${shell.name}/${shell.as}`
}
