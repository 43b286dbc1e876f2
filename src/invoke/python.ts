// The Python runtimes' client for invoke: AWS's awslambdaric, found where this machine's python3.X
// imports it (site-packages, a venv, a --target folder on PYTHONPATH), with the packages it needs.
// As on Lambda, the interpreter's home is /var/lang (/var/lang/bin/python3.12, its standard library in
// /var/lang/lib) and the client's files sit in /var/runtime beside our bootstrap.py, the runtime's entry.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { UserError } from '../errors.js'
import { retryOnTimeoutSync } from '../limits/time-limit.js'
import { packageRoot } from '../package-root.js'
import type { RuntimeClient } from './clients.js'

/** awslambdaric pinned for each python (4.2.x needs 3.10+; 4.0.4 is the last for 3.9). */
export const AWSLAMBDARIC = { default: '4.2.2', '3.9': '4.0.4' } as const
export const awslambdaricFor = (version: string): string => (version === '3.9' ? AWSLAMBDARIC['3.9'] : AWSLAMBDARIC.default)
export const pythonInstallLine = (bin: string, version: string): string => `${bin} -m pip install awslambdaric==${awslambdaricFor(version)}`

interface Probed {
  readonly bin: string
  /** `3.12` */
  readonly version: string
  readonly full: string
  /** The interpreter's home (base prefix): bin/, lib/pythonX.Y */
  readonly home: string
  readonly ric: { readonly version: string; readonly files: readonly string[] } | null
}

// Asks the interpreter itself: its version and home, and the top-level files of awslambdaric and of
// every distribution it requires, as installed for this interpreter.
const PROBE = `
import json, os, re, sys
out = {'version': '%d.%d' % sys.version_info[:2], 'full': sys.version.split()[0], 'home': sys.base_prefix, 'ric': None}
try:
    from importlib import metadata
    files, seen = [], set()
    def walk(name):
        key = re.sub(r'[-_.]+', '-', name).lower()
        if key in seen:
            return None
        seen.add(key)
        try:
            d = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
        root = str(d.locate_file(''))
        tops = sorted({f.parts[0] for f in (d.files or []) if f.parts and f.parts[0] not in ('..', '__pycache__') and not f.parts[0].endswith(('.dist-info', '.egg-info', '.data'))})
        files.extend(os.path.join(root, t) for t in tops)
        for req in d.requires or []:
            if ';' in req and 'extra' in req.split(';', 1)[1]:
                continue
            walk(re.match(r'[A-Za-z0-9._-]+', req).group(0))
        return d.version
    out['ric'] = {'version': walk('awslambdaric'), 'files': files} if metadata.distribution('awslambdaric') else None
except Exception:
    out['ric'] = None
print(json.dumps(out))
`

const probed = new Map<string, Probed | undefined>()
function probe(bin: string): Probed | undefined {
  if (probed.has(bin)) return probed.get(bin)
  // Under wrapgen's time limit, scaled and retried: a busy machine must not look like one without the client.
  const { result: r } = retryOnTimeoutSync(30_000, (timeout) => spawnSync(bin, ['-c', PROBE], { encoding: 'utf8', timeout }), (x) => (x.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
  let found: Probed | undefined
  try {
    const o = JSON.parse(r.stdout) as Omit<Probed, 'bin'>
    found = { bin, ...o, ric: o.ric && o.ric.version ? o.ric : null }
  } catch {
    found = undefined
  }
  probed.set(bin, found)
  return found
}

const onPath = (name: string): string | undefined => {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, name)
    if (existsSync(p)) return p
  }
  return undefined
}

/** This machine's pythons, pyenv's versions first (newest patch first), then `python3.X` on PATH. */
export function pythonCandidates(): string[] {
  const out: string[] = []
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions')
  const pyenvVersions = existsSync(pyenv) ? readdirSync(pyenv).filter((v) => /^3\.\d+\.\d+$/.test(v)) : []
  const minors = new Set([...pyenvVersions.map((v) => v.split('.').slice(0, 2).join('.')), ...Array.from({ length: 12 }, (_, i) => `3.${8 + i}`)])
  for (const minor of [...minors].sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]))) {
    const patches = pyenvVersions.filter((v) => v.startsWith(`${minor}.`)).sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))
    for (const v of patches) {
      const bin = join(pyenv, v, 'bin', `python${minor}`)
      if (existsSync(bin)) out.push(bin)
    }
    // pyenv's shims are scripts that may refuse to run: only real interpreters count.
    const found = onPath(`python${minor}`)
    if (found && !realpathSync(found).includes('/shims/')) out.push(found)
  }
  return [...new Set(out.map((p) => realpathSync(p)))]
}

/**
 * The python to run `runtimeId` (`python3.12`) on: `interpreter` when given, else this machine's
 * python3.12 that imports awslambdaric, else the nearest other version that does (said in notes).
 */
export function pythonClient(runtimeId: string, interpreter?: string): RuntimeClient {
  const want = runtimeId.replace(/^python/, '')
  let chosen: Probed | undefined
  const notes: string[] = []
  if (interpreter !== undefined) {
    chosen = probe(interpreter)
    if (!chosen) throw new UserError(`--interpreter ${interpreter}: not a python this machine can run`)
    if (!chosen.ric) throw new UserError(`${runtimeId} needs AWS's Python runtime client, which ${interpreter} does not import: run "${pythonInstallLine(interpreter, chosen.version)}"`)
  } else {
    const all = pythonCandidates().map(probe).filter((p): p is Probed => p !== undefined)
    const same = all.filter((p) => p.version === want)
    chosen = same.find((p) => p.ric)
    if (!chosen && same.length > 0) throw new UserError(`${runtimeId} needs AWS's Python runtime client, which this machine's python${want} does not import: run "${pythonInstallLine(same[0]!.bin, want)}"`)
    if (!chosen) {
      const minor = Number(want.split('.')[1])
      const other = all.filter((p) => p.ric).sort((a, b) => Math.abs(Number(a.version.split('.')[1]) - minor) - Math.abs(Number(b.version.split('.')[1]) - minor) || Number(b.version.split('.')[1]) - Number(a.version.split('.')[1]))[0]
      if (!other) throw new UserError(`${runtimeId} needs python${want} (or another python3) with AWS's Python runtime client: install one, then run "python${want} -m pip install awslambdaric==${awslambdaricFor(want)}"`)
      chosen = other
      notes.push(`no python${want} with awslambdaric on this machine: ran python${other.version} (${other.full}) with ${runtimeId}'s argv and variables`)
    }
  }
  const py = chosen
  const ric = py.ric!
  const argv0 = `/var/lang/bin/python${py.version}`
  if (!existsSync(join(py.home, 'bin', `python${py.version}`))) throw new UserError(`${py.bin}: no bin/python${py.version} in its home ${py.home}; give another python with --interpreter`)
  return {
    family: 'python',
    processName: `python${py.version}`,
    ran: `python ${py.full} (${py.bin}), awslambdaric ${ric.version}`,
    notes,
    // The interpreter's home at /var/lang; the client and the packages it needs in /var/runtime.
    binds: [[py.home, '/var/lang'], ...ric.files.map((f) => [f, `/var/runtime/${basename(f)}`] as const)],
    files: [['/var/runtime/bootstrap.py', readFileSync(join(packageRoot(), 'src/invoke/assets/bootstrap.py'))]],
    argv: (argv, _handler, path) => argv.map((a, i) => (i === 0 ? path(argv0) : /^\/(opt|var)\//.test(a) ? path(a) : a)),
  }
}
