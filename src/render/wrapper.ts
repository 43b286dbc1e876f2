// Renders the exec wrapper from the plan: exec (wrappers/exec.sh), and one part per runtime family
// that has something to do (wrappers/exec-part.sh), which exec sources for that family's commands.
import { FAMILIES, type Family } from '../config/types.js'
import { ARGV_RULES } from '../plan/argv-rules.js'
import { nodeOptionsDirProblem, usesNodeOptionsPath, WRAPPER_FILE, type EnvOp, type FamilyPlan, type Plan } from '../plan/types.js'
import { q, shellWord } from './shell.js'

/** The two templates: wrappers/exec.sh and wrappers/exec-part.sh. */
export interface WrapperTemplates {
  readonly exec: string
  readonly part: string
}

/** One file of the wrapper, relative to the layer's wrapgen/ folder. */
export interface WrapperFile {
  readonly name: string
  readonly mode: number
  readonly text: string
}

/** Interpreter file names (case patterns) per family, as in familyOf(). */
const INTERPRETERS: Readonly<Record<Family, string>> = {
  node: 'node | node[0-9]*',
  python: 'python | python[0-9]*',
  java: 'java',
  dotnet: 'dotnet',
  ruby: 'ruby | ruby[0-9]*',
}

/** The unit separator (0x1F): joins the arguments before the entry while the wrapper looks for it. */
const US = '\x1f'

/** The file exec sources for a family's commands. */
export const partFile = (family: Family): string => `${WRAPPER_FILE}-${family}.sh`

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

/** Our own file names are plain: they are written into double-quoted messages. */
function plainFile(file: string): string {
  if (!/^[A-Za-z0-9_./-]+$/.test(file)) throw new Error(`a file of ours with an unusual name: ${file}`)
  return file
}

/** A family whose interpreter's name takes no digits after it (java, dotnet: java8 is not java). */
const exactName = (family: Family): boolean => !INTERPRETERS[family].includes('[0-9]')

/** A family whose part would do nothing has none: exec marks its commands itself. */
const hasPart = (f: FamilyPlan): boolean => f.flags.length > 0 || f.env.length > 0 || f.requires.length > 0

/**
 * The options Lambda's own commands put before the entry (the runtime catalogue's argv, every runtime
 * and memory size; test/wrapper.ts keeps this in step with runtimes/) that the wrapper has to look up:
 * those without "=", ":" or a blank. The wrapper's first walk knows only these (and the verbs), so it
 * reads a few words instead of the family's whole option table (node's is 900 bytes: bash spends ~200
 * instructions reading each byte); an option it does not know sends it to the full walk.
 */
export const LAMBDA_OPTIONS: Readonly<Record<Family, readonly string[]>> = {
  node: ['--expose-gc', '--max-http-header-size', '--no-experimental-require-module', '--no-experimental-detect-module'],
  python: [],
  java: ['-classpath'],
  dotnet: ['--depsfile', '--runtimeconfig'],
  ruby: [],
}

/**
 * The family's option words as the wrapper matches them, each with a blank on both sides: " v<option>"
 * takes the next argument as its value, " e<option>" starts the program, " b<verb>" may come right after
 * the interpreter, and (`known` only: the words of LAMBDA_OPTIONS) " p<option>" is an option of neither
 * kind. The wrapper matches an option against the whole string at once; an argument with "=", ":" or a
 * blank in it is taken for none of them, so no word may hold one. Empty when there is nothing to look up.
 */
export function optionWords(family: Family, known?: readonly string[]): string {
  const rules = ARGV_RULES[family]
  const kind = (o: string): string => (rules.valueOptions.includes(o) ? 'v' : rules.entryOptions.includes(o) ? 'e' : 'p')
  const words = known
    ? [...known.map((o) => `${kind(o)}${o}`), ...rules.verbs.map((o) => `b${o}`)]
    : [...rules.valueOptions.map((o) => `v${o}`), ...rules.entryOptions.map((o) => `e${o}`), ...rules.verbs.map((o) => `b${o}`)]
  const bad = words.find((w) => /[=:\s]/.test(w))
  if (bad) throw new Error(`ARGV_RULES.${family}: ${JSON.stringify(bad.slice(1))} holds "=", ":" or a blank, which the wrapper's option match skips`)
  return words.length ? ` ${words.join(' ')} ` : ''
}

/**
 * The branches of the wrapper's walk over a family's command: a `while case` whose case is the loop's
 * condition, matched against "<state>:<argument>" (":" only while an argument is left; states: i the
 * interpreter, b a verb may come, v a value, o an option). A branch that ends with false ends the walk:
 * at the entry (wrapgen_n=e), when no argument is left, or (`known`: the first walk, with the words of
 * LAMBDA_OPTIONS only) at an option it does not know (wrapgen_n=x: the full walk takes over). No loop
 * variable and no separate test per argument: the body is one shift. Families without verbs never
 * reach state b, so their options need no state change.
 */
