// A deterministic zip: entries sorted, one fixed timestamp, unix modes kept (the wrapper's exec bit).
import type yauzl from 'yauzl'
import yazl from 'yazl'
import { sortFiles, type LayerFile } from './files.js'

/** 1980-01-01 00:00 local time: DOS timestamps have no zone, and yazl reads local fields. */
export const EPOCH = new Date(1980, 0, 1, 0, 0, 0)

/** `compress: false` stores the entries as they are (a reader then needs no inflater). */
export function zipLayer(files: readonly LayerFile[], comment: string, { compress = true }: { readonly compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const f of sortFiles(files)) {
    zip.addBuffer(Buffer.from(f.contents), f.path, { mtime: EPOCH, mode: 0o100000 | f.mode, forceDosTimestamp: true, compress })
  }
  return finishZip(zip, comment)
}

/** Ends a yazl zip with `comment` and collects it in memory (shared with compose's writer). */
export function finishZip(zip: yazl.ZipFile, comment: string): Promise<Buffer> {
  zip.end({ comment, forceZip64Format: false })
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

/** The entries of a zip opened with yauzl's lazyEntries, one at a time (read, checked, or streamed by the caller). */
export async function* zipEntries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      zip.once('entry', resolve)
      zip.once('end', () => resolve(undefined))
      zip.once('error', reject)
      zip.readEntry()
    })
    zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error')
    if (!entry) return
    yield entry
  }
}
