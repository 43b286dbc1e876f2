// What a Java agent jar and a .NET startup hook assembly must be, checked at build time: a text file (or
// a jar without Premain-Class, a native DLL, an assembly without the hook type) built and verified
// PASS, and failed only on a cold start. Read from the bytes alone: a jar is a zip whose manifest names
// a Premain-Class it holds (that name and its Boot-Class-Path go into agents.txt, so that the runner
// agent reads no manifest on a cold start); a startup hook is a PE file with a CLI header whose
// metadata defines a type StartupHook in no namespace with a static, parameterless `void Initialize()`
// (what .NET requires of an entry in DOTNET_STARTUP_HOOKS). Pure but for yauzl's in-memory zip reading.
import yauzl from 'yauzl'
import { zipEntries } from '../layer/zip.js'
import { premainArgs as javaPremainArgs } from './java-class.js'

/** What the JVM reads from an agent jar's manifest for -javaagent: (the runner agent gets it from agents.txt). */
export interface AgentManifest {
  readonly premainClass: string
  /** Space-separated jars, relative to the agent jar's folder; '' when the manifest has none. */
  readonly bootClassPath: string
  /**
   * The premain the runner may call straight (java-class.ts's premainArgs), read from the class file the
   * JVM will load: undefined when it must look it up, or when a multi-release jar may give the JVM
   * another version of that class.
   */
  readonly premainArgs?: 1 | 2
}

/** Why `bytes` is not a Java agent jar, or undefined. */
export async function agentJarProblem(bytes: Uint8Array): Promise<string | undefined> {
  const m = await agentManifest(bytes)
  return typeof m === 'string' ? m : undefined
}

/** A Java agent jar's Premain-Class and Boot-Class-Path, or why `bytes` is not one. */
export async function agentManifest(bytes: Uint8Array): Promise<AgentManifest | string> {
  let zip: yauzl.ZipFile
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(bytes), { strictFileNames: false })
  } catch {
    return 'is not a jar (not a zip archive)'
  }
  const entries = new Map<string, yauzl.Entry>()
  const read = async (entry: yauzl.Entry): Promise<Buffer> => {
    const chunks: Buffer[] = []
    for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }
  let manifest: string | undefined
  let premainClass: string | undefined
  let premainClassBytes: Buffer | undefined
  try {
    for await (const entry of zipEntries(zip)) {
      entries.set(entry.fileName, entry)
      if (entry.fileName.toUpperCase() === 'META-INF/MANIFEST.MF' && entry.uncompressedSize < 1024 * 1024) manifest = (await read(entry)).toString('utf8')
    }
    premainClass = manifest === undefined ? undefined : manifestAttribute(manifest, 'Premain-Class')
    const classEntry = premainClass ? entries.get(classFile(premainClass)) : undefined
    if (classEntry && classEntry.uncompressedSize < 16 * 1024 * 1024) premainClassBytes = await read(classEntry)
  } catch (e) {
    return `is not a readable jar (${(e as Error).message})`
  } finally {
    zip.close()
  }
  if (manifest === undefined) return 'has no META-INF/MANIFEST.MF, so it names no Premain-Class: not a Java agent'
  if (!premainClass) return 'has no Premain-Class in its manifest: not a Java agent (the JVM would refuse -javaagent with it)'
  if (!entries.has(classFile(premainClass))) return `names Premain-Class ${premainClass}, which it does not hold (${classFile(premainClass)})`
  const bootClassPath = (manifestAttribute(manifest, 'Boot-Class-Path') ?? '').split(/[ \t]+/).filter(Boolean).join(' ')
  // A multi-release jar may hold the class again under META-INF/versions/N/, which a newer JVM loads instead.
  const versioned = /^true$/i.test(manifestAttribute(manifest, 'Multi-Release') ?? '') && [...entries.keys()].some((n) => n.startsWith('META-INF/versions/') && n.endsWith(`/${classFile(premainClass!)}`))
  const premainArgs = premainClassBytes && !versioned ? javaPremainArgs(premainClassBytes) : undefined
  return premainArgs ? { premainClass, bootClassPath, premainArgs } : { premainClass, bootClassPath }
}

/** A class's file in a jar (a.b.C: a/b/C.class). */
const classFile = (className: string): string => `${className.replace(/\./g, '/')}.class`

/**
 * A manifest as java.util.jar.Manifest reads it: lines end with CR LF, LF or CR; a line starting with a
 * space continues the one before (jar wraps at 72 bytes); the main section ends at the first empty line.
 * `main`: its lines, continuations joined; `rest`: the entries' sections after it, lines as they were.
 */
export function manifestSections(manifest: string): { readonly main: string[]; readonly rest: string[] } {
  const lines = manifest.split(/\r\n|\r|\n/)
  const end = lines.indexOf('')
  const main = (end < 0 ? lines : lines.slice(0, end)).join('\n').replace(/\n /g, '').split('\n')
  return { main, rest: end < 0 ? [] : lines.slice(end + 1) }
}

/**
 * A main-section attribute of a manifest (names are case-insensitive), its value trimmed, as the JVM
 * trims Premain-Class; undefined when absent.
 */
export function manifestAttribute(manifest: string, name: string): string | undefined {
  const lower = `${name.toLowerCase()}:`
  const line = manifestSections(manifest).main.find((l) => l.toLowerCase().startsWith(lower))
  return line === undefined ? undefined : line.slice(lower.length).trim()
}

