// Runs the emulated bootstrap once and collects what the stand-in interpreter reported.
import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import type { Launch } from './sandbox.js'

export interface RunSpec {
  readonly launch: Launch
  readonly env: Readonly<Record<string, string>>
  /** What the stand-in does after reporting: exit with a code, kill itself, or wait for a signal. */
  readonly action: { readonly exit: number } | { readonly kill: string } | { readonly wait: string }
  readonly stdin?: string
  readonly timeoutMs?: number
}

export interface Observation {
  /** Whether the stand-in interpreter ran at all. */
  readonly ran: boolean
  /** argv as the interpreter received it (the stand-in's own shell removed). */
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
  readonly timedOut: boolean
  /** A process the wrapper left behind still held stdout, stderr or a side channel after the command ended. */
  readonly leaked: boolean
}

const split0 = (b: Buffer): string[] => {
  const parts = b.toString('utf8').split('\0')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
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

export function observe(spec: RunSpec): Promise<Observation> {
  const { launch } = spec
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
  })
  const [stdinP, stdoutP, stderrP, argvP, envP, metaP, ctlP, bootP] = child.stdio as unknown as Array<Readable & Writable>
  const outputs = Promise.all([stdoutP, stderrP, argvP, envP, metaP, bootP].map(collect))
  stdinP?.on('error', () => {})
  stdinP?.end(spec.stdin ?? '')
  ctlP?.on('error', () => {})
  const action = spec.action
  ctlP?.write('exit' in action ? `exit ${action.exit}\n` : 'kill' in action ? `kill ${action.kill}\n` : 'wait\n')
  if (!('wait' in action)) ctlP?.end()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, spec.timeoutMs ?? 10_000)
  // For "wait": once the interpreter has reported its pid, signal the bootstrap's pid (which it must share).
  const signalled = 'wait' in action
    ? Promise.all([collectFirstLine(metaP), collectFirstLine(bootP)]).then(([ready, pid]) => {
        if (ready && pid) {
          try {
            process.kill(Number(pid), action.wait as NodeJS.Signals)
          } catch {
            /* already gone: the observation says so */
          }
        }
        ctlP?.end()
      })
    : Promise.resolve()
  // 'exit' comes when the command ends; 'close' only when every pipe is closed too. A background process
  // the wrapper left running keeps them open: give it a moment, then stop listening and say so.
  let leaked = false
  child.on('exit', () => {
    setTimeout(() => {
      if (child.stdio.some((s) => s && !s.destroyed && (s as Readable).readable)) {
        leaked = true
        for (const s of child.stdio) s?.destroy()
      }
    }, 1500).unref()
  })
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])))
  child.on('error', () => {})
  return Promise.all([outputs, exited, signalled]).then(([buffers, [code, signal]]) => {
    const [stdout, stderr, argv, env, meta, boot] = buffers as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer]
    clearTimeout(timer)
    const metaText = meta.toString('utf8')
    const lines = metaText.split('\n')
    const envList = split0(env)
    const cmd = split0(argv)
    return {
      ran: cmd.length > 0,
      argv: cmd.slice(1),
      env: Object.fromEntries(envList.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      pid: lines[0] ? Number(lines[0]) : undefined,
      ppid: lines[1] ? Number(lines[1]) : undefined,
      cwd: lines[2],
      stdin: lines.slice(3).join('\n'),
      bootstrapPid: boot.length ? Number(boot.toString('utf8').trim()) : undefined,
      stdout: stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
      code,
      signal,
      timedOut,
      leaked,
    }
  })
}

/** Resolves with the first line written to a stream (without consuming it for collect). */
function collectFirstLine(stream: Readable | undefined): Promise<string | undefined> {
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
