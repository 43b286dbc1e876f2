// Hostile wrappers: `verify --wrapper` runs code the user does not trust. Each of these tries to harm
// the host (write files in the home folder, /etc and the work tree, read a secret, kill the verify
// process, fork without end, sleep forever, escape into the background). Each must be contained by the
// sandbox, reported as a failure, and leave nothing running and nothing on disk. The CLI's refusals
// (no sandbox without --unsafe-host, --layer with --wrapper, a missing --with-layer folder, a stray
// argument) are here too.
import { readdirSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { main } from '../src/cli/main.js'
import { scaled } from '../src/limits/time-limit.js'
import { verdict } from '../src/verify/report.js'
import { verify } from '../src/api-verify.js'
import { sandboxAvailable } from '../src/sandbox/index.js'
import { passed, type VerifyReport } from '../src/verify/types.js'

// sleeps-forever.sh runs to wrapgen's limit twice: this machine's time, scaled.
t.setTimeout(scaled(600_000))
const repo = fileURLToPath(new URL('..', import.meta.url))
const sandboxed = sandboxAvailable()
const MARK = `wrapgen-hostile-${process.pid}`

const dir = t.testdir({ tmp: {}, secret: `SECRET-${MARK}\n` })
// Every temp folder verify makes comes from makeTemp (os.tmpdir()): here, so the test can see them all.
process.env.TMPDIR = join(dir, 'tmp')
const home = process.env.HOME ?? '/root'
// One path that sorts before /opt (as /home/… does on many machines): the report must still name the layer's write.
const victims = [join(home, `${MARK}.txt`), `/etc/${MARK}`, join(repo, `${MARK}.txt`), join(dir, `${MARK}.txt`), `/a-${MARK}/deep/${MARK}.txt`]

const wrappers: Record<string, string> = {
  'writes-host.sh': `#!/bin/sh
# Tries to write into the home folder, /etc, the work tree and the test folder, then into its layer.
for f in ${victims.map((v) => `'${v}'`).join(' ')}; do mkdir -p "\${f%/*}" 2>/dev/null; echo pwned > "$f" 2>/dev/null; done
echo pwned > /opt/hostile-state 2>/dev/null
exec "$@"
`,
  'reads-home.sh': `#!/bin/sh
# Tries to read a secret from the host (the test folder and the home folder) and prints what it got.
for f in '${join(dir, 'secret')}' '${join(home, '.bashrc')}' '${join(repo, 'package.json')}'; do
  if [ -r "$f" ]; then echo "leaked: $f"; fi
done
exec "$@"
`,
  'kills-parent.sh': `#!/bin/sh
# Tries to find the verify process and kill it, and everything else it can see.
for p in /proc/[0-9]*; do
  case $(cat "$p/cmdline" 2>/dev/null | tr '\\0' ' ') in *node*|*tap*|*bwrap*) kill -9 "\${p#/proc/}" 2>/dev/null ;; esac
done
kill -9 -1 2>/dev/null
exec "$@"
`,
  'fork-bomb.sh': `#!/bin/sh
# A fork bomb in the background, then the runtime: the process limit must stop it.
bomb() { bomb | bomb & }
bomb 2>/dev/null &
sleep 1
exec "$@"
`,
  'sleeps-forever.sh': `#!/bin/sh
# Never execs: sleeps, and leaves another sleeper in a new session in the background.
setsid sleep 1000${process.pid % 97} >/dev/null 2>&1 &
exec sleep 1001${process.pid % 97}
`,
}
for (const [name, text] of Object.entries(wrappers)) {
  writeFileSync(join(dir, name), text)
  chmodSync(join(dir, name), 0o755)
}

/** Host processes that are sandbox uids or carry this test's markers. */
const HOSTILE = ['writes-host.sh', 'reads-home.sh', 'kills-parent.sh', 'fork-bomb.sh', 'sleeps-forever.sh']

function leftovers(): string[] {
  const out: string[] = []
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')
      // Only this file's wrappers: other test files run sandboxed wrappers (forks.sh, …) at the same time.
      const ours = HOSTILE.some((name) => cmd.includes(`/opt/${name}`))
      if ((uid >= 2_000_000 && uid < 3_000_000 && ours) || cmd.includes(`sleep 1000${process.pid % 97}`) || cmd.includes(`sleep 1001${process.pid % 97}`)) out.push(`${p} ${cmd}`)
    } catch {
      // Gone meanwhile.
    }
  }
  return out
}

