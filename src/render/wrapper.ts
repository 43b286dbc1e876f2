// Renders the exec wrapper: the template in wrappers/exec.sh, filled from the plan.
import { FAMILIES, type Family } from '../config/types.js'
import { ARGV_RULES } from '../plan/argv-rules.js'
import { nodeOptionsDirProblem, usesNodeOptionsPath, type EnvOp, type Plan } from '../plan/types.js'
import { q, shellWord } from './shell.js'

/** Interpreter file names (case patterns) per family, as in familyOf(). */
const INTERPRETERS: Readonly<Record<Family, string>> = {
  node: 'node | node[0-9]*',
  python: 'python | python[0-9]*',
  java: 'java',
  dotnet: 'dotnet',
  ruby: 'ruby | ruby[0-9]*',
}

const indent = (text: string, n: number): string => text.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n')

function envOpText(op: EnvOp): string {
  const name = op.name
  if (op.op === 'unset') return `unset ${name}`
  const value = shellWord(op.value)
  if (op.op === 'set') return `export ${name}=${value}`
  if (op.op === 'default') return `if [ -z "\${${name}-}" ]; then export ${name}=${value}; fi`
  const sep = op.sep
  const padded = shellWord([sep, ...op.value, sep])
  const joined = op.op === 'prepend' ? `${value}"\${${name}:+${sep}$${name}}"` : `"\${${name}:+$${name}${sep}}"${value}`
  return [`case ${q(sep)}"\${${name}-}"${q(sep)} in`, `  *${padded}*) ;;`, `  *) export ${name}=${joined} ;;`, 'esac'].join('\n')
}

/**
 * NODE_OPTIONS carries the preload's path: node splits it at spaces, reads "..." as one word, and
 * treats `"` and `\` specially inside it. Sets wrapgen_nq (the quote to put around our paths) from the
 * folder found at run time; a folder holding `"` or `\` takes the failMode path.
 */
function nodeOptionsDirCheck(failMode: 'open' | 'closed'): string {
  const problem = nodeOptionsDirProblem('$wrapgen_dir')
  const action = failMode === 'closed'
    ? `wrapgen_say "wrapgen: ${problem} and failMode is \\"closed\\"; not starting the function"\n    exit 1`
    : `wrapgen_say "wrapgen: ${problem}; running the function without wrapgen (failMode \\"open\\")"\n    exec "$@"`
  return [
    'case $wrapgen_dir in',
    `  *[\\"\\\\]*)\n    ${action}\n    ;;`,
    `  *' '*) wrapgen_nq='"' ;;`,
    "  *) wrapgen_nq='' ;;",
    'esac',
  ].join('\n')
}

/** Groups families whose text is identical into one `a | b)` branch; drops empty ones. */
function caseBranches(byKey: ReadonlyArray<[string, string]>, depth: number): string {
  const groups = new Map<string, string[]>()
  for (const [key, text] of byKey) if (text) groups.set(text, [...(groups.get(text) ?? []), key])
  return [...groups].map(([text, keys]) => indent(`${keys.join(' | ')})\n${indent(text, 2)}\n  ;;`, depth)).join('\n')
}

/**
 * The family's option words as the wrapper matches them, each with a blank on both sides: " v<option>"
 * takes the next argument as its value, " e<option>" starts the program, " b<verb>" may come right after
 * the interpreter. The wrapper matches an option against the whole string at once; an argument with
 * "=", ":" or a blank in it is taken for none of them, so no word may hold one.
 */
export function optionWords(family: Family): string {
  const rules = ARGV_RULES[family]
  const words = [...rules.valueOptions.map((o) => `v${o}`), ...rules.entryOptions.map((o) => `e${o}`), ...rules.verbs.map((o) => `b${o}`)]
  const bad = words.find((w) => /[=:\s]/.test(w))
  if (bad) throw new Error(`ARGV_RULES.${family}: ${JSON.stringify(bad.slice(1))} holds "=", ":" or a blank, which the wrapper's option match skips`)
  return ` ${words.join(' ')} `
}

/**
 * The template without its explanatory comment lines: bash reads a script as it runs it, and those
 * lines cost about as much as the rest of the wrapper's own work (0.5 M instructions of a ~1.5 M
 * start). Kept: the header (the first comment block: what the file is, where its source is),
 * shellcheck directives, and comments at the end of a line of code.
 */
