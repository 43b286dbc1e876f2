// Validation refuses at build time what would break at run time (issue 12): names the shells own, sizes
// exec refuses, text UTF-8 cannot carry, flags that start a program of their own, absolute preload paths,
// runtimes: []. Messages name the key and show a value bounded in size. The shell list is checked against
// the real shells: every name refused really misbehaves in at least one of them.
import { spawnSync } from 'node:child_process'
import t, { type Test } from 'tap'
import { openConfig, wrappableRuntimes } from '../src/config/open.js'
import { MAX_ARG_STRLEN, SHELL_MAINTAINED, SHELL_SPECIAL } from '../src/config/env-vars.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { validateConfig, type Finding } from '../src/config/validate.js'
import { findShells } from '../src/verify/shells.js'
import { configProblems } from './fixtures/config-problems.js'

const cwd = t.testdir({})

/** The details of the UserError `config` gets, or fails. */
async function problems(t: Test, config: unknown): Promise<string[]> {
  const found = await configProblems(t, cwd, config)
  if (!found.length) t.fail(`accepted: ${JSON.stringify(config).slice(0, 200)}`)
  return found
}

/**
 * Validation's own messages, without openConfig's first gate (an inline config of more than 100,000
 * values, counting shared objects, is refused before validation: test/reliability.ts covers that).
 */
function validationProblems(config: unknown): string[] {
  return validateConfig(config, { knownRuntimes: wrappableRuntimes(), nodeOptionsFlags: process.allowedNodeEnvironmentFlags }).errors.map((e) => `${e.path}: ${e.message}`)
}

async function warnings(config: unknown): Promise<Finding[]> {
  const found: Finding[] = []
  await openConfig({ cwd, config: config as WrapgenConfig, onWarning: (w) => found.push(w) })
  return found
}

const BAD: Array<[string, unknown, string[]]> = [
  ['env.set: UID', { name: 'a', env: { set: { UID: '1000' } } }, ['env.set.UID: UID is special to the shells that run the wrapper (readonly in bash: setting it stops the wrapper); choose another name']],
  ['unset: OPTIND', { name: 'a', node: { env: { unset: ['OPTIND'] } } }, ['node.env.unset[0]: OPTIND is special to the shells that run the wrapper (getopts state: dash stops the wrapper on a value that is not a number, and refuses unset); choose another name']],
  ['prepend: _', { name: 'a', env: { prepend: { _: '/x' } } }, ['env.prepend._: _ is special to the shells that run the wrapper (the shells keep the last argument of the previous command in it); choose another name']],
  ['runtimes: []', { name: 'a', runtimes: [] }, ['runtimes: [] lists no runtime, so the layer would serve none; list the runtimes (e.g. ["nodejs20.x"]) or remove the key for every one in the catalogue']],
  ['node flag "-"', { name: 'a', node: { flags: ['-'] } }, ['node.flags[0]: "-" makes node read the program from stdin instead of the runtime\'s entry; remove it']],
  ['node flag "--"', { name: 'a', node: { flags: ['--no-deprecation', '--'] } }, ['node.flags[1]: "--" ends node\'s options: what follows (the runtime\'s entry, and the preload) would be read as the program and its arguments; remove it']],
  ['node flag "-e"', { name: 'a', node: { flags: ['-e'] } }, ['node.flags[0]: "-e" makes node run a program of its own instead of the runtime\'s entry; remove it']],
  ['python flag "-c"', { name: 'a', python: { flags: ['-c'] } }, ['python.flags[0]: "-c" makes python run a program of its own instead of the runtime\'s entry; remove it']],
  ['java flag "-jar"', { name: 'a', java: { flags: ['-jar'] } }, ['java.flags[0]: "-jar" makes java run a program of its own instead of the runtime\'s entry; remove it']],
  ['ruby flag "-"', { name: 'a', ruby: { flags: ['-'] } }, ['ruby.flags[0]: "-" makes ruby read the program from stdin instead of the runtime\'s entry; remove it']],
  ['absolute preload', { name: 'a', node: { preloads: ['/home/me/hooks/x.ts'] } }, [
    'node.preloads[0]: "/home/me/hooks/x.ts" is an absolute path, which would make the layer differ wherever the project is checked out; write it relative to the config\'s folder ("./preloads/hook.ts") or install it as a package',
  ]],
  ['absolute preload module', { name: 'a', node: { preloads: [{ module: '/x.cjs' }] } }, [
    'node.preloads[0].module: "/x.cjs" is an absolute path, which would make the layer differ wherever the project is checked out; write it relative to the config\'s folder ("./preloads/hook.ts") or install it as a package',
  ]],
  ['a lone high surrogate', { name: 'a', env: { set: { GREETING: 'hi\uD83D' } } }, [
    'env.set.GREETING: "hi\\ud83d" holds a lone UTF-16 surrogate (\\uD83D at index 2), which UTF-8 cannot carry: it would become U+FFFD; fix the text',
  ]],
  ['a lone low surrogate in a flag', { name: 'a', java: { flags: ['-Dx=\uDE00y'] } }, [
    'java.flags[0]: "-Dx=\\ude00y" holds a lone UTF-16 surrogate (\\uDE00 at index 4), which UTF-8 cannot carry: it would become U+FFFD; fix the text',
  ]],
  ['budgetMs: 0', { name: 'a', node: { preloads: [{ module: 'x', budgetMs: 0 }] } }, ['node.preloads[0].budgetMs: 0 is not a number of milliseconds above 0 and at most 600000']],
  ['budgetMs: a string', { name: 'a', node: { preloads: [{ module: 'x', budgetMs: '100' }] } }, ['node.preloads[0].budgetMs: "100" is not a number of milliseconds above 0 and at most 600000']],
]

