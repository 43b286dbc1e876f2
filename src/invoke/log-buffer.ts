// What invoke keeps of a process's output: the function and every extension may write without end (a
// loop, a vendor's debug logging), and what wrapgen holds and prints must stay bounded. The start and
// the end are kept (the error that ends a run is usually last), the middle is counted.

/** Bytes kept per stream: half from the start, half from the end. */
export const MAX_LOG_BYTES = 1024 * 1024

export interface LogBuffer {
  add(chunk: Buffer): void
  /** The text kept, with one line saying how much was left out in the middle. */
  text(): string
}

export function logBuffer(max = MAX_LOG_BYTES): LogBuffer {
  const half = Math.floor(max / 2)
  const head: Buffer[] = []
  let headBytes = 0
  let tail: Buffer[] = []
  let tailBytes = 0
  let dropped = 0
  return {
    add(chunk) {
      if (headBytes < half) {
        const take = chunk.subarray(0, half - headBytes)
        head.push(take)
        headBytes += take.length
        chunk = chunk.subarray(take.length)
      }
      if (!chunk.length) return
      tail.push(chunk)
      tailBytes += chunk.length
      // Keep the last `half` bytes: drop whole chunks, then trim the first one left.
      while (tailBytes - tail[0]!.length >= half) {
        dropped += tail[0]!.length
        tailBytes -= tail[0]!.length
        tail = tail.slice(1)
      }
      if (tailBytes > half) {
        const cut = tailBytes - half
        dropped += cut
        tail[0] = tail[0]!.subarray(cut)
        tailBytes = half
      }
    },
    text() {
      const h = Buffer.concat(head).toString('utf8')
      const t = Buffer.concat(tail).toString('utf8')
      return dropped ? `${h}${h.endsWith('\n') ? '' : '\n'}[... ${dropped} bytes of output left out ...]\n${t}` : h + t
    },
  }
}
