// .NET startup hooks (issue 7), with the real .NET: the hooks, a program standing in for the runtime's
// entry, and a single-file executable are built in setup with `dotnet build` / `dotnet publish`, then run
// through the built layer as Lambda's bootstrap execs it. Without the .NET SDK the real runs skip.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildLayer, type BuildResult } from '../src/build.js'
import { openConfig } from '../src/config/open.js'
import type { WrapgenConfig } from '../src/config/types.js'
import { configProblems } from './fixtures/config-problems.js'
import { writeLayer } from '../src/layer/write.js'
import { simulate } from '../src/plan/simulate.js'
import { buildCsProjects, dotnetSdkMajor } from '../src/verify/dotnet-build.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const sdk = dotnetSdkMajor()
const noSdk = sdk === undefined && 'the .NET SDK (dotnet) is not installed'

// Each hook appends "name pid options" to $HOOK_LOG, so order, process and options are visible.
const logHook = (name: string): string => `internal static class StartupHook {
  public static void Initialize() {
    string? options = System.AppContext.GetData("wrapgen.hook.options") as string;
    System.IO.File.AppendAllText(System.Environment.GetEnvironmentVariable("HOOK_LOG")!, "${name} " + System.Environment.ProcessId + " " + (options ?? "-") + "\\n");
  }
}
`
const SOURCES = [
  { name: 'First.Hook', kind: 'library' as const, source: logHook('first') },
  { name: 'Second.Hook', kind: 'library' as const, source: logHook('second') },
  { name: 'Own.Hook', kind: 'library' as const, source: logHook('own') },
  { name: 'Boom', kind: 'library' as const, source: 'internal static class StartupHook { public static void Initialize() { throw new System.InvalidOperationException("hook broke\\nsecond line"); } }\n' },
  { name: 'NotAHook', kind: 'library' as const, source: 'public static class Nothing { public static void Initialize() { } }\n' },
  {
    name: 'App', kind: 'exe' as const,
    source: 'public static class Program { public static int Main(string[] args) { System.Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new System.Collections.Generic.Dictionary<string, object?> { ["pid"] = System.Environment.ProcessId, ["argv"] = args, ["hooks"] = System.Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS") })); return 0; } }\n',
  },
]

const dir = t.testdir({ dn: {} })
const built = sdk === undefined ? undefined : buildCsProjects(join(dir, 'dn'), SOURCES)
const dll = (name: string): string => (built && 'dll' in built ? built.dll[name]! : join(dir, 'missing', `${name}.dll`))
// Paths relative to the config's folder, as a user writes them.
const rel = (name: string): string => `./${dll(name).slice(dir.length + 1)}`

let n = 0
async function layer(config: Omit<WrapgenConfig, 'name'>): Promise<{ result: BuildResult; wrapper: string; layerDir: string }> {
  const result = await buildLayer(await openConfig({ cwd: dir, config: { name: 'dotnet-hooks', runtimes: ['dotnet8', 'dotnet10'], ...config } }))
  const { layerDir } = writeLayer(result, join(dir, `out-${++n}`))
  return { result, wrapper: join(layerDir, 'wrapgen/exec'), layerDir }
}

