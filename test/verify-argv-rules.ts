// The argv rules (src/plan/argv-rules.ts) against the real interpreters installed here: every option
// listed as taking its value from the next element must really consume that element (the script after
// it still runs as the program), and findEntry must find that script. A rule that is wrong breaks both
// the generated wrapper (flags inserted in the wrong place) and verify's judgement.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Family } from '../src/config/types.js'
import { ARGV_RULES, findEntry } from '../src/plan/argv-rules.js'
import { scaled } from '../src/limits/time-limit.js'

const dir = t.testdir({})
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}
const out = join(dir, 'out')
mkdirSync(out)
const scripts: Record<'node' | 'python' | 'ruby', string> = {
  node: file('entry.js', 'console.log("ENTRY " + process.argv[1])\n'),
  python: file('entry.py', 'import sys\nprint("ENTRY " + sys.argv[0])\n'),
  ruby: file('entry.rb', 'puts "ENTRY #{$0}"\n'),
}
const empty = { cjs: file('empty.cjs', ''), mjs: file('empty.mjs', ''), env: file('empty.env', '') }

/** A value each option accepts, and any option it needs beside it. */
const NODE_VALUES: Record<string, readonly string[]> = {
  '-r': [empty.cjs], '--require': [empty.cjs], '--import': [empty.mjs], '--loader': [empty.mjs], '--experimental-loader': [empty.mjs],
  '--max-http-header-size': ['81920'], '--title': ['fn'], '-C': ['custom'], '--conditions': ['custom'], '--input-type': ['commonjs'],
  '--env-file': [empty.env], '--env-file-if-exists': [empty.env], '--inspect-port': ['0'], '--debug-port': ['0'], '--report-dir': [out], '--report-directory': [out],
  '--report-filename': ['r.json'], '--report-signal': ['SIGUSR2'], '--redirect-warnings': [join(out, 'w.txt')], '--unhandled-rejections': ['strict'],
  '--dns-result-order': ['ipv4first'], '--disable-warning': ['DEP0040'], '--icu-data-dir': [out], '--secure-heap': ['0'], '--secure-heap-min': ['2'],
  '--heapsnapshot-signal': ['SIGUSR2'], '--diagnostic-dir': [out], '--cpu-prof-dir': ['--cpu-prof', out], '--cpu-prof-name': ['--cpu-prof', 'p.cpuprofile'],
  '--cpu-prof-interval': ['--cpu-prof', '1000'], '--heap-prof-dir': ['--heap-prof', out], '--heap-prof-name': ['--heap-prof', 'p.heapprofile'],
  '--heap-prof-interval': ['--heap-prof', '524288'], '--openssl-config': ['/dev/null'], '--tls-cipher-list': ['DEFAULT'], '--tls-keylog': [join(out, 'k.log')],
  '--trace-event-categories': ['v8'], '--trace-event-file-pattern': [join(out, 'trace.log')], '--test-reporter': ['spec'], '--test-reporter-destination': ['stdout'],
  '--use-largepages': ['off'], '--experimental-default-type': ['commonjs'], '--localstorage-file': [join(out, 'ls')],
}
/** Options whose effect a one-shot run cannot show (watch mode never exits; policies and snapshots need files of their own kind). */
const NODE_UNTESTABLE = new Set(['--watch-path', '--experimental-policy', '--policy-integrity', '--snapshot-blob', '--experimental-config-file'])
const PYTHON_VALUES: Record<string, string> = { '-X': 'importtime', '-W': 'error', '--check-hash-based-pycs': 'default' }
const RUBY_VALUES: Record<string, string> = {
  '-I': out, '-r': 'json', '-E': 'UTF-8', '-C': dir, '--encoding': 'UTF-8', '--external-encoding': 'UTF-8', '--internal-encoding': 'UTF-8',
  '--enable': 'frozen-string-literal', '--disable': 'gems', '--dump': 'insns', '--backtrace-limit': '5',
}
const JAVA_VALUES: Record<string, string> = {
  '-cp': dir, '-classpath': dir, '--class-path': dir, '-p': dir, '--module-path': dir, '--upgrade-module-path': dir, '--add-modules': 'java.base',
  '--add-opens': 'java.base/java.io=ALL-UNNAMED', '--add-exports': 'java.base/sun.nio.ch=ALL-UNNAMED', '--add-reads': 'java.base=ALL-UNNAMED',
  '--patch-module': `java.base=${dir}`, '--limit-modules': 'java.base', '--enable-native-access': 'ALL-UNNAMED',
}

