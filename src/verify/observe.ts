// Step 3 of a verify run: start the emulated bootstrap once (in the sandbox, or path-mapped) and
// collect what happened: one record per interpreter start (pid, order, argv, env, cwd), the bootstrap's
// pid, stdout, stderr, how the run ended, and whether anything was left running.
import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { trackChild } from '../cleanup.js'
import { retryOnTimeout, scaled } from '../limits/time-limit.js'
import { hostPid, type Launch } from '../sandbox/index.js'

export interface RunSpec {
  readonly launch: Launch
  /** The layout's record boundary (layout.ts). */
  readonly boundary: string
  readonly env: Readonly<Record<string, string>>
  /** What the stand-in does after reporting: exit with a code, kill itself, or wait for a signal. */
  readonly action: { readonly exit: number } | { readonly kill: string } | { readonly wait: string }
  readonly stdin?: string
  /** wrapgen's limit on the run (limits.ts: scaled to the machine, retried once). */
  readonly timeoutMs: number
}

/** One start of a stand-in interpreter. */
export interface Start {
  readonly pid: number
  readonly ppid: number
  /** `runtime`: the runtime's command; `probe`: a version query; `script`: the wrapper's own #! interpreter. */
  readonly role: 'runtime' | 'probe' | 'script'
  /** argv as the interpreter received it (the stand-in's own shell removed). */
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** Pids alive in the sandbox when it started (empty when path-mapped: the host's are not ours). */
  readonly procs: readonly number[]
}

export interface Observation {
  /** Every start, in order. */
  readonly starts: readonly Start[]
  /** Whether the runtime's command ran (a `runtime` start): the last one is the one judged. */
  readonly ran: boolean
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly pid: number | undefined
  readonly ppid: number | undefined
  readonly cwd: string | undefined
  readonly stdin: string
  readonly bootstrapPid: number | undefined
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** The run reached wrapgen's time limit (`limits`), on its retry too when it had one. */
  readonly timedOut: boolean
  /** The limit of each try, in ms (set by observeWithin). */
  readonly limits?: readonly number[]
  /** A process the wrapper left behind (alive beside the runtime, or holding its pipes after it ended). */
  readonly leaked: boolean
  /** Pids that noted a SIGTERM (the `wait` action). */
  readonly termReached: readonly number[]
  /** The records could not be read (several processes wrote at once, or one wrote garbage). */
  readonly garbled: boolean
  readonly sandboxed: boolean
}

const split0 = (b: Buffer): string[] => {
  const parts = b.toString('utf8').split('\0')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
}

/** Reads the framed start records (see assets/standin.sh). Stops at the first that does not parse. */
export function parseStarts(buf: Buffer, sandboxed: boolean, boundary: string): { starts: Start[]; garbled: boolean } {
  const starts: Start[] = []
  const mark = Buffer.from(`@@${boundary}@@\n`)
  let at = 0
  const line = (): string | undefined => {
    const nl = buf.indexOf(0x0a, at)
    if (nl < 0) return undefined
    const s = buf.subarray(at, nl).toString('utf8')
    at = nl + 1
    return s
  }
  const part = (): Buffer | undefined => {
    const end = buf.indexOf(mark, at)
    if (end < 0) return undefined
    const b = buf.subarray(at, end)
    at = end + mark.length
    return b
  }
  while (at < buf.length) {
    const head = /^@start (\d+) (\d+) (runtime|probe|script)$/.exec(line() ?? '')
    const argv = head ? part() : undefined
    const envList = argv ? part() : undefined
    const cwd = envList ? /^cwd:(.*)$/.exec(line() ?? '') : undefined
    const procs = cwd ? /^procs:(.*)$/.exec(line() ?? '') : undefined
    if (!head || !argv || !envList || !cwd || !procs) return { starts, garbled: true }
    starts.push({
      pid: Number(head[1]),
      ppid: Number(head[2]),
      role: head[3] as Start['role'],
      argv: split0(argv).slice(1),
      env: Object.fromEntries(split0(envList).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      cwd: cwd[1]!,
      procs: sandboxed ? procs[1]!.trim().split(/\s+/).filter(Boolean).map(Number) : [],
    })
  }
  return { starts, garbled: false }
}

function collect(stream: Readable | Writable | null | undefined): Promise<Buffer> {
  const chunks: Buffer[] = []
  const s = stream as Readable | null | undefined
  if (!s) return Promise.resolve(Buffer.alloc(0))
  return new Promise((resolve) => {
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', () => resolve(Buffer.concat(chunks)))
    s.on('close', () => resolve(Buffer.concat(chunks)))
  })
}

/** Processes alive beside the judged start that the run did not account for (sandboxed runs only). */
function strays(starts: readonly Start[], final: Start | undefined): number[] {
  if (!final) return []
  const known = new Set([1, final.pid, final.ppid, ...starts.map((s) => s.pid)])
  return final.procs.filter((p) => !known.has(p))
}

export function observe(spec: RunSpec): Promise<Observation> {
  const { launch } = spec
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    // Path-mapped, the wrapper runs on the host: its own process group, so all of it can be stopped.
    detached: launch.sandboxed !== true,
  })
  trackChild(child, launch.sandboxed !== true)
  const [stdinP, stdoutP, stderrP, recP, noteP, stdinCopyP, ctlP, bootP] = child.stdio as unknown as Array<Readable & Writable>
  const outputs = Promise.all([stdoutP, stderrP, recP, noteP, stdinCopyP, bootP].map(collect))
  stdinP?.on('error', () => {})
  stdinP?.end(spec.stdin ?? '')
  ctlP?.on('error', () => {})
  const action = spec.action
  ctlP?.write('exit' in action ? `exit ${action.exit}\n` : 'kill' in action ? `kill ${action.kill}\n` : 'wait\n')
  if (!('wait' in action)) ctlP?.end()
  let timedOut = false
  const stop = (): void => {
    try {
      if (launch.sandboxed === true) child.kill('SIGKILL')
      else if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, spec.timeoutMs)
  // For "wait": once the runtime has recorded its start, signal the bootstrap's process (which it must be).
  const signalled = 'wait' in action
    ? Promise.all([runtimeStarted(recP), firstLine(bootP)]).then(([ready, pid]) => {
        const target = ready && pid ? (launch.sandboxed === true && child.pid ? hostPid(child.pid, Number(pid)) : Number(pid)) : undefined
        try {
          if (target) process.kill(target, action.wait as NodeJS.Signals)
        } catch {
          // Already gone: the observation says so.
        }
        // A runtime the signal reaches dies of it at once; one it does not reach (the wrapper forked)
        // would wait for ever: end its wait after a while.
        const late = setTimeout(() => ctlP?.end(), scaled(2000))
        child.once('exit', () => clearTimeout(late))
        if (child.exitCode !== null || child.signalCode !== null) clearTimeout(late)
      })
    : Promise.resolve()
  // 'exit' comes when the command ends; 'close' only when every pipe is closed too. A background process
  // the wrapper left running keeps them open (path-mapped): give it a moment, then stop and say so.
  // Sandboxed, the pid namespace ends with the runtime (leftovers are seen in the records instead).
  let piped = false
  if (launch.sandboxed !== true) child.on('exit', () => {
    setTimeout(() => {
      if (child.stdio.some((s) => s && !s.destroyed && (s as Readable).readable)) {
        piped = true
        stop()
        for (const s of child.stdio) s?.destroy()
      }
    }, scaled(1500)).unref()
  })
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])))
  child.on('error', () => {})
  return Promise.all([outputs, exited, signalled]).then(([buffers, [code, signal]]) => {
    const [stdout, stderr, rec, notes, stdinCopy, boot] = buffers as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer]
    clearTimeout(timer)
    const { starts, garbled } = parseStarts(rec, launch.sandboxed === true, spec.boundary)
    const runtimes = starts.filter((s) => s.role === 'runtime')
    const final = runtimes[runtimes.length - 1]
    return {
      starts,
      ran: final !== undefined,
      argv: final?.argv ?? [],
      env: final?.env ?? {},
      pid: final?.pid,
      ppid: final?.ppid,
      cwd: final?.cwd,
      stdin: stdinCopy.toString('utf8'),
      bootstrapPid: boot.length ? Number(boot.toString('utf8').trim()) : undefined,
      stdout: stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
      code,
      signal,
      timedOut,
      leaked: piped || strays(starts, final).length > 0,
      termReached: [...notes.toString('utf8').matchAll(/^@signal (\d+) TERM$/gm)].map((m) => Number(m[1])),
      garbled,
      sandboxed: launch.sandboxed === true,
    }
  })
}

