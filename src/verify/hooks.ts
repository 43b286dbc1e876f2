// verify's startup-hook check (issue 7), with the real interpreters where installed. The configured
// hooks are the user's code and may need a real Lambda, so they are not run here: a probe layer is
// built from the same config with each hook replaced, in place, by a probe that records its position
// and process, plus one that throws. It runs through the same generated wrapper and runners, and must
// show: every hook ran, in the configured order, in the process that runs the entry, before the entry;
// the throwing one was reported in one stderr line and the rest still ran; a critical one that fails
// stops start-up; the module search path (python sys.path, ruby $LOAD_PATH, the JVM class path, .NET's
// trusted platform assemblies) is the one the interpreter has without the layer. Runs path-mapped on
// the host, like real.ts. The Java and .NET probes are compiled here (javac, dotnet build).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { overLimit, retryOnTimeoutSync } from '../limits/time-limit.js'
import { join } from 'node:path'
import { buildLayer } from '../build.js'
import { makeTemp, removeTemp } from '../cleanup.js'
import type { Family, ResolvedConfig, ResolvedHook, ResolvedPreload } from '../config/types.js'
import { DEFAULT_BUDGET_MS } from '../startup-hooks/resolve.js'
import { writeLayer } from '../layer/write.js'
import { zipLayer } from '../layer/zip.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { TIME_LIMIT, type CheckResult } from './types.js'
import { buildCsProjects } from './dotnet-build.js'
import { missingHookModules } from './hook-modules.js'

export interface HookCheckOptions {
  readonly config: ResolvedConfig
  readonly fixtures: readonly RuntimeFixture[]
  readonly memories: readonly number[]
  /** What Lambda unpacks into /opt: the layer and the --with-layer trees (where module-named hooks may be). */
  readonly trees?: readonly string[]
}

type HookFamily = 'node' | 'python' | 'ruby' | 'java' | 'dotnet'

export interface Probe {
  /** The config with the family's hooks replaced by probes (n of them, then one that throws). */
  readonly isolated: ResolvedConfig
  /** A critical probe that throws, then one that must never run. */
  readonly critical: ResolvedConfig
  /** The command (interpreter first) whose entry reports pid and search path as JSON on stdout. */
  readonly argv: readonly string[]
  /** The one stderr line the throwing probe must give, and the critical one's. */
  readonly failLine: RegExp
  readonly criticalLine: RegExp
  readonly count: number
}

const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0

/** The families whose hooks this config declares, with how many. */
function declared(config: ResolvedConfig): Array<[HookFamily, number]> {
  const all: Array<[HookFamily, number]> = [['node', config.node.imports.length], ['python', config.python.preloads.length], ['ruby', config.ruby.preloads.length], ['java', config.java.agents.length], ['dotnet', config.dotnet.startupHooks.length]]
  return all.filter(([, n]) => n > 0)
}

const hook = (name: string, file: string, critical: boolean, options: Record<string, unknown> = {}): ResolvedHook => ({ name, file, package: false, options, critical })
const spec = (name: string, file: string, critical: boolean): ResolvedPreload => ({ name, import: file, options: {}, critical, budgetMs: DEFAULT_BUDGET_MS })

