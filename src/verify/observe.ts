// Step 3 of a verify run: start the emulated bootstrap once (in the sandbox, or path-mapped) and
// collect what happened: one record per interpreter start (pid, order, argv, env, cwd), the bootstrap's
// pid, stdout, stderr, how the run ended, and whether anything was left running. The stand-ins record
// on stderr (on stdout when a wrapper sent stderr elsewhere) and take their orders from stdin
// (assets/standin.sh): the run has stdin, stdout and stderr and no other descriptor, as on Lambda.
import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { trackChild } from '../cleanup.js'
import { constants as osConstants } from 'node:os'
import { retryOnTimeout, scaled } from '../limits/time-limit.js'
import { hostPid, limitHit, type Launch } from '../sandbox/index.js'

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
  /** The sandbox limit the run hit, as a clause (limits.ts): a failure whether or not the interpreter ran. */
  readonly limit?: string
}

const split0 = (b: Buffer): string[] => {
  const parts = b.toString('utf8').split('\0')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
}

/** The stand-ins' records taken out of a run's stderr (assets/standin.sh), and what is left: the wrapper's own. */
export interface Records {
  readonly starts: Start[]
  /** What the runtime start read from stdin. */
  readonly stdin: string
  /** Pids that recorded a SIGTERM. */
  readonly termReached: number[]
  /** stderr without the records. */
  readonly stderr: string
  /** A record could not be read (several processes wrote at once, or one wrote garbage). */
  readonly garbled: boolean
}

