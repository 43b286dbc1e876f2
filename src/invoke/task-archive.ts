// `--task fn.zip` or `--task fn.jar`: a deployment package, unpacked into a temp folder as Lambda
// unpacks it into /var/task (a Java function's jar holds its classes at the top and its jars in lib/).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import yauzl from 'yauzl'
import { makeTemp, removeTemp } from '../cleanup.js'
import { UserError } from '../errors.js'
import { zipEntries } from '../layer/zip.js'

export const isTaskArchive = (path: string): boolean => /\.(zip|jar)$/i.test(path)

/** The folder the package unpacks to, and how to remove it. */
export async function unpackTask(file: string): Promise<{ dir: string; remove: () => void }> {
  const dir = makeTemp('invoke-task')
  try {
    // yauzl refuses absolute names, `..` and backslashes (zip-slip) while decoding entry names.
    const zip = await yauzl.openPromise(file, { lazyEntries: true, strictFileNames: true })
    try {
      for await (const entry of zipEntries(zip)) {
        const at = join(dir, entry.fileName)
        if (entry.fileName.endsWith('/')) {
          mkdirSync(at, { recursive: true })
          continue
        }
        mkdirSync(dirname(at), { recursive: true })
        const chunks: Buffer[] = []
        for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer)
        writeFileSync(at, Buffer.concat(chunks))
        // Unix modes when the zip has them (an executable bootstrap), else read-only files as on Lambda.
        const mode = entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & 0o777 : 0
        chmodSync(at, mode & 0o111 ? 0o755 : 0o644)
      }
    } finally {
      zip.close()
    }
  } catch (cause) {
    removeTemp(dir)
    throw new UserError(`--task ${file}: cannot unpack it as a deployment package (${(cause as Error).message}); give the function's folder or a .zip/.jar`, { cause })
  }
  return { dir, remove: () => removeTemp(dir) }
}