export async function probeFor(family: HookFamily, config: ResolvedConfig, dir: string): Promise<Probe | string> {
  const list = family === 'node' ? config.node.imports : family === 'java' ? config.java.agents : family === 'dotnet' ? config.dotnet.startupHooks : config[family].preloads
  const n = list.length
  const crit = (i: number): boolean => list[i]!.critical
  const idx = [...Array(n).keys()]
  if (family === 'python') {
    // The file is closed in the hook: an open one would be a ResourceWarning (python -X dev then imports tracemalloc).
    for (const i of idx) writeFileSync(join(dir, `p${i}.py`), `import os\nwith open(os.environ['WRAPGEN_HOOK_LOG'], 'a') as log:\n    log.write('${i} %d\\n' % os.getpid())\n`)
    writeFileSync(join(dir, 'boom.py'), "raise RuntimeError('wrapgen verify probe')\n")
    writeFileSync(join(dir, 'entry.py'), 'import json, os, sys\nprint(json.dumps({"pid": os.getpid(), "path": sys.path, "argv": sys.argv}))\n')
    const hooks = idx.map((i) => hook(`p${i}`, join(dir, `p${i}.py`), crit(i)))
    return {
      isolated: { ...config, python: { ...config.python, preloads: [...hooks, hook('boom', join(dir, 'boom.py'), false)] } },
      critical: { ...config, python: { ...config.python, preloads: [hook('boom', join(dir, 'boom.py'), true), ...hooks] } },
      argv: ['python3', join(dir, 'entry.py'), 'handler'], failLine: /^wrapgen: preload boom failed: RuntimeError: wrapgen verify probe; skipped$/, criticalLine: /^wrapgen: preload boom failed: .*\(critical: stopping start-up\)$/, count: n,
    }
  }
  if (family === 'ruby') {
    for (const i of idx) writeFileSync(join(dir, `r${i}.rb`), `File.write(ENV['WRAPGEN_HOOK_LOG'], "${i} #{Process.pid}\\n", mode: 'a')\n`)
    writeFileSync(join(dir, 'boom.rb'), "raise 'wrapgen verify probe'\n")
    writeFileSync(join(dir, 'entry.rb'), "require 'json'\nputs JSON.generate({ pid: Process.pid, path: $LOAD_PATH, argv: ARGV })\n")
    const hooks = idx.map((i) => hook(`r${i}`, join(dir, `r${i}.rb`), crit(i)))
    return {
      isolated: { ...config, ruby: { ...config.ruby, preloads: [...hooks, hook('boom', join(dir, 'boom.rb'), false)] } },
      critical: { ...config, ruby: { ...config.ruby, preloads: [hook('boom', join(dir, 'boom.rb'), true), ...hooks] } },
      argv: ['ruby', join(dir, 'entry.rb'), 'handler'], failLine: /^wrapgen: preload boom failed: RuntimeError: wrapgen verify probe; skipped$/, criticalLine: /^wrapgen: preload boom failed: .*\(critical: stopping start-up\)$/, count: n,
    }
  }
  if (family === 'node') {
    for (const i of idx) writeFileSync(join(dir, `n${i}.mjs`), `import { appendFileSync } from 'node:fs'\nappendFileSync(process.env.WRAPGEN_HOOK_LOG, '${i} ' + process.pid + '\\n')\n`)
    writeFileSync(join(dir, 'boom.mjs'), "throw new Error('wrapgen verify probe')\n")
    writeFileSync(join(dir, 'entry.mjs'), "console.log(JSON.stringify({ pid: process.pid, path: process.env.NODE_PATH ?? null, argv: process.argv.slice(2) }))\n")
    const hooks = idx.map((i) => spec(`n${i}`, join(dir, `n${i}.mjs`), crit(i)))
    return {
      isolated: { ...config, node: { ...config.node, imports: [...hooks, spec('boom', join(dir, 'boom.mjs'), false)] } },
      critical: { ...config, node: { ...config.node, imports: [spec('boom', join(dir, 'boom.mjs'), true), ...hooks] } },
      argv: [process.execPath, join(dir, 'entry.mjs'), 'handler'], failLine: /^wrapgen: import boom failed: wrapgen verify probe; skipped$/, criticalLine: /^wrapgen: import boom failed: .*\(critical: stopping start-up\)$/, count: n,
    }
  }
  if (family === 'dotnet') {
    // One hook assembly (its options say which probe it is) and an entry, built with the SDK here.
    const built = buildCsProjects(dir, [
      { name: 'WrapgenHookProbe', kind: 'library', source: DOTNET_HOOK },
      { name: 'WrapgenHookEntry', kind: 'exe', source: DOTNET_ENTRY },
    ])
    if ('reason' in built) return `cannot build the .NET probes: ${built.reason}`
    const hookDll = built.dll.WrapgenHookProbe!
    const hooks = idx.map((i) => hook(`h${i}`, hookDll, crit(i), { i }))
    const boom = (critical: boolean): ResolvedHook => hook('boom', hookDll, critical, { boom: true })
    return {
      isolated: { ...config, dotnet: { ...config.dotnet, startupHooks: [...hooks, boom(false)] } },
      critical: { ...config, dotnet: { ...config.dotnet, startupHooks: [boom(true), ...hooks] } },
      argv: ['dotnet', 'exec', built.dll.WrapgenHookEntry!, 'handler'],
      failLine: /^wrapgen: startup hook boom failed: System\.InvalidOperationException: wrapgen verify probe; skipped$/, criticalLine: /^wrapgen: startup hook boom failed: .*\(critical: stopping start-up\)$/, count: n,
    }
  }
  // java: the probe agents and the entry compiled here, packed with the layer's own zip writer.
  if (!which('javac')) return 'javac not installed: cannot build probe agents'
  const src = join(dir, 'src')
  mkdirSync(src)
  writeFileSync(join(src, 'WrapgenHookProbe.java'), [
    'public class WrapgenHookProbe {',
    '  public static void premain(String a) throws Exception {',
    '    if ("boom".equals(a)) throw new IllegalStateException("wrapgen verify probe");',
    '    java.nio.file.Files.write(java.nio.file.Paths.get(System.getenv("WRAPGEN_HOOK_LOG")), (a + " " + pid() + "\\n").getBytes(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);',
    '  }',
    '  static String pid() { return java.lang.management.ManagementFactory.getRuntimeMXBean().getName().split("@")[0]; }',
    '  public static void main(String[] args) {',
    '    System.out.println("{\\"pid\\":" + pid() + ",\\"path\\":\\"" + System.getProperty("java.class.path") + "\\",\\"argv\\":\\"" + String.join(" ", args) + "\\"}");',
    '  }',
    '}',
  ].join('\n'))
  const classes = join(dir, 'classes')
  const javac = spawnSync('javac', ['-d', classes, join(src, 'WrapgenHookProbe.java')], { encoding: 'utf8' })
  if (javac.status !== 0) return `javac failed on the probe agent: ${javac.stderr.split('\n')[0]}`
  const manifest = new TextEncoder().encode('Manifest-Version: 1.0\r\nPremain-Class: WrapgenHookProbe\r\n\r\n')
  writeFileSync(join(dir, 'probe.jar'), await zipLayer([{ path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: manifest }, { path: 'WrapgenHookProbe.class', mode: 0o644, contents: readFileSync(join(classes, 'WrapgenHookProbe.class')) }], ''))
  const agents = idx.map((i) => hook(`a${i}`, join(dir, 'probe.jar'), crit(i), { args: String(i) }))
  const boom = (critical: boolean): ResolvedHook => hook('boom', join(dir, 'probe.jar'), critical, { args: 'boom' })
  return {
    isolated: { ...config, java: { ...config.java, agents: [...agents, boom(false)] } },
    critical: { ...config, java: { ...config.java, agents: [boom(true), ...agents] } },
    argv: ['java', '-XX:+UseSerialGC', '-classpath', classes, 'WrapgenHookProbe', 'example.App::handleRequest'],
    failLine: /^wrapgen: agent boom failed: java\.lang\.IllegalStateException: wrapgen verify probe; skipped$/, criticalLine: /^wrapgen: agent boom failed: .*\(critical: stopping start-up\)$/, count: n,
  }
}