interface Run { code: number | null; stdout: string; stderr: string; pid: number; log: string[] }
/** Runs `argv` through the wrapper with dash, as Lambda's bootstrap execs it; the hook log read back. */
function run(wrapper: string | undefined, argv: string[], env: Record<string, string> = {}): Run {
  const log = join(dir, `log-${++n}`)
  const r = spawnSync(wrapper ? 'dash' : argv[0]!, wrapper ? [wrapper, ...argv] : argv.slice(1), { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', DOTNET_NOLOGO: '1', HOOK_LOG: log, ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid ?? -1, log: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] }
}
const own = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('wrapgen:'))
/** The class-library start as Lambda's dotnet bootstrap runs it, with the stand-in program. */
const classLibrary = (): string[] => {
  const app = dll('App')
  return ['dotnet', 'exec', '--depsfile', app.replace(/\.dll$/, '.deps.json'), '--runtimeconfig', app.replace(/\.dll$/, '.runtimeconfig.json'), app, 'MyFn::MyFn.Function::Handler']
}

t.test('config: dotnet.startupHooks is validated with its key paths', async (t) => {
  const problems = (config: Record<string, unknown>): Promise<string[]> => configProblems(t, dir, { name: 'x', ...config })
  t.same(await problems({ dotnet: { startupHooks: ['./hooks/A.dll', { assembly: '@acme/hooks/dotnet/Otel.dll', options: { endpoint: 'x', n: [1] }, critical: true }] } }), [], 'local and package files')
  t.same(await problems({ dotnet: { startupHooks: ['Otel.StartupHook', './a.exe', { assembly: './b.dll', options: 'x', extra: 1 }, { options: {} }, './c.dll', './c.dll'] } }), [
    'dotnet.startupHooks[0]: "Otel.StartupHook" must be a local path ("./Otel.StartupHook") or a file of a package ("@acme/hooks/Otel.StartupHook"): the file is copied into the layer',
    'dotnet.startupHooks[1]: "./a.exe" does not end in .dll; give the path of a startup hook assembly ("./hooks/Otel.StartupHook.dll")',
    'dotnet.startupHooks[2].extra: unknown key; allowed: assembly, options, critical',
    'dotnet.startupHooks[2].options: "x" is not an object',
    'dotnet.startupHooks[3].assembly: is required: the path of a startup hook assembly ("./hooks/Otel.StartupHook.dll")',
    'dotnet.startupHooks[5]: "./c.dll" is already dotnet.startupHooks[4]; a hook runs once',
  ])
  t.same(await problems({ dotnet: { startupHooks: ['./a/Otel.dll', './b/otel.DLL', './a/../a/Otel.dll', './Other.DLL'] } }), [
    'dotnet.startupHooks[1]: "./b/otel.DLL" has the file name of dotnet.startupHooks[0]; .NET loads one assembly of a name, so give each hook its own',
    'dotnet.startupHooks[2]: "./a/../a/Otel.dll" has the file name of dotnet.startupHooks[0]; .NET loads one assembly of a name, so give each hook its own',
  ], 'one assembly name, one hook; .DLL is a .dll')
  t.same(await problems({ dotnet: { startupHook: [] } }), ['dotnet.startupHook: unknown key; did you mean "startupHooks"?'])
  await t.rejects(layer({ dotnet: { startupHooks: ['./nope/Hook.dll'] } }), { name: 'UserError', message: /^dotnet\.startupHooks\[0\]: nope\/Hook\.dll is not a file/ })
})

t.test('plan: the runner joins DOTNET_STARTUP_HOOKS once, first, in every mode; argv is never touched', { skip: noSdk }, async (t) => {
  const { result } = await layer({ dotnet: { startupHooks: [rel('First.Hook'), { assembly: rel('Second.Hook'), options: { tag: 'a\tb' } }] } })
  t.same(result.files.map((f) => f.path).filter((p) => p.startsWith('wrapgen/dotnet/')), [
    'wrapgen/dotnet/WrapgenStartupHooks.dll', 'wrapgen/dotnet/hooks/01/First.Hook.dll', 'wrapgen/dotnet/hooks/02/Second.Hook.dll',
  ], 'the runner, and each hook in a folder of its own under its own name')
  const runner = '/opt/wrapgen/dotnet/WrapgenStartupHooks.dll'
  const lib = ['/var/lang/bin/dotnet', 'exec', '--depsfile', '/var/task/MyFn.deps.json', '--runtimeconfig', '/var/task/MyFn.runtimeconfig.json', '/var/runtime/Amazon.Lambda.RuntimeSupport.dll', 'MyFn::MyFn.Function::Handler']
  const sim = (argv: string[], env: Record<string, string> = {}, exists?: () => boolean) => simulate(result.plan, { argv, env, wrapperDir: '/opt/wrapgen', ...(exists ? { exists } : {}) })
  t.same(sim(lib).argv, lib, 'class library: argv unchanged')
  t.equal(sim(lib).env.DOTNET_STARTUP_HOOKS, runner)
  // The list comes in the environment (a file read costs .NET about 3 ms of each cold start).
  t.equal(sim(lib).env.WRAPGEN_DOTNET_HOOKS, `isolated\thooks/01/First.Hook.dll\t${rel('First.Hook')}\t\nisolated\thooks/02/Second.Hook.dll\t${rel('Second.Hook')}\t{"tag":"a\\tb"}`, 'options as JSON text (a tab escaped)')
  // A single-file executable has no interpreter to recognise: Lambda's AWS_EXECUTION_ENV names the runtime.
  t.equal(sim(['/var/task/MyFn'], { AWS_EXECUTION_ENV: 'AWS_Lambda_dotnet8' }).env.DOTNET_STARTUP_HOOKS, runner, 'single-file executable: the environment is all there is, and enough')
  t.same(sim(['/var/task/MyFn'], { AWS_EXECUTION_ENV: 'AWS_Lambda_dotnet8' }).argv, ['/var/task/MyFn'])
  t.equal(sim(lib, { DOTNET_STARTUP_HOOKS: '/var/task/Own.dll' }).env.DOTNET_STARTUP_HOOKS, `${runner}:/var/task/Own.dll`, 'merged: ours first, the function\'s kept')
  t.equal(sim(lib, { DOTNET_STARTUP_HOOKS: `/var/task/Own.dll:${runner}` }).env.DOTNET_STARTUP_HOOKS, `/var/task/Own.dll:${runner}`, 'never twice')
  t.same(sim(lib, {}, () => false).env, {}, 'runner missing: nothing added (fail open)')
  const again = await layer({ dotnet: { startupHooks: [rel('First.Hook'), { assembly: rel('Second.Hook'), options: { tag: 'a\tb' } }] } })
  t.same(again.result.files, result.files, 'deterministic')
  t.not(again.result.plan.id, (await layer({ dotnet: { startupHooks: [rel('First.Hook')] } })).result.plan.id, 'the hooks are part of the layer id')
  t.equal((await layer({})).result.plan.id, (await layer({ dotnet: {} })).result.plan.id)
})

t.test('real .NET: the runner runs the hooks in order in the function\'s process, isolated, timed, once', { skip: noSdk }, async (t) => {
  t.ok(built && 'dll' in built, `the fixtures built: ${built && 'reason' in built ? built.reason : ''}`)
  // An assembly without the hook type is refused at build time: the layer is built with a hook in its
  // place, and NotAHook.dll put into the built layer after (the runner's run-time check).
  const notAHook = readFileSync(dll('NotAHook'))
  await t.rejects(layer({ dotnet: { startupHooks: [rel('NotAHook')] } }), { name: 'UserError', message: /defines no type StartupHook in no namespace/ }, 'refused at build time')
  cpSync(dll('First.Hook'), dll('NotAHook'))
  const { wrapper, layerDir } = await layer({ dotnet: { startupHooks: [{ assembly: rel('First.Hook'), options: { tag: 'T1' } }, rel('Boom'), rel('NotAHook'), rel('Second.Hook')] } })
  writeFileSync(join(layerDir, 'wrapgen/dotnet/hooks/03/NotAHook.dll'), notAHook)
  writeFileSync(dll('NotAHook'), notAHook)
  const argv = classLibrary()
  const bare = run(undefined, argv)
  t.equal(bare.code, 0, bare.stderr)
  const got = run(wrapper, argv)
  t.equal(got.code, 0, got.stderr)
  const w = JSON.parse(got.stdout) as { pid: number; argv: string[]; hooks: string }
  t.equal(w.pid, got.pid, 'the program runs in the process the bootstrap started')
  t.same(w.argv, (JSON.parse(bare.stdout) as { argv: string[] }).argv, 'its arguments as without the layer')
  t.equal(w.hooks, join(layerDir, 'wrapgen/dotnet/WrapgenStartupHooks.dll'))
  t.same(got.log, [`first ${got.pid} {"tag":"T1"}`, `second ${got.pid} {}`], 'in order, in that process, each with its options')
  t.same(own(got.stderr), [
    `wrapgen: startup hook ${rel('Boom')} failed: System.InvalidOperationException: hook broke; skipped`,
    `wrapgen: startup hook ${rel('NotAHook')} failed: System.MissingMethodException: NotAHook.dll has no type StartupHook (in no namespace): not a startup hook; skipped`,
  ], 'one line per failed hook')
  t.equal(got.stderr.split('\n').filter(Boolean).length, 2, 'and nothing else: no stack trace')

  // The function's own hook: kept, and run after ours by the runtime; one of ours it lists itself runs once.
  const merged = run(wrapper, argv, { DOTNET_STARTUP_HOOKS: dll('Own.Hook') })
  t.equal(merged.code, 0, merged.stderr)
  t.same(merged.log.map((l) => l.split(' ')[0]), ['first', 'second', 'own'])
  const listed = run(wrapper, argv, { DOTNET_STARTUP_HOOKS: dll('Second.Hook'), WRAPGEN_TIMING: '1' })
  t.same(listed.log.map((l) => l.split(' ')[0]), ['first', 'second'], 'a hook the function lists too runs once (the runtime runs it there)')
  const timing = JSON.parse(listed.stderr.split('\n').find((l) => l.startsWith('{'))!) as { runtime: string; hooks: Array<{ name: string; ms: number; ok: unknown }> }
  t.equal(timing.runtime, 'dotnet')
  t.same(timing.hooks.map((h) => [h.name, h.ok, typeof h.ms]), [[rel('First.Hook'), true, 'number'], [rel('Boom'), false, 'number'], [rel('NotAHook'), false, 'number'], [rel('Second.Hook'), 'listed by the function', 'number']])

  // By assembly name, not file name: the function lists Second.Hook under another file name.
  cpSync(dll('Second.Hook'), join(dir, 'Renamed.dll'))
  const listedRenamed = run(wrapper, argv, { DOTNET_STARTUP_HOOKS: join(dir, 'Renamed.dll') })
  t.same(listedRenamed.log.map((l) => l.split(' ')[0]), ['first', 'second'], 'the same assembly under another file name runs once too')

  const twice = run(wrapper, [wrapper, ...argv])
  t.equal(twice.log.length, 2, 'the wrapper run through itself: each hook once')
  t.equal((JSON.parse(twice.stdout) as { hooks: string }).hooks, join(layerDir, 'wrapgen/dotnet/WrapgenStartupHooks.dll'), 'and the runner listed once')
  t.equal(run(wrapper, argv, { WRAPGEN_DISABLE: '1' }).log.length, 0, 'WRAPGEN_DISABLE=1: no hooks')

  const crit = await layer({ dotnet: { startupHooks: [{ assembly: rel('Boom'), critical: true }, rel('First.Hook')] } })
  const c = run(crit.wrapper, argv)
  t.equal(c.code, 1, 'a critical hook that fails stops start-up')
  t.same(own(c.stderr), [`wrapgen: startup hook ${rel('Boom')} failed: System.InvalidOperationException: hook broke (critical: stopping start-up)`])
  t.equal(c.stdout, '', 'the program never ran')
  t.same(c.log, [], 'nor the later hooks')

  // Missing files: a hook (that hook fails, one line) and the runner (the original command, one line).
  rmSync(join(layerDir, 'wrapgen/dotnet/hooks/04/Second.Hook.dll'))
  const gone = run(wrapper, argv)
  t.equal(gone.code, 0)
  t.match(own(gone.stderr)[2], /^wrapgen: startup hook .*Second\.Hook\.dll failed: System\.IO\.FileNotFoundException: .*hooks\/04\/Second\.Hook\.dll is missing from the layer; skipped$/)
  // The runner listed without the wrapper (no list): one line, and the function starts.
  const noList = run(undefined, argv, { DOTNET_STARTUP_HOOKS: join(layerDir, 'wrapgen/dotnet/WrapgenStartupHooks.dll') })
  t.equal(noList.code, 0)
  t.same(own(noList.stderr), ['wrapgen: WRAPGEN_DOTNET_HOOKS is not set (the wrapper sets it); no startup hooks run'])
  rmSync(join(layerDir, 'wrapgen/dotnet/WrapgenStartupHooks.dll'))
  const noRunner = run(wrapper, argv)
  t.equal(noRunner.code, 0)
  t.same(own(noRunner.stderr), [`wrapgen: ${join(layerDir, 'wrapgen')}/dotnet/WrapgenStartupHooks.dll is missing; running the function without wrapgen (failMode "open")`])
  t.equal((JSON.parse(noRunner.stdout) as { hooks: unknown }).hooks, null, 'DOTNET_STARTUP_HOOKS not set: a listed missing assembly would end the process')
})

t.test('real .NET: a single-file executable (no argv to change) runs the hooks too', { skip: noSdk }, async (t) => {
  // Framework-dependent, without the trim and single-file analyzers: then publishing needs only the
  // SDK's own packs, no NuGet (CI has none).
  const out = join(dir, 'single-file')
  const app = join(dirname(dll('App')), '../../..', 'App.csproj')
  const r = spawnSync('dotnet', ['publish', app, '-c', 'Release', '-r', 'linux-x64', '--self-contained', 'false', '-p:PublishSingleFile=true', '-p:EnableSingleFileAnalyzer=false', '-p:EnableTrimAnalyzer=false', '-o', out, '--nologo', '-v', 'quiet', '--disable-build-servers'], { encoding: 'utf8', env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE: '1' } })
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`.split('\n').find((l) => /error/i.test(l)) ?? '')
  t.same(readdirSync(out).filter((f) => f.endsWith('.dll')), [], 'one file, no assemblies beside it')
  const { wrapper } = await layer({ dotnet: { startupHooks: [rel('First.Hook'), rel('Boom'), rel('Second.Hook')] } })
  const got = run(wrapper, [join(out, 'App'), 'x y'], { AWS_EXECUTION_ENV: 'AWS_Lambda_dotnet8' })
  t.equal(got.code, 0, got.stderr)
  const w = JSON.parse(got.stdout) as { pid: number; argv: string[] }
  t.equal(w.pid, got.pid, 'same process')
  t.same(w.argv, ['x y'])
  t.same(got.log.map((l) => l.split(' ').slice(0, 2).join(' ')), [`first ${got.pid}`, `second ${got.pid}`])
  t.equal(own(got.stderr).length, 1, 'the throwing hook: one line')
})

t.test('verify: the hooks check builds probe hooks with the SDK and runs them with the real .NET', { skip: noSdk }, async (t) => {
  const { runHookChecks } = await import('../src/verify/hooks.js')
  const { loadCatalogue, selectRuntimes } = await import('../src/runtimes/catalogue.js')
  const fixtures = selectRuntimes(loadCatalogue().runtimes, 'dotnet8,dotnet10')
  const config = await openConfig({ cwd: dir, config: { name: 'verify-hooks', runtimes: ['dotnet8'], dotnet: { startupHooks: [rel('First.Hook'), rel('Second.Hook')] } } })
  const rows = await runHookChecks({ config, fixtures, memories: [1024] })
  t.same(rows.map((r) => [r.runtime, r.status, r.detail]), [
    ['dotnet8:class-library', 'pass', ''], ['dotnet8:executable-assembly', 'pass', ''], ['dotnet10:class-library', 'pass', ''], ['dotnet10:executable-assembly', 'pass', ''],
  ])
  // It can fail: a host option the installed .NET refuses stops every start, which the check reports.
  const bad = await openConfig({ cwd: dir, config: { name: 'verify-hooks', dotnet: { flags: ['--no-such-host-option'], startupHooks: [rel('First.Hook')] } } })
  const failed = await runHookChecks({ config: bad, fixtures: selectRuntimes(loadCatalogue().runtimes, 'dotnet8'), memories: [1024] })
  t.equal(failed[0]?.status, 'fail')
  t.match(failed[0]?.detail, /^the function did not start with a throwing hook/)
})

// The committed runner is its source built for net8.0, whose reference pack comes from NuGet: checked
// where that pack is in the NuGet cache (runners/dotnet/build.sh puts it there), skipped elsewhere.
const refPack = join(process.env.NUGET_PACKAGES ?? join(homedir(), '.nuget/packages'), 'microsoft.netcore.app.ref')
const hasRef8 = existsSync(refPack) && readdirSync(refPack).some((v) => v.startsWith('8.'))
t.test('dotnet: the committed runner is its source built for net8.0 (runners/dotnet/build.sh)', { skip: noSdk || (!hasRef8 && 'the net8.0 reference pack is not in the NuGet cache (it comes from nuget.org)') }, async (t) => {
  const work = join(dir, 'runner')
  const r = spawnSync('sh', ['-c', `mkdir -p "${work}" && cp runners/dotnet/src/* "${work}/" && dotnet build "${work}/WrapgenStartupHooks.csproj" -c Release -o "${work}/out" --nologo -v quiet --disable-build-servers`], { cwd: repo, encoding: 'utf8', env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' } })
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.ok(readFileSync(join(work, 'out/WrapgenStartupHooks.dll')).equals(readFileSync(join(repo, 'runners/dotnet/WrapgenStartupHooks.dll'))), 'run runners/dotnet/build.sh after changing the source')
})
