// `wrapgen init`: writes a commented starter config.
import { lstatSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { validateConfig } from '../config/validate.js'
import { EXIT, UsageError, UserError } from '../errors.js'
import type { Command } from './context.js'

/** A single-quoted JS string, like every other string in the starter config. */
const quote = (s: string): string => `'${s.replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n')}'`

export function starterConfig(name: string): string {
  return `// wrapgen config: "npx wrapgen build" turns it into a Lambda layer (dist/layer.zip).
// Every key is optional except name; hover a key in your editor for its documentation.
import { defineConfig } from 'wrapgen'

export default defineConfig({
  // Names the layer zip and the manifest.
  name: ${quote(name)},

  // 'open': if the layer's own files are missing, run the function unchanged (one stderr line).
  // 'closed': refuse to start instead.
  failMode: 'open',

  // Environment edits for every runtime: set, default (only if unset), prepend/append (with the
  // variable's own separator, never twice), unset.
  env: {
    default: { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' },
  },

  node: {
    // Inserted just before the entry script, so they override the runtime's own flags.
    flags: ['--enable-source-maps'],
    // Startup hooks, bundled into one file loaded with --require: local files, packages,
    // or wrapgen's built-ins.
    preloads: [{ module: 'wrapgen/preloads/timing', options: {} }],
  },

  python: {
    // flags: ['-X', 'importtime'],
  },
})
`
}

/** Why `name` would fail the config's own check of `name` (the same rule, so init never writes a config that cannot build). */
export function nameProblem(name: string): string | undefined {
  return validateConfig({ name }, { knownRuntimes: [], nodeOptionsFlags: new Set() }).errors.find((e) => e.path === 'name')?.message
}

/** A valid layer name made from a folder's name. */
export function nameFromFolder(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64)
  return name && nameProblem(name) === undefined ? name : 'my-layer'
}

const command: Command = {
  summary: 'write a starter config',
  help: `Usage: wrapgen init [--cwd DIR] [--name NAME] [--force]

Writes wrapgen.config.ts with every section commented.

Options:
  --name NAME     the layer's name (default: the folder's name)
  --force         overwrite an existing wrapgen.config.ts
  --cwd DIR       write in DIR
`,
  options: { cwd: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, _p, ctx) {
    const file = join(ctx.cwd, 'wrapgen.config.ts')
    const shown = relative(process.cwd(), file) || file
    const st = lstatSync(file, { throwIfNoEntry: false })
    // A link (dangling or not) is never written through, --force or not: its target is not ours.
    if (st?.isSymbolicLink()) throw new UserError(`${shown}: is a symlink (to ${readlinkSync(file)}); init writes a file of its own, never through a link: remove the link, or run init elsewhere`)
    if (st && !st.isFile()) throw new UserError(`${shown}: exists and is not a file; move it away, or run init elsewhere`)
    if (st && !values.force) throw new UserError(`${shown}: already exists; pass --force to overwrite it`)
    const given = values.name as string | undefined
    const problem = given === undefined ? undefined : nameProblem(given)
    if (problem) throw new UsageError(`--name: ${problem}`)
    const name = given ?? nameFromFolder(basename(ctx.cwd))
    // Written beside it and renamed over: a link put there meanwhile is replaced, not followed.
    const temp = `${file}.${process.pid}.tmp`
    try {
      writeFileSync(temp, starterConfig(name), { flag: 'wx' })
      renameSync(temp, file)
    } catch (cause) {
      rmSync(temp, { force: true })
      throw new UserError(`${shown}: cannot write it: ${(cause as Error).message}`, { cause })
    }
    ctx.out(`wrote ${relative(ctx.cwd, file)}; edit it, then run: npx wrapgen build\n`)
    return EXIT.ok
  },
}
export default command
