// The Java runner hosted in the first agent's jar: the layer's copy of that jar with the runner's classes
// added and WrapgenAgents as its Premain-Class, attached by the wrapper in place of the runner's own jar.
// The JVM then opens one jar, not two, puts it on the class path (and its Boot-Class-Path on the boot
// one) itself, and the runner loads that agent's class from it: 1.6 M fewer instructions at start
// under -Xint than the runner's jar plus the agent's (docs/hooks.md). The agent's classes keep the
// layer's copy of its jar as their code source, so an agent that finds its own jar still does.
// Not for a signed jar (a changed manifest breaks its signature) nor one that has classes of the
// runner's names: the runner's own jar then, as before. Pure but for yauzl's in-memory zip reading.
import yauzl from 'yauzl'
import yazl from 'yazl'
import { EPOCH, finishZip, zipEntries } from '../layer/zip.js'
import { manifestSections } from './binary-check.js'
import { JAVA_RUNNER_CLASS, JAVA_RUNNER_CLASSES, JAVA_RUNNER_GRANTS } from './java.js'

const MANIFEST = 'META-INF/MANIFEST.MF'
/** What makes a jar signed, as java.util.jar.JarFile looks for it. */
const SIGNATURE = /^META-INF\/([^/]+\.(SF|RSA|DSA|EC)|SIG-[^/]*)$/i

/**
 * A manifest with `set` applied to its main section (an attribute replaced where it is, by name as
 * java.util.jar.Manifest compares names, or added at its end), lines wrapped at 72 bytes as the jar tool
 * does; the entries' sections after it kept line for line.
 */
export function rewriteManifest(manifest: string, set: ReadonlyArray<readonly [string, string]>): string {
  const { main: lines, rest } = manifestSections(manifest)
  const todo = new Map(set.map(([k, v]) => [k.toLowerCase(), `${k}: ${v}`]))
  const out = lines.map((l) => {
    const name = l.slice(0, l.indexOf(':')).toLowerCase()
    const line = todo.get(name)
    todo.delete(name)
    return line ?? l
  })
  out.push(...todo.values())
  return `${out.map(wrap).join('\r\n')}\r\n\r\n${rest.join('\r\n')}`
}

/** A manifest line cut into 72-byte lines (continuations start with a space), never inside a UTF-8 sequence. */
function wrap(line: string): string {
  const parts: string[] = []
  let part = ''
  let limit = 72
  for (const ch of line) {
    if (Buffer.byteLength(part + ch) > limit) {
      parts.push(part)
      part = ''
      limit = 71
    }
    part += ch
  }
  parts.push(part)
  return parts.join('\r\n ')
}

/**
 * The first agent's jar with the runner in it, its entries stored (a stored jar needs no inflater on a
 * cold start: 0.6 M instructions fewer than the same jar deflated, at the cost of its unpacked size in
 * the layer), in the jar's order with the manifest first; or why the runner cannot be hosted in it.
 * `runner`: the runner's classes for a hosted runner (asked only once the jar is known to take them).
 */
export async function hostedRunnerJar(agent: Uint8Array, runner: () => ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>): Promise<Uint8Array | string> {
  const zip = await yauzl.fromBufferPromise(Buffer.from(agent), { strictFileNames: false, lazyEntries: true })
  const entries: Array<{ readonly name: string; readonly bytes?: Buffer }> = []
  let manifest: string | undefined
  const taken = new Set(JAVA_RUNNER_CLASSES.map((c) => `${c}.class`))
  try {
    for await (const entry of zipEntries(zip)) {
      const name = entry.fileName
      if (SIGNATURE.test(name)) return `it is signed (${name})`
      if (taken.has(name.replace(/^META-INF\/versions\/\d+\//, ''))) return `it has a class of the runner's name (${name})`
      if (name.endsWith('/')) {
        entries.push({ name })
        continue
      }
      const chunks: Buffer[] = []
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer)
      if (name.toUpperCase() === MANIFEST) manifest = Buffer.concat(chunks).toString('utf8')
      else entries.push({ name, bytes: Buffer.concat(chunks) })
    }
  } finally {
    zip.close()
  }
  if (manifest === undefined) return 'it has no manifest'
  const out = new yazl.ZipFile()
  const opts = { mtime: EPOCH, forceDosTimestamp: true }
  const mf = rewriteManifest(manifest, [['Premain-Class', JAVA_RUNNER_CLASS], ...JAVA_RUNNER_GRANTS])
  if (entries.some((e) => e.name === 'META-INF/')) out.addEmptyDirectory('META-INF/', { ...opts, mode: 0o40755 })
  out.addBuffer(Buffer.from(mf), MANIFEST, { ...opts, mode: 0o100644, compress: false })
  for (const e of entries) {
    if (e.name === 'META-INF/') continue
    if (e.bytes) out.addBuffer(e.bytes, e.name, { ...opts, mode: 0o100644, compress: false })
    else out.addEmptyDirectory(e.name, { ...opts, mode: 0o40755 })
  }
  for (const r of runner()) out.addBuffer(Buffer.from(r.bytes), r.name, { ...opts, mode: 0o100644, compress: false })
  return new Uint8Array(await finishZip(out, ''))
}
