// Starts the emulated function process and collects what it writes: stdout and stderr (the
// function's logs, bounded: log-buffer.ts), fd 3 (our entry's report line) and its exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { logBuffer } from './log-buffer.js'
import { trackChild } from '../cleanup.js'
import type { Timestamp } from './runtime-api.js'

export interface FunctionProcess {
  readonly child: ChildProcess
  /** When spawn() was called: the wrapper's (bootstrap's) start. */
  readonly spawnedAt: Timestamp
  /** Resolves with the exit code (or 128 + signal number style name) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stdout(): string
  stderr(): string
  reportLines(): string[]
  /** Kills the process (and, when path-mapped, its process group). */
  kill(): void
}

/** Spawns `command` (which sets the function's environment itself; see launch.ts). */
export function startFunction(command: string, args: readonly string[], cwd: string): FunctionProcess {
  const spawnedAt: Timestamp = { hr: performance.now(), epochMs: performance.timeOrigin + performance.now() }
  const child = spawn(command, args, {
    cwd, detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  // Its own process group: an interrupted wrapgen kills the whole group (the function and its children).
  trackChild(child, true)
  const out = logBuffer()
  const err = logBuffer()
  let spawnError = ''
  let fd3 = ''
  child.stdout?.on('data', (c: Buffer) => out.add(c))
  child.stderr?.on('data', (c: Buffer) => err.add(c))
  // Our entry's report lines: a few hundred bytes; more is not ours, and not kept.
  child.stdio[3]?.on('data', (c: Buffer) => void (fd3.length < 64 * 1024 && (fd3 += c.toString())))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      spawnError = `wrapgen: cannot start ${command}: ${e.message}\n`
      resolve({ code: 127, signal: null })
    })
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  return {
    child, spawnedAt, exited,
    stdout: () => out.text(),
    stderr: () => err.text() + spawnError,
    reportLines: () => fd3.split('\n').filter(Boolean),
    kill() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    },
  }
}