t.test('one row per bad config: the key path, the value and the reason', async (t) => {
  for (const [what, config, details] of BAD) t.same(await problems(t, config), details, what)
})

t.test('what is still accepted: a valid surrogate pair, "-" as an option\'s value, a flag with a space in NODE_OPTIONS, relative preloads', async (t) => {
  t.same(await warnings({ name: 'a', env: { set: { GREETING: 'hi 👋' } } }), [])
  t.same(await warnings({ name: 'a', node: { flags: ['--title', '-'] }, ruby: { flags: ['-I', '-'] } }), [])
  t.same(await warnings({ name: 'a', node: { inject: 'NODE_OPTIONS', flags: ['--title=my app'] } }), [], 'NODE_OPTIONS: written in node\'s quoted form, see test/preload.ts')
  t.same(await warnings({ name: 'a', node: { preloads: ['./x.ts', '../y.ts', { module: './z.cjs', budgetMs: 250 }] } }), [])
  t.same(await warnings({ name: 'a', env: { set: { PWD: '/var/task' } } }), [{ path: 'env.set.PWD', message: SHELL_MAINTAINED.PWD }], 'PWD works in every shell: a warning, not an error')
})

t.test('sizes exec refuses: one value or flag of 128 KiB, a configured total over 1 MiB', async (t) => {
  const big = 'x'.repeat(MAX_ARG_STRLEN)
  const [value] = await problems(t, { name: 'a', env: { set: { BIG: big } } })
  t.equal(value, `env.set.BIG: "${'x'.repeat(80)}"... (131072 characters) is 131072 bytes; exec refuses any argument or variable of 131072 bytes or more ("Argument list too long"), so the function would not start`)
  // The name counts: BIG=<value> plus its NUL.
  const [named] = await problems(t, { name: 'a', env: { set: { BIG: big.slice(0, MAX_ARG_STRLEN - 3) } } })
  t.match(named, /^env\.set\.BIG: BIG="x{80}"\.\.\. \(131069 characters\) is 131074 bytes with its name; exec refuses any variable over 131072 bytes/)
  t.same(await warnings({ name: 'a', env: { set: { BIG: big.slice(0, MAX_ARG_STRLEN - 5) } } }), [], 'one byte under the limit, with the name and the NUL: accepted')
  const [flag] = await problems(t, { name: 'a', java: { flags: [`-Dx=${big}`] } })
  t.match(flag, /^java\.flags\[0\]: "-Dx=x{76}"\.\.\. \(131076 characters\) is 131076 bytes; exec refuses/)
  // Multi-byte text counts in UTF-8 bytes, not characters.
  const [wide] = await problems(t, { name: 'a', env: { set: { WIDE: 'é'.repeat(MAX_ARG_STRLEN / 2) } } })
  t.match(wide, /is 131072 bytes; exec refuses/)
  const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`PART_${i}`, 'y'.repeat(100_000)]))
  t.same(await problems(t, { name: 'a', node: { env: { set: eleven } } }), [
    `node: the node command would carry 1100177 bytes of configured variables and flags; exec fails ("Argument list too long") near 2 MiB with Lambda's own, and wrapgen allows 1048576: move large data to a file`,
  ])
  t.same(await problems(t, { name: 'a', env: { set: eleven } }), [
    `env: every command would carry 1100177 bytes of configured variables and flags; exec fails ("Argument list too long") near 2 MiB with Lambda's own, and wrapgen allows 1048576: move large data to a file`,
  ], 'top-level: said once, not once per runtime')

  // The limit is the kernel's: a variable of exactly MAX_ARG_STRLEN bytes (with its NUL) cannot be exec'd.
  const exec = (bytes: number): number | null => spawnSync('/usr/bin/env', ['true'], { env: { V: 'v'.repeat(bytes - 3) } }).status
  t.equal(exec(MAX_ARG_STRLEN - 1), 0, 'V=... of 131071 bytes with its NUL: exec works')
  const e2big = spawnSync('/usr/bin/env', ['true'], { env: { V: 'v'.repeat(MAX_ARG_STRLEN - 2) } })
  t.match(String(e2big.error), /E2BIG/, 'one byte more: E2BIG')
})