function stripComments(template: string): string {
  const lines = template.split('\n')
  const headerEnd = lines.findIndex((l, i) => i > 0 && !l.startsWith('#'))
  return lines.filter((l, i) => i < headerEnd || !/^\s*#(?! shellcheck )/.test(l)).join('\n')
}

/** The wrapper script for a plan: `template` (wrappers/exec.sh) with every placeholder filled. */
export function renderWrapper(plan: Plan, version: string, template: string): string {
  const fams = FAMILIES.map((f) => plan.families[f])
  const notice = (what: string): string => q(`wrapgen: ${what}`)

  const familyCases = [
    ...fams.map((f) => `  ${INTERPRETERS[f.family]}) wrapgen_family=${f.family}${f.flags.length ? ` wrapgen_insert=1 wrapgen_opts=${q(optionWords(f.family))}` : ''} ;;`),
    '  *)',
    '    case ${AWS_EXECUTION_ENV-} in',
    '      AWS_Lambda_dotnet*) wrapgen_family=dotnet wrapgen_env_only=1 ;;',
    '      *) wrapgen_family=other ;;',
    '    esac',
    '    ;;',
  ].join('\n')

  const requireBranches = fams.map((f): [string, string] => [
    f.family,
    f.requires
      .map((file) => {
        const path = `"$wrapgen_dir"${q(`/${file}`)}`
        const action = plan.failMode === 'closed'
          ? `wrapgen_say "wrapgen: $wrapgen_dir/${file} is missing and failMode is \\"closed\\"; not starting the function"\n  exit 1`
          : `wrapgen_say "wrapgen: $wrapgen_dir/${file} is missing; running the function without wrapgen (failMode \\"open\\")"\n  exec "$@"`
        return `if [ ! -r ${path} ]; then\n  ${action}\nfi`
      })
      .concat(usesNodeOptionsPath(f) ? [nodeOptionsDirCheck(plan.failMode)] : [])
      .join('\n'),
  ])
  const requires = requireBranches.some(([, t]) => t) ? `case $wrapgen_family in\n${caseBranches(requireBranches, 2)}\nesac` : ''

  const envBranches: Array<[string, string]> = [
    ...fams.map((f): [string, string] => [f.family, f.env.map(envOpText).join('\n')]),
    ['other', plan.otherEnv.map(envOpText).join('\n')],
  ]
  const envCases = caseBranches(envBranches, 2) || '  *) ;;'

  const withFlags = fams.filter((f) => f.flags.length > 0)
  // The flags as shell words, stored quoted once more: eval reads them back as those words.
  const flagCases = withFlags.map((f) => `      ${f.family}) wrapgen_flags=${q(f.flags.map(shellWord).join(' '))} ;;`).join('\n')

  const chain = [...plan.chain].reverse().map((w) => {
    const qw = q(w)
    const missing = plan.failMode === 'closed'
      ? `wrapgen_say ${notice(`chained wrapper ${w} is not an executable file and failMode is "closed"; not starting the function`)}\n  exit 1`
      : `wrapgen_say ${notice(`chained wrapper ${w} is not an executable file; skipped`)}`
    return `if [ -f ${qw} ] && [ -x ${qw} ]; then\n  set -- ${qw} "$@"\nelse\n  ${missing}\nfi`
  })

  const fill: Record<string, string> = {
    name: plan.name,
    id: q(plan.id),
    idPattern: q(plan.id),
    version,
    failMode: `"${plan.failMode}"`,
    familyCases,
    requires,
    envCases,
    flagCases,
    chain: chain.length ? `\n# Chained wrappers run next, in order, each given the edited command (${plan.chain.length}).\n${chain.join('\n')}\n` : '',
  }
  const sections: Record<string, boolean> = { insert: withFlags.length > 0, newline: Object.values(fill).some((v) => v.includes('$wrapgen_nl')) }
  return stripComments(template)
    // {{#name}} ... {{/name}}: a block kept only when the plan needs it.
    .replace(/^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n/gm, (_, key: string, body: string) => (sections[key] ? body : ''))
    // One pass: a placeholder alone on its line (dropped with its line when empty) or inline. What is
    // inserted is never scanned again, so a configured value may contain "{{...}}".
    .replace(/^\{\{(\w+)\}\}\n|\{\{(\w+)\}\}/gm, (_, line: string | undefined, inline: string | undefined) => {
      const key = (line ?? inline)!
      const v = fill[key]
      if (v === undefined) throw new Error(`wrappers/exec.sh: unknown placeholder {{${key}}}`)
      return line === undefined ? v : v ? `${v}\n` : ''
    })
}