/** Resolves once a `runtime` start record has arrived (false if the stream ends first). */
function runtimeStarted(stream: Readable | undefined): Promise<boolean> {
  if (!stream) return Promise.resolve(false)
  return new Promise((resolve) => {
    let text = ''
    const onData = (c: Buffer): void => {
      text += c.toString('latin1')
      // The record is complete once its procs line follows.
      if (/@start \d+ \d+ runtime\n[\s\S]*\nprocs:[^\n]*\n/.test(text)) {
        stream.off('data', onData)
        resolve(true)
      }
    }
    stream.on('data', onData)
    stream.on('close', () => resolve(false))
  })
}

/** Resolves with the first line written to a stream (without consuming it for collect). */
function firstLine(stream: Readable | undefined): Promise<string | undefined> {
  if (!stream) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    let text = ''
    const onData = (c: Buffer): void => {
      text += c.toString('utf8')
      const nl = text.indexOf('\n')
      if (nl >= 0) {
        stream.off('data', onData)
        resolve(text.slice(0, nl))
      }
    }
    stream.on('data', onData)
    stream.on('close', () => resolve(undefined))
  })
}

/** A run of a wrapper that has not started the runtime after this long (idle machine) is stopped. */
export const RUN_LIMIT_MS = 5000

/**
 * `observe` under wrapgen's time limit: scaled to the machine, and run once more with a longer limit
 * when the first try reached it. `onRetry` hears of each second try.
 */
export async function observeWithin(spec: Omit<RunSpec, 'timeoutMs'>, baseMs = RUN_LIMIT_MS, onRetry?: () => void): Promise<Observation> {
  const { result, tries } = await retryOnTimeout(baseMs, (ms) => observe({ ...spec, timeoutMs: ms }), (o) => o.timedOut)
  if (tries.length > 1) onRetry?.()
  return { ...result, limits: tries }
}