const failed = (r: VerifyReport) => r.results.filter((x) => x.status === 'fail')
const run = (name: string, extra: Partial<Parameters<typeof verify>[0]> = {}) => verify({ wrapperFile: join(dir, name), runtime: 'nodejs20.x', memories: [1024], shells: [], standInOnly: true, ...extra })

t.test('hostile wrappers are contained, reported, and leave nothing behind', { skip: sandboxed ? false : 'bubblewrap is not usable here' }, async (t) => {
  const [writes, reads, kills, bomb, sleeps] = await Promise.all([
    run('writes-host.sh'),
    run('reads-home.sh'),
    run('kills-parent.sh'),
    run('fork-bomb.sh'),
    run('sleeps-forever.sh'),
  ])
  t.ok(true, 'the verify process survived every one of them')

  for (const v of victims) t.notOk(existsSync(v), `nothing written at ${v}`)
  t.equal(passed(writes), false, 'writes-host.sh: FAIL')
  const wrote = failed(writes).find((x) => x.check === 'stdio')?.detail
  t.match(wrote, /^the wrapper wrote outside \/tmp \(read-only on Lambda\): \/opt\/hostile-state, /, 'writes-host.sh: the writes it managed (in its copy) are reported, seen on the file system, the layer\'s own first')
  t.match(wrote, `/a-${MARK}/deep/${MARK}.txt`, 'a file in new folders is one write, not three')
  t.notMatch(wrote, new RegExp(`/a-${MARK}(/deep)?[,]`), 'the folders made to hold it are not listed')

  t.notOk(failed(reads).some((x) => x.detail.includes('leaked')), 'reads-home.sh: no host file was readable', { detail: failed(reads) })

  t.ok(kills.results.length > 0, 'kills-parent.sh: a report came back')

  t.equal(passed(bomb), false, 'fork-bomb.sh: FAIL (the runtime could not even record its start, or the bomb was left behind)')

  t.equal(passed(sleeps), false, 'sleeps-forever.sh: FAIL')
  // Stopped by wrapgen, twice: its limit is said as wrapgen's, not as the wrapper's own way of ending (exit null, SIGKILL).
  t.match(failed(sleeps).find((x) => x.check === 'argv'), { cause: 'time-limit', detail: /^the interpreter never ran: the run did not finish within wrapgen's time limit \(\d+\.\d s, nor in \d+\.\d s on a retry; limits are scaled x[\d.]+ to this machine's measured speed\), so wrapgen stopped it/ }, 'sleeps-forever.sh: the interpreter never ran within wrapgen\'s limit, said once')
  t.notMatch(failed(sleeps).map((x) => x.detail).join('\n'), /SIGKILL/, 'wrapgen\'s kill is not reported as the wrapper\'s')
  t.match(verdict(sleeps), / \d+ failed \(1 of them stopped at wrapgen's time limit: not a verdict on the wrapper\),/, 'the summary line says which failures are wrapgen\'s limit')
  t.ok(failed(sleeps).every((x) => x.check !== 'env' && x.check !== 'stdio'), 'sleeps-forever.sh: no follow-on failures for a run that never started')

  // Nothing left running, nothing left on disk.
  // The sandboxes' processes die with them; on a busy machine that takes a moment.
  for (const end = Date.now() + scaled(5000); leftovers().length && Date.now() < end;) await new Promise((r) => setTimeout(r, 100))
  t.strictSame(leftovers(), [], 'no process left running')
  t.strictSame(readdirSync(join(dir, 'tmp')), [], 'every temp folder removed')
})

