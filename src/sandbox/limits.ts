// What one sandbox may use: memory per process, processes for its uid, and the size of its /tmp. A
// wrapper that allocates without end, forks without end or fills /tmp (`fallocate -l 2G /tmp/x`) fails
// there, with the host's memory and disk untouched, and the harness says which limit it hit.
//
// The bounds are rlimits set by prlimit inside the sandbox (every platform bubblewrap runs on has them):
// RLIMIT_DATA (private writable memory: what malloc and a JIT's heap take; address space merely reserved
// does not count, so node, python and java start as usual), RLIMIT_NPROC (counted per uid, and each
// sandbox's uid is its own), no core files; /tmp is a tmpfs of a fixed size (bubblewrap's --size).

/** The bounds of one sandbox. */
export interface Limits {
  /** MiB of private writable memory each process may hold (RLIMIT_DATA). */
  readonly memoryMiB: number
  /** Processes its uid may hold at once (RLIMIT_NPROC; the uid is the sandbox's own). */
  readonly pids: number
  /** MiB of its /tmp (a tmpfs). */
  readonly tmpMiB: number
}

/**
 * Far above what a wrapper, a probe or a real interpreter needs (java starts in 512 MiB; /tmp is
 * Lambda's default ephemeral storage), far below harm to the host.
 */
export const DEFAULT_LIMITS: Limits = { memoryMiB: 1024, pids: 256, tmpMiB: 512 }

/** Variables that change the defaults (tests set small ones; a user whose hooks need more, larger ones). */
export const LIMIT_VARIABLES = { memoryMiB: 'WRAPGEN_SANDBOX_MEMORY_MB', pids: 'WRAPGEN_SANDBOX_PIDS', tmpMiB: 'WRAPGEN_SANDBOX_TMP_MB' } as const

/** The limits of one sandbox: `asked` over the environment's over the defaults; nonsense values are ignored. */
export function limitsFor(asked: Partial<Limits> = {}, env: Readonly<Record<string, string | undefined>> = process.env): Limits {
  const pick = (k: keyof Limits): number => {
    const own = asked[k]
    if (own !== undefined && Number.isInteger(own) && own > 0) return own
    const v = Number(env[LIMIT_VARIABLES[k]])
    return Number.isInteger(v) && v > 0 ? v : DEFAULT_LIMITS[k]
  }
  return { memoryMiB: pick('memoryMiB'), pids: pick('pids'), tmpMiB: pick('tmpMiB') }
}

const MiB = 1024 * 1024

/** The command prefix that sets the process limits (run after the uid is dropped: lowering needs no privilege). */
export function limitPrefix(l: Limits): string[] {
  return ['/usr/bin/prlimit', `--nproc=${l.pids}`, `--data=${l.memoryMiB * MiB}`, '--core=0', '--']
}

/** The bubblewrap arguments of a sized /tmp. */
export function tmpArgs(l: Limits): string[] {
  return ['--perms', '1777', '--size', String(l.tmpMiB * MiB), '--tmpfs', '/tmp']
}

/**
 * Which limit a run hit, from what its processes said and how it ended (an rlimit is not reported by
 * the kernel; the error each program prints is), as one clause: undefined when none shows.
 */
export function limitHit(l: Limits, stderr: string, signal?: string | null): string | undefined {
  if (/No space left on device|ENOSPC|Disk quota exceeded/i.test(stderr)) return `it filled the sandbox's /tmp (${l.tmpMiB} MiB; Lambda's default is 512 MB)`
  if (/Cannot allocate memory|out of memory|ENOMEM|memory exhausted|MemoryError|heap out of memory|Not enough space|failed to map segment/i.test(stderr) || signal === 'SIGSEGV')
    return `it ran out of the sandbox's memory (${l.memoryMiB} MiB per process)`
  if (/Resource temporarily unavailable|fork: retry|Cannot fork|can't fork|EAGAIN/i.test(stderr)) return `it reached the sandbox's process limit (${l.pids} processes)`
  return undefined
}
