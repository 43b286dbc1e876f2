// Untrusted code stays contained (issue 17): code wrapgen did not write, run by invoke (the function,
// a vendor's extension), verify (a wrapper under test, a --with-layer tree) and compose, tried as an
// attacker would. Each case asserts what held: no host file written or read, no host process touched,
// no process left, bounded memory and disk, the exit code and the one-line message. The built CLI runs
// in a child process with its own TMPDIR (test/fixtures/security.ts); docs/reliability.md's threat
// model lists every case.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { scaled } from '../../src/limits/time-limit.js'
import { verify } from '../../src/api-verify.js'
import { sandboxAvailable } from '../../src/sandbox/index.js'
import { passed, type VerifyReport } from '../../src/verify/types.js'
import { ensureBuilt, oneLine, processesWith, repo, snapshot, start, until, wrapgen } from '../fixtures/security.js'

t.setTimeout(scaled(240_000))
ensureBuilt()
const sandboxed = sandboxAvailable()
// Passed as a copy ({ ...x }): tap's --grep writes its skip reason into a test's options object, so
// one shared object would skip every later test that uses it.
const noSandbox = { skip: sandboxed ? false : 'bubblewrap is not usable here' }
const ric = existsSync(join(repo, 'node_modules/aws-lambda-ric/package.json'))
const needsInvoke = { skip: !sandboxed ? 'bubblewrap is not usable here' : !ric ? 'aws-lambda-ric (optional) is not installed' : false }
// Markers unique to this run: the processes an attacker leaves are found by them.
const tag = `${process.pid % 100000}`
const ESC = '\u001b'

const dir = t.testdir({ secret: `SECRET-${tag}\n`, host: {} })
chmodSync(join(dir, 'secret'), 0o600)
const secret = join(dir, 'secret')
const victimFile = join(dir, 'host', `pwned-${tag}`)

const script = (file: string, text: string): string => {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, text)
  chmodSync(file, 0o755)
  return file
}

// ---------------------------------------------------------------------------------------------------
// invoke: a hostile extension and a hostile handler, in one run (the cases below read its result).

/** What the attacks say they managed: ATTACK lines, written wherever the attacker can write. */
const ATTACKS = `
say() { printf 'ATTACK %s\\n' "$*" >&2; }
cat "$SECRET" >/dev/null 2>&1 && say read-host-secret
for p in /proc/[0-9]*; do
  cat "$p/root$SECRET" >/dev/null 2>&1 && say "read-secret-through-$p"
  (echo pwned > "$p/root$VICTIM_FILE") 2>/dev/null && say "wrote-host-through-$p"
done
(echo pwned > "$VICTIM_FILE") 2>/dev/null && say wrote-host-file
cat /etc/shadow >/dev/null 2>&1 && say read-etc-shadow
kill -9 "$VICTIM_PID" 2>/dev/null && say killed-host-process
curl -s -m 2 -o /dev/null "http://127.0.0.1:$HOST_PORT/" && say reached-host-port
curl -s -m 2 -o /dev/null "http://$HOST_IP:$HOST_PORT/" && say reached-host-address
(echo x > /opt/pwned) 2>/dev/null && say wrote-opt
(echo x > /var/task/pwned) 2>/dev/null && say wrote-task
say "uid=$(id -u) caps=$(grep CapEff /proc/self/status | cut -f2) fds=$(ls /proc/self/fd | tr '\\n' ' ')"
setsid sh -c 'exec sleep 1${tag}1' </dev/null >/dev/null 2>&1 &
printf '\\033]0;pwned-title\\007\\033[2J\\033[1A\\033[32mPASS\\033[0m\\n' >&2
fallocate -l 2G /tmp/fill 2>/dev/null && say filled-2G-tmp
`

