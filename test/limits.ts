// wrapgen's time limits are its own, never a verdict on what it stopped (issue 21): scaled to the
// machine's measured speed, retried once with a longer limit, and reported as wrapgen's limit when a
// run reaches that too. A wrapper that is slow to start but correct passes verify and compose on a
// loaded machine as on an idle one; the hanging one (test/verify-hostile.ts) is said to be stopped.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { compose } from '../src/compose/compose.js'
import { openConfig } from '../src/config/open.js'
import { machineSlowdown, SCALE_VARIABLE } from '../src/limits/machine-speed.js'
import { overLimit, RETRY_FACTOR, retryOnTimeout, retryOnTimeoutSync, scaled, timeLimit } from '../src/limits/time-limit.js'
import { verdict } from '../src/verify/report.js'
import { verify } from '../src/api-verify.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { passed } from '../src/verify/types.js'

// Two slow wrappers, each run many times past the old 5 s and 10 s limits: this machine's time, scaled.
t.setTimeout(scaled(600_000))
const sandboxed = sandboxAvailable()

t.test('the calibration: measured once per process, at least 1; WRAPGEN_TIME_SCALE overrides it', async (t) => {
  const measured = machineSlowdown()
  t.ok(measured >= 1 && measured <= 100, `this machine now: x${measured}`)
  t.equal(machineSlowdown(), measured, 'the same factor for the whole process (measured once)')
  const before = process.env[SCALE_VARIABLE]
  t.teardown(() => (before === undefined ? delete process.env[SCALE_VARIABLE] : (process.env[SCALE_VARIABLE] = before)))
  process.env[SCALE_VARIABLE] = '4'
  t.same(timeLimit(5000), { scale: 4, firstMs: 20_000, retryMs: 20_000 * RETRY_FACTOR }, 'a base limit times the factor, and the retry longer still')
  t.equal(scaled(1500), 6000)
  for (const bad of ['0.5', 'fast', '-3']) {
    process.env[SCALE_VARIABLE] = bad
    t.equal(machineSlowdown(), measured, `${bad}: ignored, the measurement stands`)
  }
  process.env[SCALE_VARIABLE] = '1'
  t.match(overLimit('the run', [5000, 15000]), /^the run did not finish within wrapgen's time limit \(5\.0 s, nor in 15\.0 s on a retry; limits are scaled x1 to this machine's measured speed\), so wrapgen stopped it: this is wrapgen's limit, not how it would have ended$/)
})

t.test('a run that reaches its limit is run once more with the longer one; only then is it stopped', async (t) => {
  const limit = timeLimit(100)
  const seen: number[] = []
  const slowOnce = await retryOnTimeout(100, async (ms) => (seen.push(ms), { timedOut: seen.length === 1 }), (r) => r.timedOut)
  t.same(seen, [limit.firstMs, limit.retryMs], 'first the scaled limit, then three times it')
  t.same([slowOnce.tries, slowOnce.timedOut], [[limit.firstMs, limit.retryMs], false], 'the second try decides')
  const fast = retryOnTimeoutSync(100, () => 'done', () => false)
  t.same([fast.result, fast.tries, fast.timedOut], ['done', [limit.firstMs], false], 'one try when the first fits')
  const never = retryOnTimeoutSync(100, () => 'killed', () => true)
  t.same([never.tries.length, never.timedOut], [2, true], 'two tries, then reported as stopped')
})

// A correct wrapper that takes 11 s to start: past the old 10 s limit of verify (and compose's 5 s),
// inside the retry's. Before, verify called it broken ("exit 1 came back as SIGKILL", "the
// interpreter never ran") and compose took it for a runtime replacer ("ended by timeout").
const dir = t.testdir({})
const slow = join(dir, 'slow-start.sh')
writeFileSync(slow, '#!/bin/sh\n# Correct, only slow to start (a vendor agent that waits for its collector).\nsleep 11\nexec "$@"\n')
chmodSync(slow, 0o755)

t.test('verify: a wrapper slower than the first limit gets the same verdict as a fast one', { skip: sandboxed ? false : 'verify --wrapper runs only in bubblewrap' }, async (t) => {
  const r = await verify({ wrapperFile: slow, runtime: 'nodejs20.x', memories: [1024], shells: [], standInOnly: true })
  t.ok(passed(r), `PASS: ${verdict(r)}`, { failures: r.results.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.detail}`) })
  t.same(r.results.filter((x) => x.check === 'exit-codes').map((x) => x.status), ['pass'], 'exit codes pass through (before: exit 1 came back as SIGKILL)')
  if (timeLimit(5000).firstMs < 11_000) t.match(r.warnings, [/runs? did not finish within wrapgen's first time limit \(\d+\.\d s\) and w(as|ere) run again with \d+\.\d s; the verdicts come from the second run/], 'the retries are said')
})

t.test('compose: a vendor wrapper slower than the first limit passes the command on, as it does', { skip: sandboxed ? false : 'compose runs vendors\' wrappers only in bubblewrap' }, async (t) => {
  const layer = join(dir, 'slow-layer')
  mkdirSync(join(layer, 'vendor'), { recursive: true })
  writeFileSync(join(layer, 'vendor/wrapper'), '#!/bin/sh\nsleep 6\nexport SLOW_VENDOR=on\nexec "$@"\n')
  chmodSync(join(layer, 'vendor/wrapper'), 0o755)
  const config = await openConfig({ cwd: dir, config: { name: 'slow-compose', runtimes: ['nodejs22.x', 'python3.12'] } })
  const r = await compose({ layers: [{ path: layer }], config })
  t.same(r.classified.map((c) => [c.wrapper, c.kind, c.reason]), [['/opt/vendor/wrapper', 'passes', '']], 'passes the command on (before: "replaces the runtime", ended by timeout)')
  t.ok(r.attribution.every((a) => a.arrived), 'its SLOW_VENDOR arrived through the composed wrapper')
  t.same(r.checked, ['nodejs22.x', 'python3.12'])
})
