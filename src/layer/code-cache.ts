// V8 code caches for the preload bundle (node.codeCache), made by the node running wrapgen.
import { spawn, spawnSync } from 'node:child_process'
import { MODULE_HEAD, MODULE_TAIL } from '../render/preload-loader.js'

export interface CodeCaches {
  /** process.versions.v8 and process.arch of the node that made them: only that node can accept them. */
  readonly v8: string
  readonly arch: string
  /** One per memory size ('' = node without Lambda's memory flags), in the order asked. */
  readonly caches: ReadonlyArray<{ readonly memory: string; readonly data: Uint8Array }>
}

/**
 * The V8 flags Lambda's node bootstrap passes for a memory size (docs: lambda-runtimes.md): they enter
 * V8's flag hash, so a cache must be made under the same values to be accepted.
 */
export function lambdaNodeFlags(memoryMB: number): string {
  return `--expose-gc --max-semi-space-size=${Math.floor(memoryMB / 20)} --max-old-space-size=${memoryMB - Math.floor(memoryMB / 10)}`
}

/**
 * Runs in a child node. Every function is compiled up front (--no-lazy while compiling), so the cache
 * holds the bytecode of all of them, not only the top level: nothing of the bundle is run to fill it.
 * The seeds are fixed on the child's command line, which makes the bytes the same on every build
 * with the same node; they, and --lazy, are set back to their defaults before each cache is
 * written, so that its flag hash is the one of a node started with just the flags of its memory size.
 */
const PRODUCER = `
const vm = require('node:vm'), v8 = require('node:v8')
const chunks = []
process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {
  const { source, sets } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  v8.setFlagsFromString('--no-lazy')
  // As the loader compiles it: a cached script keeps the import() handling it was made with.
  const importModuleDynamically = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  const script = new vm.Script(source, { filename: 'preload.bundle.cjs', importModuleDynamically })
  v8.setFlagsFromString('--lazy')
  v8.setFlagsFromString('--hash-seed=0')
  v8.setFlagsFromString('--random-seed=0')
  const out = sets.map((flags) => {
    if (flags) v8.setFlagsFromString(flags)
    return script.createCachedData().toString('base64')
  })
  process.stdout.write(JSON.stringify({ v8: process.versions.v8, arch: process.arch, caches: out }))
})
`

/** V8's own options in this node (`node --v8-options`): name (dashes) -> whether it takes a value. */
function v8Options(): Map<string, boolean> {
  const text = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8', env: {} }).stdout ?? ''
  const options = new Map<string, boolean>()
  for (const m of text.matchAll(/^ {2}--([\w-]+) .*\n\s+type: (\w+)/gm)) options.set(m[1]!.replace(/_/g, '-'), m[2] !== 'bool')
  return options
}

/**
 * The V8 flags among node.flags, as one string for v8.setFlagsFromString (`--name`, `--no-name`,
 * `--name=value`, or `--name` then its value): node passes them to V8, so they enter its flag hash.
 * Node's own options (`--enable-source-maps`) do not.
 */
export function v8FlagsOf(flags: readonly string[], options: ReadonlyMap<string, boolean>): string[] {
  const out: string[] = []
  for (let i = 0; i < flags.length; i++) {
    const m = /^--?(no-)?([\w-]+)(=.*)?$/.exec(flags[i]!)
    const name = m?.[2]?.replace(/_/g, '-')
    const takesValue = name === undefined ? undefined : options.get(name)
    if (takesValue === undefined) continue
    if (takesValue && m![3] === undefined && i + 1 < flags.length) out.push(`--${name}=${flags[++i]}`)
    else out.push(`--${m![1] ?? ''}${name}${m![3] ?? ''}`)
  }
  return out
}

/**
 * Caches for the bundle's code: for node without memory flags, then for each of `memoryMB`, each under
 * the V8 flags the function's node will have: the config's (`flags`), after Lambda's memory flags when
 * they are on the command line (they win there), before them in NODE_OPTIONS (where the command line wins).
 */
export async function makeCodeCaches(bundle: string, memoryMB: readonly number[], flags: readonly string[] = [], inject: 'argv' | 'NODE_OPTIONS' = 'argv'): Promise<CodeCaches> {
  const sizes = [...new Set(memoryMB)].sort((a, b) => a - b)
  const own = flags.length ? v8FlagsOf(flags, v8Options()).join(' ') : ''
  const withOwn = (memory: string): string => [inject === 'argv' ? memory : own, inject === 'argv' ? own : memory].filter(Boolean).join(' ')
  const sets = [own, ...sizes.map((mb) => withOwn(lambdaNodeFlags(mb)))]
  const input = JSON.stringify({ source: MODULE_HEAD + bundle + MODULE_TAIL, sets })
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--hash-seed=1', '--random-seed=1', '-e', PRODUCER], { stdio: ['pipe', 'pipe', 'pipe'], env: {} })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'))
      else reject(new Error(`making the V8 code cache failed (node exited ${code}): ${Buffer.concat(err).toString('utf8').trim().split('\n').pop() ?? ''}`))
    })
    child.stdin.end(input)
  })
  const made = JSON.parse(stdout) as { v8: string; arch: string; caches: string[] }
  return {
    v8: made.v8,
    arch: made.arch,
    caches: made.caches.map((b64, i) => ({ memory: i === 0 ? '' : String(sizes[i - 1]), data: new Uint8Array(Buffer.from(b64, 'base64')) })),
  }
}
