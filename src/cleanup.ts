// What a command leaves behind if it is interrupted: its temp folders and the process groups it
// started. Every temp folder and long-lived child goes through here, so SIGINT/SIGTERM (handled in
// bin.ts) can stop the children and remove the folders before wrapgen exits 130/143.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const temps = new Set<string>()
const children = new Set<ChildProcess>()

/**
 * A fresh `wrapgen-<what>-XXXXXX` folder under the OS temp folder, removed on interrupt. `prefix`
 * names it otherwise: a folder bound into a sandbox shows its host path there (/proc/self/mountinfo),
 * and code under test must not read the tool's name in it.
 */
export function makeTemp(what: string, prefix = `wrapgen-${what}`): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  temps.add(dir)
  return dir
}

/** Removes a folder made by makeTemp (and forgets it). Never throws. */
export function removeTemp(dir: string): void {
  temps.delete(dir)
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {
    // Best effort: a temp folder we cannot remove is not worth failing the command for.
  }
}

/**
 * Tracks a child until it exits. A detached child leads its own process group, and the whole group
 * is signalled on interrupt (the function under invoke, and anything it started).
 */
export function trackChild(child: ChildProcess, detached: boolean): void {
  if (child.pid === undefined) return
  const entry = Object.assign(child, { wrapgenDetached: detached })
  children.add(entry)
  child.once('exit', () => children.delete(entry))
}

/** Stops every tracked child (its process group when detached) and removes every temp folder. */
export function cleanupNow(): void {
  for (const child of children) {
    const pid = child.pid
    if (pid === undefined) continue
    try {
      if ((child as ChildProcess & { wrapgenDetached?: boolean }).wrapgenDetached) process.kill(-pid, 'SIGKILL')
      else child.kill('SIGKILL')
    } catch {
      // Already gone.
    }
  }
  children.clear()
  for (const dir of [...temps]) removeTemp(dir)
}
