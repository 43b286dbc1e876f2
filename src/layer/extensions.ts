// The layer files `extensions` and `customRuntime` add: each extension at extensions/<name> (0755),
// a Node entry bundled by esbuild into one self-contained CommonJS file with a `#!/usr/bin/env node`
// line, the extensions' own files, and the /opt/bootstrap shim for custom runtimes.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Message } from 'esbuild'
import type { ResolvedConfig, ResolvedExtension } from '../config/types.js'
import { UserError } from '../errors.js'
import type { LayerFile } from './files.js'
import { nodeTarget } from './bundle.js'
import { packageRoot } from '../package-root.js'
import { commentText, q } from '../render/shell.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function readProjectFile(path: string, key: string, what: string): Uint8Array {
  let st
  try {
    st = statSync(path)
  } catch {
    throw new UserError(`${key}: ${path} does not exist; give the ${what} (relative to the config's folder)`)
  }
  if (!st.isFile()) throw new UserError(`${key}: ${path} is not a file; give the ${what}`)
  return readFileSync(path)
}

/** One self-contained file from a Node entry: dependencies bundled, the AWS SDK v3 too (an extension has no runtime's SDK). */
export async function bundleExtension(ext: ResolvedExtension, config: ResolvedConfig): Promise<Uint8Array> {
  const { build } = await import('esbuild')
  readProjectFile(ext.source, `extensions.${ext.name}.entry`, 'Node entry of the extension')
  try {
    const result = await build({
      entryPoints: [ext.source],
      absWorkingDir: config.root,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: nodeTarget(config.runtimes),
      banner: { js: '#!/usr/bin/env node' },
      logLevel: 'silent',
      legalComments: 'inline',
    })
    return result.outputFiles[0]!.contents
  } catch (cause) {
    const errors = (cause as { errors?: Message[] }).errors ?? []
    throw new UserError(`extensions.${ext.name}.entry: cannot bundle ${ext.source}; fix and run again`, {
      details: errors.length ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`) : [String(cause)],
      cause,
    })
  }
}

/**
 * The /opt/bootstrap shim, filled in: the program quoted as one shell word where it is code, escaped
 * onto one line where a comment names it. Filled in one pass, so a value holding "{{x}}" stays as is.
 */
export function renderBootstrapShim(config: ResolvedConfig, version: string): string {
  const template = readFileSync(join(packageRoot(), 'wrappers/provided-bootstrap.sh'), 'utf8')
  const command = config.customRuntime.command
  const fill: Record<string, string> = { version: commentText(version), name: commentText(config.name), command: q(command), commandNote: commentText(command) }
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
    const v = fill[k]
    if (v === undefined) throw new Error(`wrappers/provided-bootstrap.sh: unknown placeholder ${m}`)
    return v
  })
}

export async function extensionLayerFiles(config: ResolvedConfig, version: string): Promise<LayerFile[]> {
  const files: LayerFile[] = []
  for (const ext of config.extensions) {
    const contents = ext.kind === 'entry' ? await bundleExtension(ext, config) : readProjectFile(ext.source, `extensions.${ext.name}`, 'executable file of the extension')
    files.push({ path: `extensions/${ext.name}`, mode: 0o755, contents })
    for (const f of ext.files) {
      const st = statSync(f.source, { throwIfNoEntry: false })
      files.push({ path: f.path, mode: st && st.mode & 0o111 ? 0o755 : 0o644, contents: readProjectFile(f.source, `extensions.${ext.name}.files.${f.path}`, 'file') })
    }
  }
  if (config.customRuntime.bootstrap) files.push({ path: 'bootstrap', mode: 0o755, contents: text(renderBootstrapShim(config, version)) })
  const seen = new Set<string>()
  for (const f of files) {
    if (seen.has(f.path)) throw new UserError(`extensions: two files would be /opt/${f.path}; give each extension's files their own paths`)
    seen.add(f.path)
  }
  return files
}