t.test('the CLI refuses what it must', async (t) => {
  const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = ''
    let err = ''
    const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), cwd: repo })
    return { code, out, err }
  }
  const both = await cli('verify', '--layer', 'dist', '--wrapper', 'test/fixtures/wrappers/forks.sh')
  t.equal(both.code, 2, '--layer with --wrapper: usage error')
  t.match(both.err, /--layer and --wrapper: choose one/)
  const stray = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', 'extra')
  t.equal(stray.code, 2, 'a stray argument: usage error')
  t.match(stray.err, /verify: unexpected argument "extra"; it takes options only/)
  const missing = await cli('verify', '--cwd', 'examples/service', '--with-layer', 'no/such/layer', '--runtime', 'nodejs20.x')
  t.equal(missing.code, 1, 'a missing --with-layer folder: user error')
  t.equal(missing.err.trim().split('\n').length, 1, 'one line')
  t.match(missing.err, /--with-layer .*no\/such\/layer: no such folder/)
  const hostMode = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', '--mode', 'path-mapped', '--runtime', 'nodejs20.x')
  t.equal(hostMode.code, 1, '--wrapper on the host without --unsafe-host: refused')
  t.match(hostMode.err, /--wrapper runs code you did not write, and only in the sandbox: .*pass --unsafe-host/)
  const badAllow = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', '--allow', 'everything')
  t.equal(badAllow.code, 2, 'an unknown --allow: usage error')
  t.match(badAllow.err, /--allow everything: use handler, runtime-api, replace-runtime, option-change/)
  const badAt = await cli('verify', '--wrapper', 'test/fixtures/wrappers/forks.sh', '--at', '/etc/x')
  t.equal(badAt.code, 2, '--at outside /opt: usage error')
  // --verbose: what each failed case exec'd against what was expected; --json: the same on each row.
  const verbose = await cli('verify', '--wrapper', 'test/fixtures/wrappers/corpus/joined-array-dup.sh', '--runtime', 'nodejs20.x', '--memory', '1024', '--stand-in-only', '--verbose')
  t.equal(verbose.code, 3, '--verbose: a failing wrapper exits 3')
  t.match(verbose.out, /failures \(\d+ checks, \d+ causes\):\n {2}[a-z, -]+: argument "\/var\/lang\/bin\/node" is duplicated/, 'grouped by cause')
  t.match(verbose.out, /\n {4}nodejs20\.x 1024 MB exec: exec'd \["\/var\/lang\/bin\/node","--enable-source-maps","\/var\/lang\/bin\/node","--expose-gc"/, 'the argv exec\'d')
  t.match(verbose.out, /\n {6}expected \["\/var\/lang\/bin\/node","--expose-gc"/, 'against the expected argv')
  const json = await cli('verify', '--wrapper', 'test/fixtures/wrappers/corpus/pythonpath-trap.sh', '--runtime', 'python3.12', '--memory', '1024', '--stand-in-only', '--json')
  const report = JSON.parse(json.out) as VerifyReport
  const row = report.results.find((x) => x.status === 'fail' && x.check === 'env' && x.shell === 'exec')
  t.match(row?.detail, /sets PYTHONPATH="\/opt\/acme\/python" without \/opt\/python/, '--json: the env failure')
  t.strictSame(row?.exec?.env.find(([k]) => k === 'PYTHONPATH'), ['PYTHONPATH', '/opt/acme/python', null], '--json: the environment diff of the failed case')
  const unsafe = await cli('verify', '--wrapper', 'test/fixtures/wrappers/otel-style.sh', '--mode', 'path-mapped', '--unsafe-host', '--runtime', 'nodejs20.x', '--memory', '1024', '--stand-in-only', '--shell', 'dash')
  t.equal(unsafe.code, 0, '--unsafe-host: a good wrapper passes path-mapped', { detail: unsafe.out + unsafe.err })
})
