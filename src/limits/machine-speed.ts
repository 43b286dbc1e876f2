// How much slower this machine runs processes right now than the idle 2-core machine wrapgen's time
// limits were set on: one small calibration run, once per process. A CI box shared with other jobs
// (load 20 on 2 cores) is 10-25 times slower than an idle laptop; every limit wrapgen puts on a process
// it waits for is scaled by this factor (time-limit.ts), so the same wrapper gets the same verdict on both.
import { spawnSync } from 'node:child_process'

/**
 * The calibration: a shell loop in a new process (fork, exec and a shell's work, like the runs wrapgen
 * limits). Idle, on the reference machine (2 cores, dash as /bin/sh), it takes about 15 ms.
 */
const LOOP = 'i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done'
const REFERENCE_MS = 15
const SAMPLES = 3
/** Not less than 1 (a fast machine keeps the limits as set), not more than this (a broken measurement). */
const MAX = 100

/** Overrides the measurement, for a machine whose load swings more than one measurement shows. */
export const SCALE_VARIABLE = 'WRAPGEN_TIME_SCALE'

let measured: number | undefined

/** The median of a few runs of the calibration loop, in ms. */
function calibrate(): number {
  const times: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now()
    const r = spawnSync('/bin/sh', ['-c', LOOP], { stdio: 'ignore' })
    // No shell to measure with: nothing to scale by.
    if (r.error || r.status !== 0) return REFERENCE_MS
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]!
}

/** The factor (>= 1) wrapgen's time limits are multiplied by on this machine: measured once per process. */
export function machineSlowdown(): number {
  const given = process.env[SCALE_VARIABLE]
  if (given !== undefined && given !== '') {
    const n = Number(given)
    if (Number.isFinite(n) && n >= 1) return Math.min(n, MAX)
  }
  measured ??= Math.round(Math.min(MAX, Math.max(1, calibrate() / REFERENCE_MS)) * 10) / 10
  return measured
}
