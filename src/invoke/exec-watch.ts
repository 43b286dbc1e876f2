// When the interpreter started, seen from outside: the function's process goes bootstrap -> wrapper ->
// interpreter by exec (one pid), so its name in /proc changes to the interpreter's at that moment.
// Polled every millisecond during init, from the process wrapgen spawned down (bubblewrap forks the
// function). Used where no code of ours runs first in the interpreter to say so (python, java); the
// time is when the poll saw it, at most about a millisecond late on an idle machine.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { Timestamp } from './runtime-api.js'

export interface ExecWatch {
  /** When the interpreter's name was first seen, if it was. */
  seenAt(): Timestamp | undefined
  stop(): void
}

const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8')
  } catch {
    return undefined
  }
}

/** The process and its descendants (breadth first, a few at most). */
function tree(root: number): number[] {
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0 && out.length < 64) {
    const p = queue.shift()!
    out.push(p)
    // Children forked by the main thread (bubblewrap, env and the shells have no other thread).
    const kids = read(`/proc/${p}/task/${p}/children`)
    if (kids) queue.push(...kids.trim().split(/\s+/).filter(Boolean).map(Number))
  }
  return out
}

export function watchExec(rootPid: number | undefined, processName: string): ExecWatch {
  let seen: Timestamp | undefined
  // /proc/PID/comm holds at most 15 bytes of the name.
  const name = processName.slice(0, 15)
  const poll = (): void => {
    if (rootPid === undefined || seen) return
    for (const p of tree(rootPid)) {
      if (read(`/proc/${p}/comm`)?.trimEnd() === name) {
        const hr = performance.now()
        seen = { hr, epochMs: performance.timeOrigin + hr }
        timer.unref()
        clearInterval(timer)
        return
      }
    }
  }
  const timer = setInterval(poll, 1)
  poll()
  return { seenAt: () => seen, stop: () => clearInterval(timer) }
}