/** The .NET probe hook: logs "i pid" as its options say, or throws when they say boom. */
const DOTNET_HOOK = `internal static class StartupHook {
  public static void Initialize() {
    string options = System.AppContext.GetData("wrapgen.hook.options") as string ?? "{}";
    if (options.Contains("\\"boom\\"")) throw new System.InvalidOperationException("wrapgen verify probe");
    string i = System.Text.Json.JsonDocument.Parse(options).RootElement.GetProperty("i").GetInt32().ToString();
    System.IO.File.AppendAllText(System.Environment.GetEnvironmentVariable("WRAPGEN_HOOK_LOG")!, i + " " + System.Environment.ProcessId + "\\n");
  }
}
`
/** The .NET probe entry: its pid, the trusted platform assemblies (what .NET resolves from) and its arguments. */
const DOTNET_ENTRY = `public static class Program {
  public static int Main(string[] args) {
    System.Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new System.Collections.Generic.Dictionary<string, object?> {
      ["pid"] = System.Environment.ProcessId,
      ["path"] = System.AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string,
      ["argv"] = args,
    }));
    return 0;
  }
}
`

interface Ran { code: number | null; stdout: string; stderr: string; pid: number; log: string[]; stopped?: string }

/** One probe run (an interpreter start, a JVM with agents) on an idle machine takes a second or two; wrapgen's limit, scaled and retried. */
const HOOK_RUN_LIMIT_MS = 60_000

