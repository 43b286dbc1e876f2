// How each interpreter's command line is read to find the program entry (flags go just before it).
// Shared by the wrapper renderer (as `case` patterns), the simulator, config validation and verify's
// judge, so all read argv alike. Audited against each interpreter's own option table (node 20/22 `node
// --help`, CPython's Modules/main usage, `java --help`/`java --help-extra`, the dotnet host's `exec`
// options, `ruby --help`) and tested against the installed interpreters (test/verify-argv-rules.ts):
// only options that take their value as the NEXT element are listed; `--opt=value` and attached forms
// (`-Xfoo`, `-W:no-deprecated`, ruby's `-F:`/`-0777`/`-Ku`) need no entry. V8 options such as
// --max-old-space-size and --stack-trace-limit accept only `=value`.
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
    valueOptions: [
      '-r', '--require', '--import', '--loader', '--experimental-loader', '--max-http-header-size', '--title', '-C', '--conditions', '--input-type', '--env-file', '--env-file-if-exists',
      '--inspect-port', '--debug-port', '--report-dir', '--report-directory', '--report-filename', '--report-signal', '--redirect-warnings', '--unhandled-rejections',
      '--dns-result-order', '--disable-warning', '--icu-data-dir', '--secure-heap', '--secure-heap-min', '--heapsnapshot-signal', '--diagnostic-dir',
      '--cpu-prof-dir', '--cpu-prof-name', '--cpu-prof-interval', '--heap-prof-dir', '--heap-prof-name', '--heap-prof-interval', '--openssl-config', '--tls-cipher-list', '--tls-keylog',
      '--trace-event-categories', '--trace-event-file-pattern', '--watch-path', '--test-reporter', '--test-reporter-destination', '--use-largepages',
      '--experimental-default-type', '--experimental-policy', '--policy-integrity', '--snapshot-blob', '--localstorage-file', '--experimental-config-file',
    ],
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
    valueOptions: ['-I', '-r', '-E', '-C', '--encoding', '--external-encoding', '--internal-encoding', '--enable', '--disable', '--dump', '--backtrace-limit'],
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