function argCases(family: Family, known: boolean): string {
  const rules = ARGV_RULES[family]
  const verbs = rules.verbs.length > 0
  const hot = LAMBDA_OPTIONS[family]
  const has = (kind: 'v' | 'e' | 'p'): boolean => (known ? optionWords(family, hot) : optionWords(family)).includes(` ${kind}`)
  // An option, in state o (or b, where a verb may come): the usual argument, so tested first (each
  // pattern tested costs bash an expansion).
  const opt = verbs ? '[ob]' : 'o'
  const lookup = [
    ...(has('v') ? ['*" v$1 "*) wrapgen_n=v ;;'] : []),
    ...(has('e') ? ['*" e$1 "*) wrapgen_n=e; false ;;'] : []),
    ...(has('p') ? [`*" p$1 "*)${verbs ? ' wrapgen_n=o' : ''} ;;`] : []),
    ...(known ? ['*) wrapgen_n=x; false ;;'] : verbs ? ['*) wrapgen_n=o ;;'] : []),
  ]
  const options = lookup.length === 1 && known ? `${opt}:-*) wrapgen_n=x; false ;;` : [`${opt}:-*)`, '  case $wrapgen_o in', ...lookup.map((l) => `  ${l}`), '  esac', '  ;;'].join('\n')
  // exec sources java's part for java8 too (the name up to its first digit): the first step checks.
  const first = known && exactName(family)
    ? [`i:*/${family}|i:${family}) wrapgen_n=${verbs ? 'b' : 'o'} ;;`, 'i:*) wrapgen_n=g; false ;;', 'v:*) wrapgen_n=o ;;']
    : verbs ? ['i:*) wrapgen_n=b ;;', 'v:*) wrapgen_n=o ;;'] : ['[iv]:*) wrapgen_n=o ;;']
  return [
    // Four plain patterns, not one bracket expression: bash parses a bracket again at every character.
    `${opt}:-*:*|${opt}:-*=*|${opt}:-*\\ *|${opt}:-*\\\t*)${verbs ? ' wrapgen_n=o' : ''} ;;`,
    options,
    ...first,
    ...(verbs ? [['b:*)', '  case $wrapgen_o in', '  *" b$1 "*) wrapgen_n=o ;;', '  *) wrapgen_n=e; false ;;', '  esac', '  ;;'].join('\n')] : []),
    '?:*) wrapgen_n=e; false ;;',
    '*) false ;;',
  ].join('\n')
}

/** Shell code for one line on stderr (mksh has no printf builtin; its print is used there). */
const SAY = [
  'case ${KSH_VERSION-} in',
  "  *MIRBSD*|*'PD KSH'*) wrapgen_say() { print -r -- \"$1\" >&2; } ;;",
  "  *) wrapgen_say() { printf '%s\\n' \"$1\" >&2; } ;;",
  'esac',
].join('\n')

/**
 * The template without its explanatory comment lines: bash reads a script as it runs it, and those
 * lines cost about as much as the rest of the wrapper's own work. Kept: the header (the first comment
 * block: what the file is, where its source is), shellcheck directives, and comments at the end of a
 * line of code.
 */
