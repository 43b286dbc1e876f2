// Small C# programs built with the installed .NET SDK: verify's .NET probes (an entry standing in for
// the runtime's, startup hooks standing in for the configured ones). All of them in one `dotnet build`
// of a solution, since MSBuild's start is most of the cost; for the SDK's own framework, whose
// targeting pack ships with the SDK, so nothing comes from NuGet; no build server is left running.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { scaled } from '../limits/time-limit.js'

export interface CsProject {
  /** The assembly's name (and its folder). */
  readonly name: string
  readonly kind: 'exe' | 'library'
  /** The one C# source file. */
  readonly source: string
}

// Nothing the SDK would fetch or print on its own: telemetry, first-run notes, workload update checks.
const ENV = { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1', DOTNET_GENERATE_ASPNET_CERTIFICATE: 'false', DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE: '1' }

/** The major version of the installed SDK (its framework is the one built for), or undefined without one. */
export function dotnetSdkMajor(): number | undefined {
  const r = spawnSync('dotnet', ['--version'], { encoding: 'utf8', env: { ...process.env, ...ENV }, timeout: scaled(30_000) })
  const major = r.status === 0 ? Number(/^(\d+)\./.exec(r.stdout.trim())?.[1]) : NaN
  return Number.isInteger(major) ? major : undefined
}

/** Builds the projects under `dir`; each assembly's path, or why not (one line). */
export function buildCsProjects(dir: string, projects: readonly CsProject[]): { dll: Record<string, string> } | { reason: string } {
  const major = dotnetSdkMajor()
  if (major === undefined) return { reason: 'the .NET SDK (dotnet) is not installed' }
  for (const p of projects) {
    mkdirSync(join(dir, p.name), { recursive: true })
    writeFileSync(join(dir, p.name, `${p.name}.csproj`), [
      '<Project Sdk="Microsoft.NET.Sdk">',
      '  <PropertyGroup>',
      `    <TargetFramework>net${major}.0</TargetFramework>`,
      `    <OutputType>${p.kind === 'exe' ? 'Exe' : 'Library'}</OutputType>`,
      '    <Nullable>enable</Nullable><ImplicitUsings>disable</ImplicitUsings><RootNamespace />',
      '    <InvariantGlobalization>true</InvariantGlobalization><DebugType>none</DebugType>',
      '  </PropertyGroup>',
      '</Project>',
      '',
    ].join('\n'))
    writeFileSync(join(dir, p.name, `${p.name}.cs`), p.source)
  }
  writeFileSync(join(dir, 'all.slnx'), `<Solution>\n${projects.map((p) => `  <Project Path="${p.name}/${p.name}.csproj" />\n`).join('')}</Solution>\n`)
  const r = spawnSync('dotnet', ['build', join(dir, 'all.slnx'), '-c', 'Release', '--nologo', '-v', 'quiet', '--disable-build-servers', '-p:UseSharedCompilation=false'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...ENV }, timeout: scaled(300_000) })
  if (r.status !== 0) {
    const why = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => /error/i.test(l))?.trim() ?? `exit ${r.status ?? r.signal}`
    return { reason: `dotnet build failed: ${why}` }
  }
  return { dll: Object.fromEntries(projects.map((p) => [p.name, join(dir, p.name, 'bin/Release', `net${major}.0`, `${p.name}.dll`)])) }
}