t.test('messages stay small whatever the config holds', async (t) => {
  // A 5 MB value with a NUL byte: the message shows 80 characters and the length.
  const [nul] = await problems(t, { name: 'a', env: { set: { HUGE: `${'z'.repeat(5_000_000)}\0` } } })
  t.ok(nul!.length < 400, `${nul!.length} characters`)
  t.match(nul, /\(5000001 characters\) contains a NUL byte/)
  // Shared references (what a YAML alias bomb gives) and cycles: bounded in time and text.
  let shared: unknown = ['lol', 'lol']
  for (let i = 0; i < 60; i++) shared = [shared, shared]
  const started = Date.now()
  // openConfig refuses it outright (too many values); validation on its own bounds it too.
  t.match((await problems(t, { name: 'a', node: { preloads: [{ module: 'x', options: { shared } }] } }))[0] ?? '', /more than 100000 values|is over 262144 bytes/)
  const [bomb] = validationProblems({ name: 'a', node: { preloads: [{ module: 'x', options: { shared } }] } })
  t.match(bomb, /^node\.preloads\[0\]\.options: is over 262144 bytes as JSON/)
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = cyclic
  t.match(validationProblems({ name: 'a', node: { preloads: [{ module: 'x', options: cyclic }] } })[0], /must be plain JSON/)
  const [unknownKey] = validationProblems({ name: 'a', node: { shared } })
  t.ok(unknownKey!.length < 400, `an unknown key holding the bomb: ${unknownKey!.length} characters`)
  t.ok(Date.now() - started < 2000, `all in ${Date.now() - started} ms`)
  // Thousands of problems: the first 50 and a count.
  const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`bad key ${i}`, '']))
  const details = await problems(t, { name: 'a', env: { set: many } })
  t.equal(details.length, 51, '50 problems and one line with the rest')
  t.equal(details.at(-1), '... and 4950 more')
})

// export NAME=v; exec env, and unset NAME; exec env, under each shell as the wrapper runs it.
const SHELLS = findShells().found
function misbehaves(name: string): string[] {
  const v = 'wrapgen-probe-value'
  const bad: string[] = []
  for (const shell of SHELLS) {
    const sh = (script: string, env: Record<string, string>): { status: number | null; out: string } => {
      const r = spawnSync(shell.host, ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8', argv0: shell.as })
      return { status: r.status, out: r.stdout }
    }
    const set = sh(`export ${name}='${v}'; exec /usr/bin/env`, {})
    if (set.status !== 0) bad.push(`${shell.name}: export exits ${set.status}`)
    else if (!set.out.split('\n').includes(`${name}=${v}`)) bad.push(`${shell.name}: the value does not arrive`)
    const unset = sh(`unset ${name}; exec /usr/bin/env`, { [name]: 'preset' })
    if (unset.status !== 0) bad.push(`${shell.name}: unset exits ${unset.status}`)
    else if (unset.out.split('\n').some((l) => l.startsWith(`${name}=`))) bad.push(`${shell.name}: unset leaves it`)
  }
  return bad
}

t.test('every name refused misbehaves in a real shell; the names only warned about do not', { skip: SHELLS.length < 4 ? 'needs dash, bash, busybox and mksh' : false }, async (t) => {
  t.same(misbehaves('ACME_PLAIN'), [], 'control: an ordinary name works in every shell')
  // bash 5.3's new dynamic variables cannot be shown with bash 5.2.
  const bash53 = new Set(['BASH_MONOSECONDS', 'BASH_TRAPSIG'])
  for (const name of Object.keys(SHELL_SPECIAL)) {
    if (bash53.has(name)) continue
    const bad = misbehaves(name)
    t.ok(bad.length > 0, `${name}: ${bad.join('; ')}`)
  }
  for (const name of Object.keys(SHELL_MAINTAINED)) t.same(misbehaves(name), [], `${name}: works, so only a warning`)
})