const extLayer = join(dir, 'ext-layer')
script(join(extLayer, 'extensions/hostile'), `#!/bin/sh
api="http://\${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
# A local server, as Lambda's secrets and parameters extension serves one: the function reaches it.
/var/lang/bin/node -e "require('http').createServer((q, r) => r.end('from-extension')).listen(2773, '127.0.0.1', () => console.log('listening'))" > /tmp/listening &
until [ -s /tmp/listening ]; do sleep 0.05; done
h=$(mktemp)
curl -sS -D "$h" -o /dev/null -X POST "$api/register" -H "Lambda-Extension-Name: hostile" -d '{"events":["SHUTDOWN"]}'
id=$(grep -i '^lambda-extension-identifier:' "$h" | tr -d '[:space:]' | cut -d: -f2)
${ATTACKS}
# 20 MB of logs: invoke keeps its start and end.
head -c 20000000 /dev/zero | tr '\\0' x
curl -sS -o /dev/null "$api/event/next" -H "Lambda-Extension-Identifier: $id"
`)
const task = join(dir, 'task')
mkdirSync(task)
writeFileSync(join(task, 'index.js'), [
  "const { execFileSync, spawn } = require('node:child_process')",
  `const ATTACKS = ${JSON.stringify(ATTACKS)}`,
  'exports.handler = async () => {',
  `  spawn('setsid', ['sleep', '1${tag}2'], { detached: true, stdio: 'ignore' }).unref()`,
  "  const local = await new Promise((resolve) => require('node:http').get('http://127.0.0.1:2773/', (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => resolve(b)) }).on('error', (e) => resolve(e.message)))",
  "  const out = execFileSync('/bin/sh', ['-c', '{\\n' + ATTACKS + '\\n} 2>&1; true'], { encoding: 'utf8' })",
  "  return { local, attacks: out.split('\\n').filter((l) => l.startsWith('ATTACK ')) }",
  '}',
  '',
].join('\n'))

