// Static checks of the external extensions a layer ships, for `wrapgen verify` (without running
// them): each file in /opt/extensions must be executable, must be a program the kernel can start
// (an ELF binary, or a #! line without a CR), its #! interpreter must exist on every target runtime
// (`#!/usr/bin/env node` does not run on python runtimes), and no other layer given with
// --with-layer may replace it or push the count past Lambda's 10.
import { accessSync, constants, existsSync, lstatSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { loadCatalogue } from '../runtimes/catalogue.js'
import { MAX_EXTENSIONS } from '../layer-tree/extensions.js'
import { layerFiles } from '../layer-tree/folders.js'

export type ExtensionCheck = 'exec-bit' | 'format' | 'interpreter' | 'name-clash' | 'count' | 'layout'

export interface ExtensionFinding {
  /** The extension's file name ('' for findings about the folder). */
  readonly extension: string
  readonly check: ExtensionCheck
  readonly status: 'ok' | 'fail' | 'warn'
  /** Set for interpreter findings: the runtime it is about. */
  readonly runtime?: string
  readonly message: string
}

export interface ExtensionCheckInput {
  /** The layer's /opt tree (wrapgen build's out/layer). */
  readonly layerDir: string
  /** Runtime ids the layer targets (the config's `runtimes`). */
  readonly runtimes: readonly string[]
  /** Other layers' /opt trees the function also has (verify's --with-layer), in order. */
  readonly withLayers?: readonly string[]
}

/** Interpreters every Lambda image has (Amazon Linux 2 and 2023, base and OS-only). */
const EVERYWHERE = new Set(['/bin/sh', '/bin/bash', '/usr/bin/sh', '/usr/bin/bash', '/usr/bin/env'])

/** What a runtime puts in /var/lang/bin (on PATH first): the interpreters an extension may name. */
function runtimeInterpreters(id: string, family: string): string[] {
  switch (family) {
    case 'node': return ['node']
    case 'python': {
      const minor = /^python(\d+\.\d+)$/.exec(id)?.[1]
      return ['python', 'python3', ...(minor ? [`python${minor}`] : [])]
    }
    case 'ruby': return ['ruby']
    case 'java': return ['java']
    case 'dotnet': return ['dotnet']
    default: return []
  }
}

/** The first bytes of a file: enough for an ELF header or a #! line. */
function head(path: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(256)
    const n = readSync(fd, buf, 0, buf.length, 0)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

type Program = { kind: 'elf'; arch: string } | { kind: 'script'; interpreter: string; arg: string | undefined; crlf: boolean } | { kind: 'unknown' }

const ELF_MACHINES: Record<number, string> = { 62: 'x86_64', 183: 'arm64' }

export function programKind(bytes: Buffer): Program {
  if (bytes.length >= 20 && bytes.readUInt32BE(0) === 0x7f454c46) {
    const machine = bytes[5] === 2 ? bytes.readUInt16BE(18) : bytes.readUInt16LE(18)
    return { kind: 'elf', arch: ELF_MACHINES[machine] ?? `machine ${machine}` }
  }
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    const end = bytes.indexOf(0x0a)
    const line = bytes.subarray(2, end < 0 ? bytes.length : end).toString('utf8')
    const crlf = line.endsWith('\r')
    const [interpreter = '', arg] = line.replace(/\r$/, '').trim().split(/[ \t]+/)
    return { kind: 'script', interpreter, arg, crlf }
  }
  return { kind: 'unknown' }
}

/** Whether `name` would be found on a runtime's PATH (/var/lang/bin, the OS, the layers' /opt/bin). */
function onPath(name: string, runtime: string, family: string, optBins: ReadonlySet<string>): boolean | undefined {
  if (runtimeInterpreters(runtime, family).includes(name)) return true
  if (optBins.has(name)) return true
  if (['sh', 'bash', 'env'].includes(name)) return true
  // Lambda's images carry these only as the runtime itself (a system python3 may exist on OS images).
  if (['node', 'ruby', 'java', 'dotnet'].includes(name)) return false
  // Anything else is up to the OS image (perl on AL2, say), which is not known here.
  return undefined
}

export function checkExtensions(input: ExtensionCheckInput): ExtensionFinding[] {
  const out: ExtensionFinding[] = []
  const trees = [input.layerDir, ...(input.withLayers ?? [])]
  const extDir = join(input.layerDir, 'extensions')
  if (!existsSync(extDir)) return out
  const catalogue = loadCatalogue().runtimes
  // /opt/bin of every layer is on PATH.
  const optBins = new Set(trees.flatMap((t) => (existsSync(join(t, 'bin')) ? readdirSync(join(t, 'bin')) : [])))
  const optFile = (p: string): boolean => trees.some((t) => existsSync(join(t, p.replace(/^\/opt\//, ''))))

  for (const name of readdirSync(extDir).sort()) {
    const file = join(extDir, name)
    if (lstatSync(file).isDirectory()) {
      out.push({ extension: name, check: 'layout', status: 'warn', message: `/opt/extensions/${name} is a folder: Lambda starts only the files directly in /opt/extensions` })
      continue
    }
    if (!statSync(file).isFile()) {
      out.push({ extension: name, check: 'layout', status: 'fail', message: `/opt/extensions/${name} is not a regular file (a broken symlink?)` })
      continue
    }
    try {
      accessSync(file, constants.X_OK)
      out.push({ extension: name, check: 'exec-bit', status: 'ok', message: 'executable' })
    } catch {
      out.push({ extension: name, check: 'exec-bit', status: 'fail', message: `/opt/extensions/${name} has no exec bit: Lambda fails init with Extension.LaunchError (permission denied); chmod 755 it before zipping` })
    }
    const prog = programKind(head(file))
    if (prog.kind === 'unknown') {
      out.push({ extension: name, check: 'format', status: 'fail', message: 'neither an ELF binary nor a script with a #! line: exec fails (exec format error)' })
      continue
    }
    if (prog.kind === 'elf') {
      out.push({ extension: name, check: 'format', status: 'ok', message: `ELF binary (${prog.arch}); it must match the function's architecture` })
      continue
    }
    if (prog.crlf) {
      out.push({ extension: name, check: 'format', status: 'fail', message: `its #! line ends in CR (Windows line endings): the kernel looks for "${prog.interpreter}\\r", which does not exist (Extension.LaunchError: no such file or directory)` })
      continue
    }
    out.push({ extension: name, check: 'format', status: 'ok', message: `script for ${[prog.interpreter, prog.arg].filter(Boolean).join(' ')}` })
    for (const runtime of input.runtimes) {
      const family = catalogue.find((r) => r.id === runtime)?.family ?? 'none'
      const { interpreter, arg } = prog
      let found: boolean | undefined
      let what = interpreter
      if (interpreter === '/usr/bin/env') {
        what = arg ?? ''
        found = arg === undefined ? false : onPath(arg, runtime, family, optBins)
      } else if (EVERYWHERE.has(interpreter)) found = true
      else if (interpreter.startsWith('/opt/')) found = optFile(interpreter)
      else if (interpreter.startsWith('/var/lang/bin/')) found = runtimeInterpreters(runtime, family).includes(interpreter.slice('/var/lang/bin/'.length))
      else found = undefined
      const status = found === true ? 'ok' : found === false ? 'fail' : 'warn'
      const message = found === true ? `${what} exists on ${runtime}`
        : found === false ? `${what || '(nothing after /usr/bin/env)'} does not exist on ${runtime}: the extension cannot start there (Extension.LaunchError); bundle a binary, ship the interpreter in the layer (/opt/bin), or drop ${runtime} from runtimes`
        : `cannot tell whether ${what} exists on ${runtime}'s image; check it with the runtime's base image`
      out.push({ extension: name, check: 'interpreter', status, runtime, message })
    }
  }

  // Other layers: the same /opt/extensions/<name> replaces (or is replaced by) ours; too many in all.
  const ours = new Set(readdirSync(extDir))
  let count = [...ours].filter((n) => statSync(join(extDir, n)).isFile()).length
  for (const tree of input.withLayers ?? []) {
    const theirs = layerFiles(tree).filter((f) => /^extensions\/[^/]+$/.test(f)).map((f) => f.slice('extensions/'.length))
    count += theirs.filter((n) => !ours.has(n)).length
    for (const n of theirs) {
      if (ours.has(n)) out.push({ extension: n, check: 'name-clash', status: 'fail', message: `${tree} also has /opt/extensions/${n}: whichever layer comes later replaces the other's; rename one` })
    }
  }
  if (count > MAX_EXTENSIONS) out.push({ extension: '', check: 'count', status: 'fail', message: `${count} extensions with the other layers: Lambda starts at most ${MAX_EXTENSIONS}` })
  return out
}

/** Whether any finding is a failure (warnings do not fail). */
export const extensionChecksFailed = (findings: readonly ExtensionFinding[]): boolean => findings.some((f) => f.status === 'fail')

/** The findings as text, one per line, failures and warnings first (ok lines only with `all`). */
export function renderExtensionFindings(findings: readonly ExtensionFinding[], opts: { all?: boolean } = {}): string {
  const order = { fail: 0, warn: 1, ok: 2 } as const
  const shown = findings.filter((f) => opts.all || f.status !== 'ok').sort((a, b) => order[a.status] - order[b.status])
  if (shown.length === 0) return findings.length === 0 ? '' : `extensions: ${new Set(findings.map((f) => f.extension)).size} checked, all ok\n`
  return shown.map((f) => `extensions: ${f.status.padEnd(4)} ${f.check.padEnd(11)} ${f.extension || '(all)'}${f.runtime ? ` on ${f.runtime}` : ''}: ${f.message}`).join('\n') + '\n'
}