/** Splits a run's stderr into the stand-ins' records (framed with `boundary`) and the rest. */
export function parseRecords(buf: Buffer, sandboxed: boolean, boundary: string): Records {
  const mark = Buffer.from(`@@${boundary}@@`)
  const sep = Buffer.from(`@@${boundary}@@\n`)
  const endMark = Buffer.from(`@@${boundary}@@end\n`)
  const starts: Start[] = []
  const rest: Buffer[] = []
  const termReached: number[] = []
  let stdin = ''
  let garbled = false
  let at = 0
  while (at < buf.length) {
    const m = buf.indexOf(mark, at)
    if (m < 0) break
    rest.push(buf.subarray(at, m))
    const nl = buf.indexOf(0x0a, m)
    const head = nl < 0 ? '' : buf.subarray(m + mark.length, nl).toString('utf8')
    const signal = /^signal (\d+) TERM$/.exec(head)
    if (signal) {
      termReached.push(Number(signal[1]))
      at = nl + 1
      continue
    }
    const start = /^start (\d+) (\d+) (runtime|probe|script)$/.exec(head)
    const end = nl < 0 ? -1 : buf.indexOf(endMark, nl + 1)
    if ((!start && head !== 'stdin') || end < 0) {
      garbled = true
      at = nl < 0 ? buf.length : nl + 1
      continue
    }
    const body = buf.subarray(nl + 1, end)
    at = end + endMark.length
    if (!start) {
      stdin += body.toString('utf8')
      continue
    }
    // argv, "@@B@@\n", the environment, "@@B@@\n", "cwd:...\nprocs:...\n"
    const a = body.indexOf(sep)
    const e = a < 0 ? -1 : body.indexOf(sep, a + sep.length)
    const tail = e < 0 ? undefined : /^cwd:(.*)\nprocs:(.*)\n$/.exec(body.subarray(e + sep.length).toString('utf8'))
    if (!tail) {
      garbled = true
      continue
    }
    starts.push({
      pid: Number(start[1]),
      ppid: Number(start[2]),
      role: start[3] as Start['role'],
      argv: split0(body.subarray(0, a)).slice(1),
      env: Object.fromEntries(split0(body.subarray(a + sep.length, e)).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      cwd: tail[1]!,
      procs: sandboxed ? tail[2]!.trim().split(/\s+/).filter(Boolean).map(Number) : [],
    })
  }
  rest.push(buf.subarray(at))
  return { starts, stdin, termReached, stderr: Buffer.concat(rest).toString('utf8'), garbled }
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

/** The bootstrap's pid inside the sandbox: bubblewrap's init is 1, the command it starts (exec'd down to the bootstrap) is 2. */
const SANDBOX_BOOTSTRAP_PID = 2

/** A signal's name from its number (bubblewrap reports a death by signal as 128 + n). */
const signalName = (n: number): string | undefined => Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0]

export function observe(spec: RunSpec): Promise<Observation> {
  const { launch } = spec
  const sandboxed = launch.sandboxed === true
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Path-mapped, the wrapper runs on the host: its own process group, so all of it can be stopped.
    detached: !sandboxed,
  })
  trackChild(child, !sandboxed)
  const [stdinP, stdoutP, stderrP] = child.stdio as unknown as Array<Readable & Writable>
  const outputs = Promise.all([stdoutP, stderrP].map(collect))
  const action = spec.action
  const input = spec.stdin ?? ''
  stdinP?.on('error', () => {})
  // What the runtime start is to do (the first line of its stdin), then the bytes it must see there.
  stdinP?.write(`${'exit' in action ? `exit ${action.exit}` : 'kill' in action ? `kill ${action.kill}` : 'wait -'} ${Buffer.byteLength(input)}\n${input}`)
  if (!('wait' in action)) stdinP?.end()
  let timedOut = false
  const stop = (): void => {
    try {
      if (sandboxed) child.kill('SIGKILL')
      else if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, spec.timeoutMs ?? 10_000)
  const bootstrapPid = sandboxed ? SANDBOX_BOOTSTRAP_PID : child.pid
  // For "wait": once the runtime has recorded its start, signal the bootstrap's process (which it must be).
  const signalled = 'wait' in action
    ? Promise.race([runtimeStarted(stderrP, spec.boundary), runtimeStarted(stdoutP, spec.boundary)]).then((ready) => {
        const target = ready && bootstrapPid ? (sandboxed && child.pid ? hostPid(child.pid, bootstrapPid) : bootstrapPid) : undefined
        try {
          if (target) process.kill(target, action.wait as NodeJS.Signals)
        } catch {
          // Already gone: the observation says so.
        }
        // A runtime the signal reaches dies of it at once; one it does not reach (the wrapper forked)
        // would wait for ever: end its wait (its stdin) after a while.
        const late = setTimeout(() => stdinP?.end(), scaled(2000))
        child.once('exit', () => clearTimeout(late))
        if (child.exitCode !== null || child.signalCode !== null) clearTimeout(late)
      })
    : Promise.resolve()
  // 'exit' comes when the command ends; 'close' only when every pipe is closed too. A background process
  // the wrapper left running keeps them open (path-mapped): give it a moment, then stop and say so.
  // Sandboxed, the pid namespace ends with the runtime (leftovers are seen in the records instead).
  let piped = false
  if (!sandboxed) child.on('exit', () => {
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
    const [stdoutBuf, stderrBuf] = buffers as [Buffer, Buffer]
    clearTimeout(timer)
    // Records on stderr, and on stdout after a wrapper redirected stderr: both taken out.
    const onErr = parseRecords(stderrBuf, sandboxed, spec.boundary)
    const onOut = parseRecords(stdoutBuf, sandboxed, spec.boundary)
    const starts = [...onErr.starts, ...onOut.starts]
    const garbled = onErr.garbled || onOut.garbled
    const stdin = onErr.stdin + onOut.stdin
    const termReached = [...onErr.termReached, ...onOut.termReached]
    const stderr = onErr.stderr
    // parseRecords names what is left "stderr": here it is stdout's own bytes.
    const stdout = onOut.stderr
    const runtimes = starts.filter((s) => s.role === 'runtime')
    const final = runtimes[runtimes.length - 1]
    // A run that hit a limit, whether or not the interpreter started after (a wrapper may ignore the error).
    const died = final ? undefined : (signal ?? (sandboxed && code !== null && code > 128 ? signalName(code - 128) : undefined))
    const limit = launch.limits ? limitHit(launch.limits, stderr, died) : undefined
    return {
      starts,
      ran: final !== undefined,
      argv: final?.argv ?? [],
      env: final?.env ?? {},
      pid: final?.pid,
      ppid: final?.ppid,
      cwd: final?.cwd,
      stdin,
      bootstrapPid,
      stdout,
      stderr,
      code,
      signal,
      timedOut,
      leaked: piped || strays(starts, final).length > 0,
      termReached,
      garbled,
      sandboxed,
      ...(limit ? { limit } : {}),
    }
  })
}

/** Resolves once a `runtime` start record has arrived whole on stderr (false if the stream ends first). */
function runtimeStarted(stream: Readable | undefined, boundary: string): Promise<boolean> {
  if (!stream) return Promise.resolve(false)
  const head = `@@${boundary}@@start `
  const end = `@@${boundary}@@end\n`
  return new Promise((resolve) => {
    let text = ''
    const onData = (c: Buffer): void => {
      text += c.toString('latin1')
      for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, at + 1)) {
        const nl = text.indexOf('\n', at)
        if (nl >= 0 && text.slice(at, nl).endsWith(' runtime') && text.includes(end, nl)) {
          stream.off('data', onData)
          resolve(true)
          return
        }
      }
    }
    stream.on('data', onData)
    stream.on('close', () => resolve(false))
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