function run(argv: readonly string[], wrapper: string | undefined, log: string, cwd: string): Ran {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', WRAPGEN_HOOK_LOG: log }
  const once = (timeout: number) => {
    rmSync(log, { force: true })
    return wrapper
      ? spawnSync('sh', [wrapper, ...argv], { cwd, env, encoding: 'utf8', timeout, killSignal: 'SIGKILL' })
      : spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8', timeout, killSignal: 'SIGKILL' })
  }
  const limited = retryOnTimeoutSync(HOOK_RUN_LIMIT_MS, once, (r) => (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
  const r = limited.result
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', pid: r.pid ?? -1, log: lines, ...(limited.timedOut ? { stopped: overLimit(`${argv[0]!.split('/').pop()} with the hook probes`, limited.tries) } : {}) }
}

/** What is wrong with the hooks of one family, or undefined. */
async function checkFamily(family: HookFamily, config: ResolvedConfig, root: string): Promise<{ problem?: string; skip?: string; stopped?: boolean }> {
  const dir = join(root, family)
  mkdirSync(dir)
  // The chained wrappers are not on this host (they are checked by the chain column): the hooks alone.
  const probe = await probeFor(family, { ...config, chain: [] }, dir)
  if (typeof probe === 'string') return { skip: probe }
  const layerOf = async (c: ResolvedConfig, name: string): Promise<string> => join(writeLayer(await buildLayer(c), join(dir, name)).layerDir, 'wrapgen/exec')
  const bare = run(probe.argv, undefined, join(dir, 'bare.log'), dir)
  if (bare.stopped) return { problem: bare.stopped, stopped: true }
  if (bare.code !== 0) return { skip: `the real ${family} did not run the probe entry (exit ${bare.code}): ${bare.stderr.split('\n')[0]}` }
  const got = run(probe.argv, await layerOf(probe.isolated, 'isolated'), join(dir, 'isolated.log'), dir)
  if (got.stopped) return { problem: got.stopped, stopped: true }
  if (got.code !== 0) return { problem: `the function did not start with a throwing hook (exit ${got.code}): ${got.stderr.trim().split('\n').pop()}` }
  let entry: { pid: number; path: unknown; argv: unknown }
  try {
    entry = JSON.parse(got.stdout) as typeof entry
  } catch {
    return { problem: `the entry did not run, or stdout carried more: ${JSON.stringify(got.stdout.slice(0, 80))}` }
  }
  const b = JSON.parse(bare.stdout) as typeof entry
  const want = [...Array(probe.count).keys()].map((i) => `${i} ${entry.pid}`)
  if (JSON.stringify(got.log) !== JSON.stringify(want)) return { problem: `hooks ran as ${JSON.stringify(got.log)}; expected each once, in order, in the entry's process: ${JSON.stringify(want)}` }
  if (entry.pid !== got.pid) return { problem: `the entry ran in pid ${entry.pid}, not the bootstrap's ${got.pid}` }
  const searchPath = ({ python: 'sys.path', ruby: '$LOAD_PATH', java: 'java.class.path', dotnet: 'TRUSTED_PLATFORM_ASSEMBLIES', node: 'NODE_PATH' } as const)[family]
  if (JSON.stringify(entry.path) !== JSON.stringify(b.path)) return { problem: `${searchPath} is ${JSON.stringify(entry.path)}, without the layer ${JSON.stringify(b.path)}` }
  if (JSON.stringify(entry.argv) !== JSON.stringify(b.argv)) return { problem: `the program's arguments are ${JSON.stringify(entry.argv)}, without the layer ${JSON.stringify(b.argv)}` }
  const own = got.stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))
  if (own.length !== 1 || !probe.failLine.test(own[0]!)) return { problem: `a throwing hook must give one stderr line matching ${probe.failLine}; got ${JSON.stringify(own)}` }
  const crit = run(probe.argv, await layerOf(probe.critical, 'critical'), join(dir, 'critical.log'), dir)
  if (crit.stopped) return { problem: crit.stopped, stopped: true }
  if (crit.code === 0 || crit.stdout) return { problem: `a critical hook that throws did not stop start-up (exit ${crit.code}, stdout ${JSON.stringify(crit.stdout.slice(0, 40))})` }
  if (crit.log.length) return { problem: `hooks after a failed critical one still ran: ${JSON.stringify(crit.log)}` }
  const critOwn = crit.stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))
  if (critOwn.length !== 1 || !probe.criticalLine.test(critOwn[0]!)) return { problem: `a failed critical hook must give one stderr line matching ${probe.criticalLine}; got ${JSON.stringify(critOwn)}` }
  return {}
}

const INTERPRETER: Readonly<Record<HookFamily, string>> = { node: 'node', python: 'python3', ruby: 'ruby', java: 'java', dotnet: 'dotnet' }

/** One `hooks` row per selected runtime of each family that declares hooks (each family is run once). */
export async function runHookChecks(opts: HookCheckOptions): Promise<CheckResult[]> {
  const families = declared(opts.config)
  if (!families.length) return []
  const root = makeTemp('hooks')
  try {
    const rows: CheckResult[] = []
    for (const [family] of families) {
      const fixtures = opts.fixtures.filter((f) => f.family === (family as Family) && f.entry !== null)
      if (!fixtures.length) continue
      const installed = family === 'node' || which(INTERPRETER[family])
      // Hooks named by module are looked up first: the probes below stand in for them, so would not miss one.
      const missing = installed && (family === 'python' || family === 'ruby') ? missingHookModules(family, opts.config, opts.trees ?? []) : undefined
      const outcome = !installed ? { skip: `${INTERPRETER[family]} not installed: hooks not run` } : missing ? { problem: missing } : await checkFamily(family, opts.config, root)
      for (const f of fixtures)
        rows.push({ runtime: f.mode === 'default' ? f.id : `${f.id}:${f.mode}`, memory: opts.memories[0] ?? null, shell: 'sh', check: 'hooks', status: outcome.skip ? 'skip' : outcome.problem ? 'fail' : 'pass', detail: outcome.skip ?? outcome.problem ?? '', ...('stopped' in outcome && outcome.stopped ? { cause: TIME_LIMIT } : {}) })
    }
    return rows
  } finally {
    removeTemp(root)
  }
}