interface InvokeResult { code: number | null; out: string; err: string; hostConnections: number; victimAlive: boolean; leftAfter: string[]; ms: number }
let invoked: Promise<InvokeResult> | undefined
/** The hostile run, once, for the cases that read it. */
function hostileInvoke(): Promise<InvokeResult> {
  return (invoked ??= (async () => {
    let connections = 0
    const server = createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r))
    const port = (server.address() as AddressInfo).port
    const hostIp = spawnSync('hostname', ['-I'], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0] || '127.0.0.1'
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' })
    const env = { SECRET: secret, VICTIM_FILE: victimFile, VICTIM_PID: String(victim.pid), HOST_PORT: String(port), HOST_IP: hostIp }
    const args = ['invoke', '--no-layer', '--task', task, '--with-layer', extLayer, '--timeout', '20', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`])]
    const r = wrapgen(args, { cwd: dir, timeout: scaled(90_000) })
    const victimAlive = victim.exitCode === null && victim.signalCode === null
    victim.kill()
    server.close()
    // Everything the run started ends with it: the setsid sleepers included.
    await until(() => processesWith(`sleep 1${tag}`).length === 0, 3000)
    return { code: r.code, out: r.out, err: r.err, hostConnections: connections, victimAlive, leftAfter: processesWith(`sleep 1${tag}`), ms: r.ms }
  })())
}
const attacksIn = (text: string): string[] => [...text.matchAll(/ATTACK ([^\n"]+)/g)].map((m) => m[1]!)

t.test('1. invoke: the function and an extension run as their own uid, without capabilities, in their own pid and network namespaces', { ...needsInvoke }, async (t) => {
  const r = await hostileInvoke()
  t.equal(r.code, 0, 'the function still works: the Runtime API is reachable inside', { detail: `${r.err}\n${r.out.replace(/x{200,}/g, 'x...').slice(0, 4000)}` })
  const attacks = attacksIn(r.out)
  const managed = attacks.filter((a) => !a.startsWith('uid='))
  t.strictSame(managed, [], 'no attack of the extension or the handler held (read a 0600 host file, wrote through /proc/<pid>/root, read /etc/shadow, killed a host process, reached 127.0.0.1 or the host address, wrote /opt or /var/task, filled /tmp with 2 GB)')
  const ids = attacks.filter((a) => a.startsWith('uid='))
  t.equal(ids.length, 2, 'both the extension and the handler reported who they are')
  for (const id of ids) {
    t.match(id, /^uid=(\d+) caps=0000000000000000 /, `${id}: no capability`)
    t.not(Number(/^uid=(\d+)/.exec(id)?.[1]), 0, 'not root')
    t.not(Number(/^uid=(\d+)/.exec(id)?.[1]), process.getuid?.(), 'not the calling user')
  }
  t.match(r.out, /"local":"from-extension"/, 'loopback is the sandbox\'s own, shared as on Lambda: the function reaches the extension\'s local server')
  t.equal(r.hostConnections, 0, 'the host server saw no connection')
  t.ok(r.victimAlive, 'the host process it tried to kill is alive')
  t.notOk(existsSync(victimFile), 'no host file written')
  t.ok(r.ms < scaled(60_000), `bounded: ${r.ms} ms`)
})

t.test('4. invoke: a setsid daemon of the handler or an extension does not outlive the run', { ...needsInvoke }, async (t) => {
  const r = await hostileInvoke()
  t.strictSame(r.leftAfter, [], 'no process left after a normal end')
  // After Ctrl-C too: a handler that starts a daemon and then waits.
  const slow = join(dir, 'slow-task')
  mkdirSync(slow, { recursive: true })
  writeFileSync(join(slow, 'index.js'), `const { spawn } = require('node:child_process')
exports.handler = async () => { spawn('setsid', ['sleep', '1${tag}3'], { detached: true, stdio: 'ignore' }).unref(); await new Promise((r) => setTimeout(r, 60000)) }
`)
  const run = start(['invoke', '--no-layer', '--task', slow, '--timeout', '90'], { cwd: dir })
  t.ok(await until(() => processesWith(`sleep 1${tag}3`).length > 0, 30_000), 'the daemon started')
  run.child.kill('SIGINT')
  const end = await run.done
  t.equal(end.code, 130, 'exit 130')
  t.ok(await until(() => processesWith(`sleep 1${tag}3`).length === 0, 3000), 'the daemon ended with the run')
  t.strictSame(readdirSync(run.tmp), [], 'no temp folder left')
})

t.test('6. invoke: escape sequences in an extension\'s or the function\'s output reach the terminal escaped', { ...needsInvoke }, async (t) => {
  const r = await hostileInvoke()
  t.notOk(r.out.includes(ESC) || r.err.includes(ESC), 'no raw ESC on stdout or stderr')
  t.match(r.out, /\\u001b\]0;pwned-title\\u0007\\u001b\[2J/, 'shown escaped')
})

t.test('9. invoke: an extension\'s 20 MB of logs are clipped, as the function\'s are', { ...needsInvoke }, async (t) => {
  const r = await hostileInvoke()
  t.ok(r.out.length < 3 * 1024 * 1024, `the output is ${r.out.length} bytes`)
  t.match(r.out, /\[\.\.\. \d+ bytes of output left out \.\.\.\]/, 'says how much it left out')
})

t.test('1. invoke without a sandbox, or path-mapped: refused in one line unless --unsafe-host', async (t) => {
  const r = wrapgen(['invoke', '--no-layer', '--task', task, '--mode', 'path-mapped'], { cwd: dir })
  t.equal(r.code, 1)
  t.ok(oneLine(r.err), r.err)
  t.match(r.err, /invoke runs the function and its layers' extensions, code wrapgen did not write, only in the sandbox: .*pass --unsafe-host/)
  t.strictSame(readdirSync(r.tmp), [], 'nothing made')
})

// ---------------------------------------------------------------------------------------------------
// verify: wrappers and trees wrapgen did not write.

const wrappers = join(dir, 'wrappers')
const hostMark = join(dir, 'host', `verify-pwned-${tag}`)
const fast = { runtime: 'nodejs20.x', memories: [1024], shells: [], standInOnly: true } as const
const failedRows = (r: VerifyReport): string[] => r.results.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.detail}`)

t.test('2. verify: --with-layer trees and chained wrappers never run on the host without --unsafe-host', async (t) => {
  const layer = join(dir, 'vendor-layer')
  script(join(layer, 'otel-handler'), `#!/bin/sh\necho pwned > '${hostMark}'\nexec "$@"\n`)
  writeFileSync(join(dir, 'wrapgen.config.json'), JSON.stringify({ name: 'chained', chain: ['/opt/otel-handler'] }))
  for (const args of [
    ['verify', '--config', 'wrapgen.config.json', '--with-layer', layer, '--mode', 'path-mapped', '--runtime', 'nodejs20.x', '--memory', '1024', '--stand-in-only'],
    ['verify', '--wrapper', join(layer, 'otel-handler'), '--with-layer', layer, '--mode', 'path-mapped', '--runtime', 'nodejs20.x'],
  ]) {
    const r = wrapgen(args, { cwd: dir })
    t.equal(r.code, 1, `${args[1]} ${args[2]}: exit 1`)
    t.ok(oneLine(r.err), r.err)
    t.match(r.err, /(--with-layer|--wrapper) runs code you did not write, and only in the sandbox: --mode path-mapped would run it on this host; .*--unsafe-host/)
    t.strictSame(readdirSync(r.tmp), [], 'nothing made')
  }
  t.notOk(existsSync(hostMark), 'the chained wrapper never ran on the host')
})

t.test('7. verify: a wrapper that fills /tmp or memory hits the sandbox\'s bound, and the check fails with the reason', { ...noSandbox }, async (t) => {
  script(join(wrappers, 'fills-tmp.sh'), '#!/bin/sh\nfallocate -l 2G /tmp/fill || dd if=/dev/zero of=/tmp/fill bs=1M count=2048 2>&1 | tail -1 >&2\nexec "$@"\n')
  script(join(wrappers, 'eats-memory.sh'), '#!/bin/sh\nx=$(head -c 200000000 /dev/zero | tr "\\0" a)\necho ${#x}\nexec "$@"\n')
  const before = readFileSync('/proc/meminfo', 'utf8')
  const free = (m: string): number => Number(/MemAvailable:\s+(\d+)/.exec(m)?.[1]) * 1024
  process.env.WRAPGEN_SANDBOX_TMP_MB = '32'
  process.env.WRAPGEN_SANDBOX_MEMORY_MB = '64'
  try {
    const started = Date.now()
    const [fill, eat] = await Promise.all([verify({ wrapperFile: join(wrappers, 'fills-tmp.sh'), ...fast }), verify({ wrapperFile: join(wrappers, 'eats-memory.sh'), ...fast })])
    t.ok(Date.now() - started < scaled(30_000), 'both end within seconds')
    t.equal(passed(fill), false, 'fills-tmp.sh: FAIL')
    t.match(failedRows(fill).join('\n'), /filled the sandbox's \/tmp \(32 MiB/, 'the reason: /tmp is full')
    t.equal(passed(eat), false, 'eats-memory.sh: FAIL')
    t.match(failedRows(eat).join('\n'), /ran out of the sandbox's memory \(64 MiB per process\)|never ran/, 'the reason: out of memory')
  } finally {
    delete process.env.WRAPGEN_SANDBOX_TMP_MB
    delete process.env.WRAPGEN_SANDBOX_MEMORY_MB
  }
  // 2 GB asked for, none taken: the host's available memory did not drop by anything like it.
  t.ok(free(before) - free(readFileSync('/proc/meminfo', 'utf8')) < 1024 * 1024 * 1024, 'the host kept its memory')
})

// Guards against a sandbox without --unshare-net: a wrapper under test would reach the host's loopback
// (a database, a metadata proxy on 127.0.0.1) and the network beyond.
t.test('1. verify: the sandbox has no network: a wrapper gets no connection to a listener on the host\'s loopback', { ...noSandbox }, async (t) => {
  let connections = 0
  const server = createServer((s) => {
    connections++
    s.destroy()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => void server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  // The same attempt from the host reaches it: what the wrapper tries is a real connection.
  const control = spawn('curl', ['-s', '-m', '5', '-o', '/dev/null', url], { stdio: 'ignore' })
  await new Promise((r) => control.on('close', r))
  t.ok(await until(() => connections === 1, 5000), 'from the host, curl reaches the listener')
  connections = 0
  script(join(wrappers, 'phones-home.sh'), `#!/bin/sh\ncurl -s -m 2 -o /dev/null '${url}' && echo "reached the host" >&2\nexec "$@"\n`)
  const r = await verify({ wrapperFile: join(wrappers, 'phones-home.sh'), ...fast })
  t.ok(passed(r), 'the wrapper ran and passed the command on', { failed: failedRows(r) })
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(connections, 0, 'the listener saw no connection from any of its runs')
})

t.test('19. verify: the write check sees deletions, new empty folders and links at the root', { ...noSandbox }, async (t) => {
  const layer = join(dir, 'writes-layer')
  mkdirSync(join(layer, 'vendor'), { recursive: true })
  writeFileSync(join(layer, 'vendor/keep.txt'), 'x')
  script(join(layer, 'deletes.sh'), '#!/bin/sh\nrm -f /opt/vendor/keep.txt\nexec "$@"\n')
  script(join(layer, 'makes-folder.sh'), '#!/bin/sh\nmkdir /opt/newdir\nexec "$@"\n')
  script(join(layer, 'links-root.sh'), '#!/bin/sh\nln -s /etc /evil\nmkdir /newroot\nexec "$@"\n')
  const stdio = async (name: string): Promise<string> => failedRows(await verify({ wrapperFile: join(layer, name), extraLayers: [layer], ...fast })).find((x) => x.startsWith('stdio:')) ?? ''
  // Guards against judging the root's new paths by their top folder, or by the top level only: /var
  // holds the Lambda tree's mount points (bubblewrap's own), yet a new folder below it is a write, and
  // so is a file in a new folder anywhere ($HOME is unset, as on Lambda: "$HOME/x" is /x).
  script(join(layer, 'writes-deep.sh'), '#!/bin/sh\nmkdir -p "$HOME/x" /var/cache/x\necho m > "$HOME/x/mark"\necho m > /var/cache/x/mark\nexec "$@"\n')
  const [deletes, folder, root, deep] = await Promise.all([stdio('deletes.sh'), stdio('makes-folder.sh'), stdio('links-root.sh'), stdio('writes-deep.sh')])
  t.match(deletes, /wrote outside \/tmp .*\/opt\/vendor\/keep\.txt \(deleted\)/, 'a deletion')
  t.match(folder, /wrote outside \/tmp .*\/opt\/newdir/, 'a new empty folder')
  t.match(root, /wrote outside \/tmp .*\/evil, \/newroot/, 'a link and a folder at the root')
  t.match(deep, /wrote outside \/tmp .*\/var\/cache\/x\/mark/, 'a file in a new folder under /var')
  t.match(deep, /wrote outside \/tmp .*\/x\/mark/, 'a file in a new folder at $HOME')
  t.equal(readFileSync(join(layer, 'vendor/keep.txt'), 'utf8'), 'x', 'the tree given is untouched')
})

t.test('14, 20. verify: a symlinked vendor wrapper works; a FIFO, or a folder over a symlink, is one line and leaves no temp folder', { ...noSandbox }, async (t) => {
  const layer = join(dir, 'otel-layer')
  script(join(layer, 'vendor/wrapper.sh'), '#!/bin/sh\nexport OTEL_SEEN=1\nexec "$@"\n')
  symlinkSync('vendor/wrapper.sh', join(layer, 'otel-handler'))
  const ok = wrapgen(['verify', '--wrapper', join(layer, 'otel-handler'), '--with-layer', layer, '--runtime', 'nodejs20.x', '--memory', '1024', '--stand-in-only', '--shell', 'dash'], { cwd: dir })
  t.equal(ok.code, 0, `the vendor's layout (otel-handler -> vendor/wrapper.sh) passes: ${ok.out.slice(-300)}${ok.err}`)
  t.strictSame(readdirSync(ok.tmp), [], 'no temp folder left')
  const fifo = join(dir, 'fifo-layer')
  mkdirSync(fifo)
  spawnSync('mkfifo', [join(fifo, 'pipe')])
  const clash = join(dir, 'clash-layer')
  mkdirSync(join(clash, 'vendor'), { recursive: true })
  const linked = join(dir, 'linked-layer')
  mkdirSync(linked)
  symlinkSync('/etc', join(linked, 'vendor'))
  for (const [extra, message] of [[[fifo], /pipe: not a file, folder or symlink/], [[linked, clash], /\/opt\/vendor is a (folder|symlink) here and a (symlink|folder) in an earlier layer tree/]] as const) {
    const r = wrapgen(['verify', '--wrapper', join(layer, 'otel-handler'), '--with-layer', layer, ...extra.flatMap((d) => ['--with-layer', d]), '--runtime', 'nodejs20.x', '--stand-in-only'], { cwd: dir })
    t.equal(r.code, 1, `${extra.join(', ')}: exit 1`)
    t.ok(oneLine(r.err), r.err)
    t.match(r.err, message)
    t.strictSame(readdirSync(r.tmp), [], 'no wrapgen-verify-* (or any) temp folder left')
  }
})

t.test('21. verify cannot be told apart in one line: random credentials in Lambda\'s formats, no extra fds, no tool-named paths', { ...noSandbox }, async (t) => {
  // Behaves (passes the command on) when it thinks it is checked; drops the handler otherwise.
  script(join(wrappers, 'evades.sh'), `#!/bin/sh
seen() { exec "$@"; }
for fd in 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$fd ] && seen "$@"; done
[ -e /var/runtime/bootstrap.sh ] && seen "$@"
case "$(env)" in *WRAPGEN*|*wrapgen*|*VERIFY*|*verify*) seen "$@" ;; esac
case $AWS_ACCESS_KEY_ID in ASIA[A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7][A-Z2-7]) ;; *) seen "$@" ;; esac
[ "\${#AWS_SECRET_ACCESS_KEY}" = 40 ] || seen "$@"
grep -qi 'wrapgen\\|verify' /proc/self/mountinfo /proc/1/cmdline /var/runtime/bootstrap /var/lang/bin/* 2>/dev/null && seen "$@"
grep -rqi wrapgen /var/runtime /var/lang /var/task 2>/dev/null && seen "$@"
case $(hostname) in *wrapgen*|*verify*) seen "$@" ;; esac
# Not checked: misbehave (drop the handler, the last argument).
n=$#; i=0
for a do i=$((i + 1)); [ "$i" -eq 1 ] && set --; [ "$i" -lt "$n" ] && set -- "$@" "$a"; done
exec "$@"
`)
  const r = await verify({ wrapperFile: join(wrappers, 'evades.sh'), ...fast })
  t.equal(passed(r), false, 'FAIL: none of the one-line tells gave the check away, so the wrapper showed what it does in production')
  t.match(failedRows(r).join('\n'), /^argv: /m, 'what it dropped is what failed')
  const draw = (): string => spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(repo, 'dist/src/sandbox/identity.js'))}).then((m) => console.log(JSON.stringify(m.lambdaIdentity())))`], { encoding: 'utf8' }).stdout
  const [a, b] = [JSON.parse(draw()) as Record<string, string>, JSON.parse(draw()) as Record<string, string>]
  t.match(a.AWS_ACCESS_KEY_ID, /^ASIA[A-Z2-7]{16}$/, 'an access key id as STS issues them')
  t.match(a.AWS_SECRET_ACCESS_KEY, /^[A-Za-z0-9+/]{40}$/)
  t.match(a.AWS_SESSION_TOKEN, /^IQoJb3JpZ2luX2Vj[A-Za-z0-9+/=]{900,}$/)
  t.not(a.AWS_ACCESS_KEY_ID, b.AWS_ACCESS_KEY_ID, 'drawn anew by each wrapgen')
  t.notMatch(JSON.stringify(a), /wrapgen|verify/i)
})

t.test('6. verify: a wrapper\'s escape sequences reach the report escaped', { ...noSandbox }, async (t) => {
  script(join(wrappers, 'paints.sh'), '#!/bin/sh\nprintf \'\\033]0;pwned\\007\\033[2J\\033[32mPASS\\033[0m error\\n\' >&2\nexit 1\n')
  const r = wrapgen(['verify', '--wrapper', join(wrappers, 'paints.sh'), '--runtime', 'nodejs20.x', '--memory', '1024', '--stand-in-only'], { cwd: dir })
  t.equal(r.code, 3, 'FAIL: exit 3')
  t.notOk(r.out.includes(ESC) || r.err.includes(ESC), 'no raw ESC')
  t.match(r.out, /\\u001b\[32mPASS/, 'the sequence shown escaped')
})

t.test('3, 11. compose: a setuid vendor binary is written without the bit (and said so); a wrapper that starts nothing is a failure', { ...noSandbox }, async (t) => {
  const vendor = join(dir, 'suid-layer')
  script(join(vendor, 'bin/tool'), '#!/bin/sh\necho tool\n')
  chmodSync(join(vendor, 'bin/tool'), 0o4755)
  const r = wrapgen(['compose', `${vendor}=none`, '--out', join(dir, 'suid-out')], { cwd: dir })
  t.equal(r.code, 0, r.err)
  t.equal(readdirSync(r.tmp).length, 0, 'no temp folder left')
  t.match(r.err, /suid-layer: 1 entry with setuid, setgid or sticky bits, dropped as unzip drops them: \/opt\/bin\/tool \(04755\)/)
  t.equal(statSync(join(dir, 'suid-out/layer/bin/tool')).mode & 0o7777, 0o755, 'written 0755, not 04755')
  const failing = join(dir, 'failing-layer')
  script(join(failing, 'fail-wrapper'), '#!/bin/sh\necho "vendor: license missing" >&2\nexit 1\nexec "$@"\n')
  const f = wrapgen(['compose', failing, '--out', join(dir, 'failing-out')], { cwd: dir })
  t.equal(f.code, 1, 'exit 1, not a layer that "replaces the runtime"')
  t.ok(oneLine(f.err), f.err)
  t.match(f.err, /failing-layer: its wrapper \/opt\/fail-wrapper starts nothing: it ended with exit 1 on .*license missing/)
  t.notOk(existsSync(join(dir, 'failing-out/layer')), 'nothing written')
  t.same(Object.keys(snapshot(failing)), ['fail-wrapper'], 'the input untouched')
})
