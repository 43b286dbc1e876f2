#!/usr/bin/env node
// `npm test`'s runner: tap with its own reporter (unchanged on a terminal and in CI), then one
// summary that reads the same on both: passed, failed, skipped, todo, files and time, and the
// first failures by name. It reads the TAP each file left in .tap/test-results during this run.
// Exits with tap's status (1 when any assertion failed even if tap said 0).
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Parser } from 'tap-parser'

// Never inside tap itself (it would run the whole suite again, and again).
if (process.env.TAP_CHILD_ID !== undefined || process.env.TAP === '1') {
  process.stdout.write('1..0 # SKIP scripts/run-tests.mjs runs tap; it is not a test\n')
  process.exit(0)
}

const root = fileURLToPath(new URL('..', import.meta.url))
const results = join(root, '.tap/test-results')

// tap's per-file limit (.taprc: 300 s on an idle machine), scaled like every limit wrapgen sets
// (src/limits/): a loaded CI box must not turn a slow file into a failed one. Files that need longer
// say so themselves (t.setTimeout, scaled too). npm test builds dist/ first.
const args = process.argv.slice(2)
if (!args.some((a) => a.startsWith('--timeout') || a === '-t')) {
  const scale = await import('../dist/src/limits/machine-speed.js').then((m) => m.machineSlowdown(), () => 1)
  args.unshift(`--timeout=${Math.round(300 * scale)}`)
  if (scale > 1) process.stdout.write(`run-tests: this machine is x${scale} slower than idle now; tap's per-file limit is ${Math.round(300 * scale)} s\n`)
}
const started = Date.now()
const tap = spawnSync(join(root, 'node_modules/.bin/tap'), args, { cwd: root, stdio: 'inherit' })
const seconds = ((Date.now() - started) / 1000).toFixed(1)

const files = []
const walk = (dir) => {
  let entries = []
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p)
    else if (e.name.endsWith('.tap') && statSync(p).mtimeMs >= started - 1000) files.push(p)
  }
}
walk(results)

const total = { pass: 0, fail: 0, skip: 0, todo: 0 }
const failures = []
const broken = []
for (const file of files.sort()) {
  const name = relative(results, file).replace(/\.tap$/, '')
  const parser = new Parser()
  const leaves = []
  // Leaf assertions only: a subtest closes with a line of its own in its parent, named like it.
  const watch = (p) => {
    const closing = []
    p.on('child', (child) => {
      closing.push(child.name)
      watch(child)
    })
    p.on('assert', (r) => {
      const at = closing.indexOf(r.name)
      if (at >= 0) closing.splice(at, 1)
      else leaves.push(r)
    })
  }
  watch(parser)
  let final
  parser.on('complete', (r) => (final = r))
  parser.end(readFileSync(file, 'utf8'))
  if (!final) {
    broken.push(name)
    continue
  }
  for (const r of leaves) {
    if (r.todo) total.todo++
    else if (r.skip) total.skip++
    else if (r.ok) total.pass++
    else {
      total.fail++
      failures.push(`${name}: ${r.fullname || r.name || 'failed'}`)
    }
  }
  // A file that ended without its plan (a crash, a timeout) failed even if no assertion did.
  if (!final.ok && !leaves.some((r) => !r.ok && !r.todo)) broken.push(name)
}

const status = tap.status ?? 1
const failed = total.fail + broken.length
const lines = ['', `tests: ${total.pass} passed, ${failed} failed, ${total.skip} skipped, ${total.todo} todo (${files.length} files, ${seconds} s)`]
for (const f of failures.slice(0, 20)) lines.push(`  failed: ${f}`)
if (failures.length > 20) lines.push(`  ... and ${failures.length - 20} more`)
for (const b of broken) lines.push(`  failed: ${b}: did not finish (crashed, timed out, or no plan)`)
if (files.length === 0) lines.push('  no test results were written (tap did not run any file)')
process.stdout.write(`${lines.join('\n')}\n`)
process.exit(status !== 0 ? status : failed > 0 || files.length === 0 ? 1 : 0)
