// Starts the emulated function process and collects what it writes: stdout and stderr (the
// function's logs), fd 3 (our entry's report line) and its exit. fd 7 is the bootstrap's pid channel.
import { spawn, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
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
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'pipe'],
  })
  // Its own process group: an interrupted wrapgen kills the whole group (the function and its children).
  trackChild(child, true)
  let out = ''
  let err = ''
  let fd3 = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
  child.stdio[3]?.on('data', (c: Buffer) => (fd3 += c.toString()))
  // fd 7: the bootstrap writes its pid there (it must be open); nothing here needs it.
  const fd7 = (child.stdio as ReadonlyArray<unknown>)[7]
  if (fd7 instanceof Readable) fd7.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      err += `wrapgen: cannot start ${command}: ${e.message}\n`
      resolve({ code: 127, signal: null })
    })
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  return {
    child, spawnedAt, exited,
    stdout: () => out,
    stderr: () => err,
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