function stripComments(template: string): string {
  const lines = template.split('\n')
  const headerEnd = lines.findIndex((l, i) => i > 0 && !l.startsWith('#'))
  return lines.filter((l, i) => i < headerEnd || !/^\s*#(?! shellcheck )/.test(l)).join('\n')
}

/** Keeps or drops the {{#name}} ... {{/name}} blocks (and {{^name}} ... {{/name}}, kept when not), nested or not. */
function sections(text: string, on: Record<string, boolean>): string {
  return text.replace(/^\{\{([#^])(\w+)\}\}\n([\s\S]*?)^\{\{\/\2\}\}\n/gm, (_, kind: string, key: string, body: string) => ((kind === '#') === !!on[key] ? sections(body, on) : ''))
}

/**
 * Fills a template: its sections, then its {{placeholders}}. One alone on its line takes the line's
 * indentation for each line of its value, and is dropped with its line when empty. What is inserted is
 * never scanned again, so a configured value may contain "{{...}}".
 */
function fill(template: string, fills: Record<string, string>, on: Record<string, boolean>, source: string): string {
  return sections(stripComments(template), on).replace(/^( *)\{\{(\w+)\}\}\n|\{\{(\w+)\}\}/gm, (_, pad: string | undefined, line: string | undefined, inline: string | undefined) => {
    const key = (line ?? inline)!
    const v = fills[key]
    if (v === undefined) throw new Error(`${source}: unknown placeholder {{${key}}}`)
    return line === undefined ? v : v ? `${indent(v, pad!.length)}\n` : ''
  })
}

/** The wrapper's files for a plan: exec first, then each family's part. */
export function renderWrapper(plan: Plan, version: string, templates: WrapperTemplates): WrapperFile[] {
  const fams = FAMILIES.map((f) => plan.families[f])
  const withPart = fams.filter(hasPart)
  const usesNl = (...texts: string[]): boolean => texts.some((t) => t.includes('$wrapgen_nl'))
  const failClosed = plan.failMode === 'closed'

  const chain = [...plan.chain].reverse().map((w) => {
    const qw = q(w)
    const missing = failClosed
      ? `wrapgen_say ${q(`wrapgen: chained wrapper ${w} is not an executable file and failMode is "closed"; not starting the function`)}\n  exit 1`
      : `wrapgen_say ${q(`wrapgen: chained wrapper ${w} is not an executable file; skipped`)}`
    return `if [ -f ${qw} ] && [ -x ${qw} ]; then\n  set -- ${qw} "$@"\nelse\n  ${missing}\nfi`
  }).join('\n')
  const common = { name: plan.name, id: q(plan.id), idPattern: q(plan.id), version, say: SAY, us: US }

  const parts = withPart.map((f): WrapperFile => {
    const requires = [
      ...f.requires.map((file) => `[ -r "$wrapgen_dir"${q(`/${plainFile(file)}`)} ] || { wrapgen_m="$wrapgen_dir/${file} is missing"; return; }`),
      ...(usesNodeOptionsPath(f)
        ? [['case $wrapgen_dir in', `*[\\"\\\\]*) wrapgen_m="${nodeOptionsDirProblem('$wrapgen_dir')}"; return ;;`, `*' '*) wrapgen_nq='"' ;;`, "*) wrapgen_nq='' ;;", 'esac'].join('\n')]
        : []),
    ].join('\n')
    const env = f.env.map(envOpText).join('\n')
    const flags = f.flags.map(shellWord).join(' ')
    const fills = {
      ...common,
      family: f.family,
      requires,
      env,
      knownWords: f.flags.length && optionWords(f.family, LAMBDA_OPTIONS[f.family]) ? ` wrapgen_o=${q(optionWords(f.family, LAMBDA_OPTIONS[f.family]))}` : '',
      knownCases: f.flags.length ? argCases(f.family, true) : '',
      opts: f.flags.length ? q(optionWords(f.family)) : '',
      argCases: f.flags.length ? argCases(f.family, false) : '',
      flags,
      // The flags as shell words, quoted once more: the slow way's eval reads them back as those words.
      flagsText: q(flags),
      chain,
    }
    const text = fill(templates.part, fills, { insert: f.flags.length > 0, say: chain !== '', newline: usesNl(env, flags), guard: exactName(f.family), guardTop: exactName(f.family) && f.flags.length === 0 }, 'wrappers/exec-part.sh')
    return { name: partFile(f.family), mode: 0o644, text }
  })

  // The tail's case: every family by its interpreter names, as its part is named.
  const families = fams.map((f) => `${INTERPRETERS[f.family]}) wrapgen_p=${f.family} ;;`).join('\n')
  const others = fams.filter((f) => !hasPart(f))
  const mark = `export WRAPGEN_APPLIED="\${WRAPGEN_APPLIED:+$WRAPGEN_APPLIED:}"${q(plan.id)}`
  const failAction = failClosed
    ? '  wrapgen_say "wrapgen: $wrapgen_m and failMode is \\"closed\\"; not starting the function"\n  exit 1'
    : '  wrapgen_say "wrapgen: $wrapgen_m; running the function without wrapgen (failMode \\"open\\")"\n  exec "$@"'
  // The .NET environment-only branch checks the family's files too: a startup hook that is not there
  // would stop dotnet itself.
  const dotnetEnv = [
    ...plan.families.dotnet.requires.map((file) => `if [ ! -r "$wrapgen_dir"${q(`/${plainFile(file)}`)} ]; then\n  wrapgen_m="$wrapgen_dir/${file} is missing"\n${failAction}\nfi`),
    ...plan.families.dotnet.env.map(envOpText),
  ].join('\n')
  const otherEnv = plan.otherEnv.map(envOpText).join('\n')
  // The same edits either way (no .NET edits of its own): no case over AWS_EXECUTION_ENV.
  const unrecognised = dotnetEnv === otherEnv
    ? (otherEnv ? `*)\n${indent(otherEnv, 2)}\n  ;;` : '')
    : ['*)', '  case ${AWS_EXECUTION_ENV-} in', ...(dotnetEnv ? [`  AWS_Lambda_dotnet*)\n${indent(dotnetEnv, 4)}\n    ;;`] : []), ...(otherEnv ? [`  *)\n${indent(otherEnv, 4)}\n    ;;`] : []), '  esac', '  ;;'].join('\n')
  const tail = [...(others.length ? [`${others.map((f) => f.family).join(' | ')}) ${mark} ;;`] : []), ...(unrecognised ? [unrecognised.replace(/^\*\)/, "'')")] : [])].join('\n') || '*) ;;'
  const execFills = {
    ...common,
    failMode: `"${plan.failMode}"`,
    families,
    missing: withPart.length ? `${withPart.map((f) => `:${f.family}`).join(' | ')}) wrapgen_m="$wrapgen_dir/exec-$wrapgen_p.sh is missing" ;;` : '',
    failAction,
    tail,
    chain: chain ? `\n${chain}` : '',
  }
  const exec = fill(templates.exec, execFills, { parts: withPart.length > 0, newline: usesNl(tail, chain) }, 'wrappers/exec.sh')
  return [{ name: WRAPPER_FILE, mode: 0o755, text: exec }, ...parts]
}
