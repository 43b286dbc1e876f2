// Comparisons verify makes, each returning undefined when equal or one line saying how they differ.

/** Variables the shell running the wrapper may add or change on its own (bash exports SHLVL and _). */
export const SHELL_OWNED = new Set(['_', 'SHLVL', 'PWD', 'OLDPWD'])

const show = (s: string): string => JSON.stringify(s)

export function diffArgv(actual: readonly string[], expected: readonly string[]): string | undefined {
  const n = Math.max(actual.length, expected.length)
  for (let i = 0; i < n; i++) {
    if (actual[i] === expected[i]) continue
    if (i >= actual.length) return `argv is missing ${show(expected[i]!)} at [${i}] (got ${actual.length} elements, expected ${expected.length})`
    if (i >= expected.length) return `argv has an extra ${show(actual[i]!)} at [${i}]`
    return `argv[${i}] is ${show(actual[i]!)}, expected ${show(expected[i]!)}`
  }
  return undefined
}

export function diffEnv(actual: Readonly<Record<string, string>>, expected: Readonly<Record<string, string>>): string | undefined {
  const out: string[] = []
  for (const k of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    if (SHELL_OWNED.has(k) || actual[k] === expected[k]) continue
    if (!(k in actual)) out.push(`${k} missing (expected ${show(expected[k]!)})`)
    else if (!(k in expected)) out.push(`${k}=${show(actual[k]!)} should not be set`)
    else out.push(`${k} is ${show(actual[k]!)}, expected ${show(expected[k]!)}`)
  }
  return out.length ? out.slice(0, 3).join('; ') + (out.length > 3 ? `; +${out.length - 3} more` : '') : undefined
}

/** Whether `sub` appears in `all` in order (every original argument kept). */
export function keptInOrder(all: readonly string[], sub: readonly string[]): string | undefined {
  let j = 0
  for (const a of all) if (j < sub.length && a === sub[j]) j++
  return j === sub.length ? undefined : `original argument ${show(sub[j]!)} (index ${j}) is lost or out of order`
}

/** Arguments no wrapper may mangle: the runtime may pass any of these after its entry. */
export const ADVERSARIAL_ARGS: readonly string[] = [
  'two words', '', "it's", 'say "hi"', 'line\nbreak', '$(echo pwned >&2)', '`echo pwned >&2`', '"; echo pwned >&2; "', "'; echo pwned >&2; '", '*', '/var/*', '?', '[a]',
  '$HOME', '${PATH}', '\\', '-', '--', '--max-old-space-size=1', 'tab\there', 'ünïcødé ✓', ' leading', 'trailing ', '#hash', ';', '&&', '|', '>out', '!', '~',
  ...Array.from({ length: 1000 }, (_, i) => `arg${i}`),
]

/** Config values a wrapper must carry byte for byte and never run: each would print "pwned" if it ran. */
export const ADVERSARIAL_VALUES: readonly string[] = [
  '$(echo pwned >&2)', '`echo pwned >&2`', "it's \"quoted\" $HOME", 'a;b|c&d>e<f', '* ? [x] ~', 'line\nbreak', "'; echo pwned >&2; '", ' ',
]
