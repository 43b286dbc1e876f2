// How each interpreter's command line is read to find the program entry (flags go just before it).
// Shared by the wrapper renderer (as `case` patterns) and the simulator, so both read argv alike.
import type { Family } from '../config/types.js'

export interface ArgvRules {
  /** Options whose value is the next argument (`--max-http-header-size 81920`, `-classpath <jars>`). */
  readonly valueOptions: readonly string[]
  /** Options that start the program themselves (`-e`, `-m`, `-jar`, `--`): flags go before them. */
  readonly entryOptions: readonly string[]
  /** Words allowed right after the interpreter that are not the entry (dotnet's `exec` verb). */
  readonly verbs: readonly string[]
}

export const ARGV_RULES: Readonly<Record<Family, ArgvRules>> = {
  node: {
    valueOptions: ['-r', '--require', '--import', '--loader', '--experimental-loader', '--max-http-header-size', '--title', '-C', '--conditions', '--input-type', '--env-file', '--stack-trace-limit'],
    entryOptions: ['-e', '--eval', '-p', '--print', '-', '--'],
    verbs: [],
  },
  python: {
    valueOptions: ['-X', '-W', '--check-hash-based-pycs'],
    entryOptions: ['-c', '-m', '-', '--'],
    verbs: [],
  },
  java: {
    valueOptions: ['-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path', '--add-modules', '--add-opens', '--add-exports', '--add-reads', '--patch-module', '--limit-modules', '--enable-native-access'],
    entryOptions: ['-jar', '-m', '--module', '--source'],
    verbs: [],
  },
  dotnet: {
    valueOptions: ['--depsfile', '--runtimeconfig', '--additionalprobingpath', '--additional-deps', '--fx-version', '--roll-forward', '--roll-forward-on-no-candidate-fx'],
    entryOptions: [],
    verbs: ['exec'],
  },
  ruby: {
    valueOptions: ['-I', '-r', '-E', '-C', '--encoding'],
    entryOptions: ['-e', '-', '--'],
    verbs: [],
  },
}

/** Index in argv of the element flags go before, or -1 (argv[0] is the interpreter). */
export function findEntry(family: Family, argv: readonly string[]): number {
  const rules = ARGV_RULES[family]
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!
    if (i === 1 && rules.verbs.includes(arg)) continue
    if (rules.valueOptions.includes(arg)) {
      i++
      continue
    }
    if (rules.entryOptions.includes(arg) || !arg.startsWith('-')) return i
  }
  return -1
}

/** The family whose branch handles a command, from its interpreter's file name (`/var/lang/bin/python3.12`). */
export function familyOf(argv0: string): Family | undefined {
  const base = argv0.slice(argv0.lastIndexOf('/') + 1)
  if (/^node(\d.*)?$/.test(base)) return 'node'
  if (/^python(\d.*)?$/.test(base)) return 'python'
  if (base === 'java') return 'java'
  if (base === 'dotnet') return 'dotnet'
  if (/^ruby(\d.*)?$/.test(base)) return 'ruby'
  return undefined
}
