// Java class files, read and written at build time so that the runner (runners/java/src/WrapgenAgents.java)
// opens no list and looks up no premain on a cold start: which premain the JVM would call in an agent's
// class, and the runner's class with the first agent's class named in place of its stand-in and the
// agent list in place of its own. Only the constant pool, the class's flags and its methods' names,
// descriptors and flags are read (JVMS §4.1, §4.4, §4.6). Pure.

/** The class the runner calls premain on until the build names the first agent's class there. */
export const JAVA_TARGET_STAND_IN = 'WrapgenAgentTarget'
/** The runner's string constant that the build replaces with agents.txt's text (WrapgenAgents.LIST). */
export const JAVA_LIST_STAND_IN = '\u0001'

const ACC_PUBLIC = 0x0001
const ACC_STATIC = 0x0008
const ACC_INTERFACE = 0x0200
const ACC_MODULE = 0x8000
const WITH_INST = '(Ljava/lang/String;Ljava/lang/instrument/Instrumentation;)V'
const PLAIN = '(Ljava/lang/String;)V'

/** Bytes after the tag of each constant pool entry kind but Utf8 (whose length is in it); Long and Double take two slots. */
const SIZE: Readonly<Record<number, number>> = { 3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2 }

interface Pool {
  /** Each slot's tag, offset of its tag and, for Utf8, its text (index 0 and Long/Double's second slot: undefined). */
  readonly entries: ReadonlyArray<{ readonly tag: number; readonly at: number; readonly text?: string } | undefined>
  /** Where the class's access flags start, after the pool. */
  readonly end: number
}

/** The constant pool of a class file; throws RangeError on bytes that are not one. */
function readPool(b: Uint8Array): Pool {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (view.getUint32(0) !== 0xcafebabe) throw new RangeError('not a class file')
  const count = view.getUint16(8)
  const entries: Array<Pool['entries'][number]> = [undefined]
  let at = 10
  while (entries.length < count) {
    const tag = view.getUint8(at)
    if (tag === 1) {
      const len = view.getUint16(at + 1)
      if (at + 3 + len > b.length) throw new RangeError('truncated constant pool')
      entries.push({ tag, at, text: decodeModifiedUtf8(b.subarray(at + 3, at + 3 + len)) })
      at += 3 + len
      continue
    }
    const size = SIZE[tag]
    if (size === undefined) throw new RangeError(`constant pool tag ${tag}`)
    entries.push({ tag, at })
    if (tag === 5 || tag === 6) entries.push(undefined)
    at += 1 + size
  }
  return { entries, end: at }
}

/**
 * Which premain the runner may call straight on the class in `bytes`, with the JVM choosing that same one:
 * 2 for premain(String, Instrumentation), 1 for premain(String); undefined when the runner must look
 * it up as the JVM does (an inherited premain, one that is not public and static, a class that is not
 * public, an interface), or when `bytes` is not a class file it can read.
 */
export function premainArgs(bytes: Uint8Array): 1 | 2 | undefined {
  try {
    const { entries, end } = readPool(bytes)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const flags = view.getUint16(end)
    if (!(flags & ACC_PUBLIC) || flags & (ACC_INTERFACE | ACC_MODULE)) return undefined
    let at = end + 6
    at += 2 + 2 * view.getUint16(at)
    const skipMembers = (withEach?: (flags: number, name?: string, descriptor?: string) => void): void => {
      const n = view.getUint16(at)
      at += 2
      for (let i = 0; i < n; i++) {
        withEach?.(view.getUint16(at), entries[view.getUint16(at + 2)]?.text, entries[view.getUint16(at + 4)]?.text)
        const attributes = view.getUint16(at + 6)
        at += 8
        for (let a = 0; a < attributes; a++) at += 6 + view.getUint32(at + 2)
      }
    }
    skipMembers()
    const premains = new Map<string, number>()
    skipMembers((f, name, descriptor) => {
      if (name === 'premain' && descriptor !== undefined) premains.set(descriptor, f)
    })
    // The JVM's order (java.instrument's loadClassAndStartAgent): the class's own (String,
    // Instrumentation) form, then its own (String) form, then inherited ones.
    const callable = (f: number): boolean => (f & (ACC_PUBLIC | ACC_STATIC)) === (ACC_PUBLIC | ACC_STATIC)
    const withInst = premains.get(WITH_INST)
    if (withInst !== undefined) return callable(withInst) ? 2 : undefined
    const plain = premains.get(PLAIN)
    return plain !== undefined && callable(plain) ? 1 : undefined
  } catch (e) {
    if (e instanceof RangeError) return undefined
    throw e
  }
}

/**
 * `bytes` (a class file) with the Utf8 constant `from` replaced by `to` where a `kind` entry points at it:
 * a Class entry (`from` and `to` class names in JVM internal form, a/b/C) or a String entry (a string
 * constant). Rewritten in place: entries are found by index, so a longer or shorter text moves nothing
 * else. Throws when `from` is not such a constant exactly once, or `to` does not fit one (64 KB).
 */
export function replaceConstant(bytes: Uint8Array, kind: 'class' | 'string', from: string, to: string): Uint8Array {
  const { entries } = readPool(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = kind === 'class' ? 7 : 8
  const named = new Set(entries.flatMap((e) => (e?.tag === tag ? [view.getUint16(e.at + 1)] : [])))
  const hits = entries.flatMap((e, i) => (e?.tag === 1 && e.text === from && named.has(i) ? [e] : []))
  if (hits.length !== 1) throw new Error(`class file: ${hits.length} ${kind} constants ${JSON.stringify(from)}`)
  const at = hits[0]!.at
  const encoded = encodeModifiedUtf8(to)
  if (encoded.length > 0xffff) throw new RangeError(`a class file constant holds at most 65535 bytes, not ${encoded.length}`)
  const old = view.getUint16(at + 1)
  const out = new Uint8Array(bytes.length - old + encoded.length)
  out.set(bytes.subarray(0, at + 1))
  out[at + 1] = encoded.length >> 8
  out[at + 2] = encoded.length & 0xff
  out.set(encoded, at + 3)
  out.set(bytes.subarray(at + 3 + old), at + 3 + encoded.length)
  return out
}

/** Text whose chars are the UTF-8 bytes of `s`, one each (what the runner copies into bytes with String.getBytes(int, int, byte[], int)). */
export const utf8AsChars = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')

/**
 * A class file's "modified UTF-8" (JVMS §4.4.7): UTF-8 of each UTF-16 unit, so a character outside the
 * BMP is its two surrogates, three bytes each, and U+0000 is two bytes. A JVM refuses the 4-byte form.
 */
export function encodeModifiedUtf8(s: string): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 1 && c < 0x80) out.push(c)
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f))
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
  }
  return Uint8Array.from(out)
}

/** The text of modified UTF-8 bytes (a malformed sequence reads as U+FFFD: only compared, never written back). */
export function decodeModifiedUtf8(b: Uint8Array): string {
  const units: number[] = []
  for (let i = 0; i < b.length; ) {
    const x = b[i]!
    if (x < 0x80) {
      units.push(x)
      i += 1
    } else if ((x & 0xe0) === 0xc0 && i + 1 < b.length) {
      units.push(((x & 0x1f) << 6) | (b[i + 1]! & 0x3f))
      i += 2
    } else if ((x & 0xf0) === 0xe0 && i + 2 < b.length) {
      units.push(((x & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f))
      i += 3
    } else {
      units.push(0xfffd)
      i += 1
    }
  }
  let text = ''
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.slice(i, i + 8192))
  return text
}