const which = (cmd: string): string | undefined => ['/usr/bin', '/usr/local/bin'].map((d) => join(d, cmd)).find(existsSync)

/** Runs `bin opt value... script`: the option consumed its value when the script ran as the program. */
function consumes(family: Family, bin: string, option: string, values: readonly string[]): { ok: boolean; skip?: string; output: string } {
  const script = family === 'java' ? '-version' : scripts[family as 'node' | 'python' | 'ruby']
  // node's --input-type applies only to code given with -e: that is the program then.
  const program = option === '--input-type' ? ['-e', `console.log("ENTRY ${script}")`] : [script]
  const argv = [...values.slice(0, -1), option, values[values.length - 1]!, ...program]
  const r = spawnSync(bin, argv, { cwd: out, encoding: 'utf8', timeout: scaled(15_000), env: { PATH: '/usr/bin:/bin', HOME: dir } })
  const output = `${r.stdout}${r.stderr}`
  if (/bad option|unrecognized option|Unrecognized option|invalid option/i.test(output) && !output.includes('ENTRY')) return { ok: false, skip: `${option} is not an option of this ${family} (${output.split('\n')[0]})`, output }
  const ok = family === 'java' ? /version "/.test(output) : output.includes(`ENTRY ${script}`) || (option === '--dump' && output.includes(script))
  // findEntry reads the same command and must land on the program (for java, a main class there).
  const read = family === 'java' ? [bin, ...argv.slice(0, -1), 'example.Main'] : [bin, ...argv]
  const at = findEntry(family, read)
  return { ok: ok && read[at] === (family === 'java' ? 'example.Main' : program[0]), output }
}

const tables: ReadonlyArray<readonly [Family, string | undefined, (o: string) => readonly string[] | undefined]> = [
  ['node', process.execPath, (o) => (NODE_UNTESTABLE.has(o) ? undefined : NODE_VALUES[o])],
  ['python', which('python3'), (o) => (PYTHON_VALUES[o] ? [PYTHON_VALUES[o]!] : undefined)],
  ['ruby', which('ruby'), (o) => (RUBY_VALUES[o] ? [RUBY_VALUES[o]!] : undefined)],
  ['java', which('java'), (o) => (JAVA_VALUES[o] ? [JAVA_VALUES[o]!] : undefined)],
]

for (const [family, bin, valueFor] of tables) {
  t.test(`${family}: every option listed as taking the next element consumes it`, { skip: bin ? false : `${family} is not installed` }, async (t) => {
    for (const option of ARGV_RULES[family].valueOptions) {
      const values = valueFor(option)
      if (!values) {
        t.ok(NODE_UNTESTABLE.has(option), `${option}: untestable in one run, listed as such`)
        continue
      }
      const r = consumes(family, bin!, option, values)
      if (r.skip) {
        t.comment(`skip: ${r.skip}`)
        continue
      }
      t.ok(r.ok, `${option} ${values[values.length - 1]}: the value is consumed and the next element is the program`, { output: r.output.slice(0, 300) })
    }
  })
}

t.test('known gaps stay closed', async (t) => {
  // ruby's --enable/--disable take a value: flags go before the script, not before "gems".
  t.equal(findEntry('ruby', ['/var/lang/bin/ruby', '--disable', 'gems', '/var/runtime/index.rb']), 3)
  t.equal(findEntry('ruby', ['/var/lang/bin/ruby', '--enable=frozen-string-literal', '/var/runtime/index.rb']), 2)
  // V8 options take only "=value": a following element is the program.
  t.equal(findEntry('node', ['/var/lang/bin/node', '--stack-trace-limit=50', '/var/runtime/index.mjs']), 2)
  t.notOk(ARGV_RULES.node.valueOptions.includes('--stack-trace-limit'), '--stack-trace-limit is not a next-element option (node rejects "--stack-trace-limit 10")')
  t.equal(findEntry('node', ['/var/lang/bin/node', '--unhandled-rejections', 'strict', '/var/runtime/index.mjs']), 3)
})
