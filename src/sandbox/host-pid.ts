// Finding, from the host, a process started inside a sandbox: its pids there are the sandbox's own.
import { readdirSync, readFileSync } from 'node:fs'

/**
 * The host pid of the process that is `nsPid` inside the sandbox started as `root` (bubblewrap):
 * Lambda signals the runtime's process, and the harness must signal that very process from outside.
 */
export function hostPid(root: number, nsPid: number): number | undefined {
  const nsOf = (p: number): number | undefined => {
    const ns = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]?.trim().split(/\s+/).map(Number)
    return ns && ns.length > 1 ? ns[ns.length - 1] : undefined
  }
  // Children of each process: from /proc/PID/task/TID/children, or (kernels without it) from every ppid.
  let children: (p: number) => number[]
  try {
    readFileSync(`/proc/${root}/task/${root}/children`, 'utf8')
    children = (p) => readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch {
    const byParent = new Map<number, number[]>()
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1])
        byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)])
      } catch {
        // Gone meanwhile.
      }
    }
    children = (p) => byParent.get(p) ?? []
  }
  const seen = new Set<number>()
  const queue = [root]
  while (queue.length) {
    const p = queue.shift()!
    if (seen.has(p)) continue
    seen.add(p)
    try {
      if (p !== root && nsOf(p) === nsPid) return p
      queue.push(...children(p))
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined
}
