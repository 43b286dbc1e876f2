// The corpus of real-world exec-wrapper patterns (test/fixtures/wrappers/corpus): each file says in its
// header the pattern it stands for, the expected verdict and how to verify it. verify must pass every
// good one and fail every bad one for the stated reason: false positives and false negatives are
// counted, and both must be 0. Everything runs in the sandbox, exec'd by the wrapper's own #! line.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { verify, type VerifyOptions } from '../src/api-verify.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { ALLOWANCES, passed, type Allowance, type VerifyReport } from '../src/verify/types.js'
import { scaled } from '../src/limits/time-limit.js'

t.setTimeout(scaled(600_000))
const corpus = fileURLToPath(new URL('./fixtures/wrappers/corpus', import.meta.url))

interface Pattern {
  readonly name: string
  readonly file: string
  readonly pattern: string
  readonly verdict: { readonly pass: true } | { readonly pass: false; readonly check: string; readonly because: string }
  readonly options: VerifyOptions
  /** A warning the run must give (e.g. an extra interpreter start). */
  readonly warn?: string
}

/** Reads a wrapper's header: `# PATTERN:`, `# VERDICT: pass | fail CHECK: TEXT`, `# VERIFY: options`. */
function readPattern(name: string, file: string, layerRoot: string | undefined): Pattern {
  const text = readFileSync(file, 'utf8')
  const field = (key: string): string => {
    const m = new RegExp(`^# ${key}(?: \\(known bad\\))?: (.*)$`, 'm').exec(text)
    if (!m) throw new Error(`${file}: no "# ${key}:" line`)
    return m[1]!
  }
  const verdictText = field('VERDICT')
  const failed = /^fail (\S+): (.+)$/.exec(verdictText)
  const words = field('VERIFY').split(/\s+/)
  const opt = (flag: string): string[] => words.flatMap((w, i) => (w === flag ? [words[i + 1]!] : []))
  const env = Object.fromEntries(opt('--env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const warnAt = words.indexOf('--warn')
  return {
    name,
    file,
    pattern: field('PATTERN').slice(0, 80),
    verdict: verdictText === 'pass' ? { pass: true } : { pass: false, check: failed![1]!, because: failed![2]! },
    options: {
      wrapperFile: file,
      runtime: opt('--runtime')[0]!,
      memories: [1024],
      shells: ['dash', 'bash'],
      standInOnly: true,
      ...(opt('--allow').length ? { allow: opt('--allow').flatMap((a) => a.split(',')) as Allowance[] } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(layerRoot && opt('--with-layer').length ? { extraLayers: [join(layerRoot, opt('--with-layer')[0]!)] } : {}),
    },
    ...(warnAt >= 0 ? { warn: words.slice(warnAt + 1).join(' ') } : {}),
  }
}

function loadCorpus(): Pattern[] {
  const out: Pattern[] = []
  for (const entry of readdirSync(corpus).sort()) {
    const path = join(corpus, entry)
    if (statSync(path).isFile()) {
      out.push(readPattern(entry, path, undefined))
      continue
    }
    // A layer tree: the wrapper is the file with a PATTERN header.
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]))
    const file = walk(path).find((f) => /^# PATTERN/m.test(readFileSync(f, 'utf8')))
    if (!file) throw new Error(`${path}: no wrapper with a PATTERN header`)
    out.push(readPattern(entry, file, path))
  }
  return out
}

const patterns = loadCorpus()
const failures = (r: VerifyReport) => r.results.filter((x) => x.status === 'fail')
const describe = (r: VerifyReport): string => failures(r).slice(0, 4).map((x) => `${x.runtime} ${x.shell} ${x.check}: ${x.detail}`).join('\n')

t.test('the pattern corpus: every good wrapper passes, every bad one fails for its reason', { skip: sandboxAvailable() ? false : 'bubblewrap is not usable here: --wrapper runs only in the sandbox' }, async (t) => {
  t.ok(patterns.length >= 15, `${patterns.length} patterns`)
  t.ok(patterns.filter((p) => p.verdict.pass).length >= 8 && patterns.filter((p) => !p.verdict.pass).length >= 6, 'good and bad patterns both')
  const runs = await Promise.all(patterns.map(async (p) => ({ p, r: await verify(p.options) })))
  let falsePositives = 0
  let falseNegatives = 0
  for (const { p, r } of runs) {
    if (p.verdict.pass) {
      const ok = passed(r)
      if (!ok) falsePositives++
      t.ok(ok, `${p.name}: passes (${p.pattern})`, { detail: describe(r) })
      if (p.warn) t.ok(r.warnings.some((w) => w.includes(p.warn!) && w.includes('one more interpreter start')), `${p.name}: warns about the extra start (${p.warn})`, { warnings: r.warnings })
    } else {
      const { check, because } = p.verdict
      // The stated reason, on the exec'd run (the wrapper's own #! line), in the stated check.
      const right = failures(r).some((x) => x.shell === 'exec' && x.check === check && x.detail.includes(because))
      if (!right) falseNegatives++
      t.ok(right, `${p.name}: fails ${check} because "${because}" (${p.pattern})`, { detail: describe(r) })
    }
  }
  t.comment(`corpus: ${patterns.length} patterns (${patterns.filter((p) => p.verdict.pass).length} good, ${patterns.filter((p) => !p.verdict.pass).length} bad); false positives ${falsePositives}, false negatives ${falseNegatives}`)
  t.equal(falsePositives, 0, 'no false positive')
  t.equal(falseNegatives, 0, 'no false negative')
})

t.test('deliberate changes fail without --allow, each explained in one line', { skip: sandboxAvailable() ? false : 'no bubblewrap' }, async (t) => {
  const cases: ReadonlyArray<readonly [string, string, Allowance, RegExp]> = [
    ['handler-rewrite.sh', 'python3.12', 'handler', /rewrites _HANDLER to "acme_tracing\.handler\.wrapped" \(a deliberate change\? accept it with --allow handler\)/],
    ['runtime-api-proxy.sh', 'nodejs20.x', 'runtime-api', /points AWS_LAMBDA_RUNTIME_API at "127\.0\.0\.1:9009" \(a proxy in front of the Runtime API\) \(a deliberate change\? accept it with --allow runtime-api\)/],
    ['replace-runtime.sh', 'nodejs20.x', 'replace-runtime', /replaces the runtime: it runs "\/var\/task\/run\.sh" instead of \/var\/lang\/bin\/node .*--allow replace-runtime/],
  ]
  for (const [file, runtime, kind, message] of cases) {
    const r = await verify({ wrapperFile: join(corpus, file), runtime, memories: [1024], standInOnly: true, env: { _HANDLER: file === 'replace-runtime.sh' ? 'run.sh' : 'index.handler' } })
    t.equal(passed(r), false, `${file}: fails without --allow ${kind}`)
    t.match(failures(r).find((x) => x.shell === 'exec')?.detail, message, `${file}: says what changed and how to accept it`)
    t.ok(r.deviations.some((d) => d.includes(`${kind}:`)), `${file}: listed among the deliberate changes`, { deviations: r.deviations })
    // Guards against an --allow that accepts any deliberate change once one is allowed: every other
    // kind accepted, this one still fails, and says which --allow it needs.
    const others = ALLOWANCES.filter((a) => a !== kind)
    const wrong = await verify({ wrapperFile: join(corpus, file), runtime, memories: [1024], standInOnly: true, allow: others, env: { _HANDLER: file === 'replace-runtime.sh' ? 'run.sh' : 'index.handler' } })
    t.equal(passed(wrong), false, `${file}: still fails with --allow ${others.join(',')}`)
    t.match(failures(wrong).find((x) => x.shell === 'exec')?.detail, message, `${file}: still names --allow ${kind}`)
  }
  // An option change: a wrapper that drops one of the runtime's own options.
  const r = await verify({ wrapperFile: join(corpus, '..', 'ignores-argv.sh'), runtime: 'nodejs20.x', memories: [1024], shells: [], standInOnly: true, allow: ['replace-runtime'] })
  t.ok(passed(r), 'ignores-argv.sh passes once its runtime replacement is accepted', { detail: describe(r) })
})

t.test('chain: effects are attributed to the wrapper that made them; wrapgen + a correct vendor wrapper is green', { skip: sandboxAvailable() ? false : 'no bubblewrap' }, async (t) => {
  const chainDir = fileURLToPath(new URL('./fixtures/wrappers/chain', import.meta.url))
  const dir = t.testdir({ 'package.json': '{"name":"chain-fixture","private":true}' })
  const layer = (name: string): string => join(chainDir, name)
  const open = (chain: NonNullable<WrapgenConfig['chain']>) => openConfig({ cwd: dir, config: { name: 'chained', node: { flags: ['--enable-source-maps'] }, chain } })
  const FAST = { runtime: 'nodejs20.x,python3.12,java17', memories: [1024], shells: ['dash', 'bash'] } as const

  const green = await verify({ config: await open(['/opt/otel-handler']), extraLayers: [layer('otel-layer')], ...FAST })
  t.ok(passed(green), 'wrapgen + an OpenTelemetry-style bash wrapper (not idempotent, its own env edits): PASS', { detail: describe(green) })
  t.ok(green.results.some((x) => x.check === 'chain' && x.status === 'pass'), 'the chain check ran')
  t.ok(green.results.some((x) => x.check === 'real' && x.runtime === 'nodejs20.x' && x.status === 'pass'), 'the real node ran through both wrappers (expected argv without the chained wrapper)')

  const handler = await verify({ config: await open(['/opt/handler-wrapper']), extraLayers: [layer('handler-layer')], ...FAST, standInOnly: true })
  t.equal(passed(handler), false, 'a chained handler rewrite fails without allow')
  t.strictSame([...new Set(failures(handler).map((x) => x.check))], ['chain'], 'only the chain check fails: argv, env and idempotence are wrapgen\'s and pass')
  t.match(failures(handler)[0]?.detail, /a chained wrapper \(not wrapgen\): rewrites _HANDLER to "acme_tracing\.handler\.wrapped" \(a deliberate change\? accept it with chain\[\]\.allow: handler\)/)
  const allowed = await verify({ config: await open([{ path: '/opt/handler-wrapper', allow: ['handler'] }]), extraLayers: [layer('handler-layer')], ...FAST, standInOnly: true })
  t.ok(passed(allowed), 'accepted in the config: chain: [{ path, allow: ["handler"] }]', { detail: describe(allowed) })
  t.ok(allowed.deviations.some((d) => d.includes('accepted in chain[].allow')), 'still listed among the deliberate changes, as accepted')

  const adapterFirst = await verify({ config: await open(['/opt/adapter', '/opt/otel-handler']), extraLayers: [layer('adapter-layer'), layer('otel-layer')], runtime: 'nodejs20.x', memories: [1024], shells: ['dash'], standInOnly: true })
  t.ok(adapterFirst.warnings.some((w) => /^chain: \/opt\/adapter does not pass the runtime's command on \(replaces the runtime.*put it last$/.test(w)), 'a runtime-replacing wrapper that is not last: warned, for that reason', { warnings: adapterFirst.warnings })

  // The config key is validated like every other.
  const problems = await open([{ path: 'opt/x', allow: ['everything' as 'handler'] }]).then(() => [], (e: { details?: readonly string[] }) => [...(e.details ?? [])])
  t.match(problems.join('\n'), /chain\[0\]\.path.*"opt\/x" must be an absolute path/, 'chain[].path must be absolute')
  t.match(problems.join('\n'), /chain\[0\]\.allow\[0\].*"everything" is not a change verify can accept; use "handler", "runtime-api", "replace-runtime", "option-change"/, 'chain[].allow names what it accepts')
})