/** Why `bytes` is not a .NET startup hook assembly, or undefined. */
export function startupHookProblem(bytes: Uint8Array): string | undefined {
  try {
    return hookProblem(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch {
    // Offsets that point outside the file: a truncated or corrupt image.
    return 'is not a readable .NET assembly (its headers point outside the file)'
  }
}

function hookProblem(b: Buffer): string | undefined {
  if (b.length < 0x40 || b.toString('latin1', 0, 2) !== 'MZ') return 'is not a .NET assembly (not a PE file: no MZ header)'
  const pe = b.readUInt32LE(0x3c)
  if (b.toString('latin1', pe, pe + 4) !== 'PE\0\0') return 'is not a .NET assembly (not a PE file)'
  const sections = b.readUInt16LE(pe + 6)
  const optSize = b.readUInt16LE(pe + 20)
  const opt = pe + 24
  const magic = b.readUInt16LE(opt)
  const dirs = opt + (magic === 0x20b ? 112 : 96)
  const dirCount = b.readUInt32LE(opt + (magic === 0x20b ? 108 : 92))
  if (dirCount < 15 || b.readUInt32LE(dirs + 14 * 8) === 0) return 'is a native DLL, not a .NET (managed) assembly: it has no CLI header'
  const sectionTable = opt + optSize
  const at = (rva: number): number => {
    for (let i = 0; i < sections; i++) {
      const s = sectionTable + i * 40
      const va = b.readUInt32LE(s + 12)
      const size = Math.max(b.readUInt32LE(s + 8), b.readUInt32LE(s + 16))
      if (rva >= va && rva < va + size) return rva - va + b.readUInt32LE(s + 20)
    }
    throw new RangeError('rva outside the sections')
  }
  const cli = at(b.readUInt32LE(dirs + 14 * 8))
  const meta = at(b.readUInt32LE(cli + 8))
  if (b.readUInt32LE(meta) !== 0x424a5342) return 'is not a readable .NET assembly (no metadata)'
  const versionLength = b.readUInt32LE(meta + 12)
  let p = meta + 16 + versionLength + 2
  const streamCount = b.readUInt16LE(p)
  p += 2
  const streams = new Map<string, number>()
  for (let i = 0; i < streamCount; i++) {
    const offset = b.readUInt32LE(p)
    let end = p + 8
    while (b[end] !== 0) end++
    streams.set(b.toString('latin1', p + 8, end), meta + offset)
    p = (end + 4) & ~3
  }
  const tables = streams.get('#~') ?? streams.get('#-')
  const strings = streams.get('#Strings')
  const blobs = streams.get('#Blob')
  if (tables === undefined || strings === undefined || blobs === undefined) return 'is not a readable .NET assembly (no metadata tables)'
  const heaps = b[tables + 6]!
  const valid = b.readBigUInt64LE(tables + 8)
  const rows: number[] = []
  let q = tables + 24
  for (let t = 0; t < 64; t++) {
    if (valid & (1n << BigInt(t))) {
      rows[t] = b.readUInt32LE(q)
      q += 4
    } else rows[t] = 0
  }
  const str = heaps & 1 ? 4 : 2
  const guid = heaps & 2 ? 4 : 2
  const blob = heaps & 4 ? 4 : 2
  const index = (t: number): number => (rows[t]! < 0x10000 ? 2 : 4)
  const coded = (bits: number, ts: readonly number[]): number => (Math.max(...ts.map((t) => rows[t]!)) < 1 << (16 - bits) ? 2 : 4)
  const typeDefOrRef = coded(2, [0x02, 0x01, 0x1b])
  const resolutionScope = coded(2, [0x00, 0x1a, 0x23, 0x01])
  const size: Record<number, number> = {
    0x00: 2 + str + guid * 3,
    0x01: resolutionScope + str * 2,
    0x02: 4 + str * 2 + typeDefOrRef + index(0x04) + index(0x06),
    0x03: index(0x04),
    0x04: 2 + str + blob,
    0x05: index(0x06),
    0x06: 8 + str + blob + index(0x08),
  }
  const start = (t: number): number => {
    let o = q
    for (let u = 0; u < t; u++) o += rows[u]! * size[u]!
    return o
  }
  const read = (o: number, n: number): number => (n === 2 ? b.readUInt16LE(o) : b.readUInt32LE(o))
  const name = (i: number): string => {
    let e = strings + i
    while (b[e] !== 0) e++
    return b.toString('utf8', strings + i, e)
  }
  const typeDefs = start(0x02)
  const methodDefs = start(0x06)
  const methodList = (row: number): number => read(typeDefs + row * size[0x02]! + 4 + str * 2 + typeDefOrRef + index(0x04), index(0x06))
  for (let r = 0; r < rows[0x02]!; r++) {
    const o = typeDefs + r * size[0x02]!
    if (name(read(o + 4, str)) !== 'StartupHook' || name(read(o + 4 + str, str)) !== '') continue
    const first = methodList(r)
    const end = r + 1 < rows[0x02]! ? methodList(r + 1) : rows[0x06]! + 1
    for (let m = first; m < end; m++) {
      const mo = methodDefs + (m - 1) * size[0x06]!
      if (name(read(mo + 8, str)) !== 'Initialize') continue
      const flags = b.readUInt16LE(mo + 6)
      // The signature blob: a length byte, then calling convention, parameter count, return type.
      const sig = blobs + read(mo + 8 + str, blob)
      const [len, conv, params, ret] = [b[sig]!, b[sig + 1]!, b[sig + 2]!, b[sig + 3]!]
      if ((flags & 0x0010) !== 0 && len >= 3 && (conv & 0x20) === 0 && params === 0 && ret === 0x01) return undefined
      return 'has a StartupHook type whose Initialize is not "static void Initialize()" (no parameters): .NET would refuse it'
    }
    return 'has a StartupHook type without an Initialize method: .NET would refuse it as a startup hook'
  }
  return 'defines no type StartupHook in no namespace: not a .NET startup hook (DOTNET_STARTUP_HOOKS would fail to start it)'
}
