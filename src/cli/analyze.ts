// `wrapgen build --analyze`, the edge: measures each node bundle of a built layer by loading it with the
// real node, in the sandbox (the hooks are code wrapgen did not write), and reports bytes and
// milliseconds per package (layer/analyze.ts) and each preload hook against its budgetMs.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { BuildResult } from '../build.js'
import { PRELOAD_BUNDLE_FILE, PRELOAD_FILE, PRELOAD_RARE_FILE } from '../plan/types.js'
import { bundleImports } from '../startup-hooks/node-imports.js'
import { packageBytes, packageMs, median, timedBundle, type BundleReport, type HookMeasure } from '../layer/analyze.js'
import { bwrapArgs, sandboxAvailable } from '../sandbox/index.js'
import { scaled } from '../limits/time-limit.js'

const INSIDE = '/var/task'
const MARK = 'globalThis[Symbol.for("wrapgen.analyze.t0")] = process.hrtime.bigint()\n'
// Run as the program (-e), after every --require and --import: what the loads took, and each preload
// hook's own timing as the runner recorded it.
const REPORT = 'const t = Number(process.hrtime.bigint() - globalThis[Symbol.for("wrapgen.analyze.t0")]) / 1e6; const a = globalThis[Symbol.for("wrapgen.analyze")]; const p = globalThis[Symbol.for("wrapgen.preload")]; process.stdout.write(JSON.stringify({ t, ms: a ? a.ms : {}, hooks: p ? p.timings : [] }))'

interface Sample {
  t: number
  ms: Record<string, number>
  hooks: Array<{ name: string; ms: number; ok: boolean; error?: string }>
}

export interface AnalyzeOptions {
  readonly runs?: number
  /** Run the hooks on this host when bubblewrap is missing. */
  readonly unsafeHost?: boolean
}

export async function analyzeLayer(result: BuildResult, opts: AnalyzeOptions = {}): Promise<BundleReport[]> {
  const runs = opts.runs ?? 7
  const bundles: Array<{ file: string; code: Uint8Array; inputs: ReadonlyArray<{ path: string; bytes: number }>; esm: boolean }> = []
  // With node.codeCache the bundle is preload.bundle.cjs; its load is timed from source, without the cache.
  if (result.bundle) bundles.push({ file: `wrapgen/${result.config.node.codeCache ? PRELOAD_BUNDLE_FILE : PRELOAD_FILE}`, code: result.bundle.code, inputs: result.bundle.inputs, esm: false })
  if (result.config.node.imports.length) {
    for (const b of await bundleImports(result.config)) bundles.push({ file: `wrapgen/${b.file}`, code: b.code, inputs: b.inputs, esm: true })
  }
  const sandboxed = sandboxAvailable()
  const why = !sandboxed && !opts.unsafeHost ? 'bubblewrap is not available here, and measuring runs your hooks (pass --unsafe-host to run them on this host)' : undefined
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-analyze-'))
  try {
    chmodSync(dir, 0o755)
    const put = (name: string, text: string | Uint8Array): void => writeFileSync(join(dir, name), text, { mode: 0o644 })
    put('mark.cjs', MARK)
    put('empty.cjs', '')
    // Beside the bundle, as in the layer: the runner requires it when a hook fails or is slow.
    if (result.bundle) put(PRELOAD_RARE_FILE, result.bundle.rare)
    const node = realpathSync(process.execPath)
    // One node start with the bundle, under wrapgen's time limit scaled to this machine (limits/).
    const limitMs = scaled(60_000)
    const run = (load: string[]): Sample => {
      const command = [node, '--require', `${INSIDE}/mark.cjs`, ...load, '-e', REPORT]
      const env = { PATH: '/usr/bin:/bin', HOME: '/tmp' }
      const r = sandboxed
        ? spawnSync('bwrap', bwrapArgs([[dir, INSIDE], ...(node.startsWith('/usr/') ? [] : [[dirname(node), dirname(node)] as [string, string]])], command, env, {}), { encoding: 'utf8', timeout: limitMs })
        : spawnSync(node, command.slice(1).map((a) => a.split(INSIDE).join(dir)), { encoding: 'utf8', env, cwd: dir, timeout: limitMs })
      try {
        return JSON.parse(r.stdout) as Sample
      } catch {
        throw new Error(`node exited ${r.status ?? r.signal} without a report: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`)
      }
    }
    return bundles.map((b, n): BundleReport => {
      const base = { file: b.file, bytes: b.code.byteLength, packages: packageBytes(b.inputs) }
      if (why) return { ...base, notMeasured: why }
      const ext = b.esm ? 'mjs' : 'cjs'
      put(`b${n}.${ext}`, b.code)
      const timed = timedBundle(new TextDecoder().decode(b.code))
      if (timed) put(`t${n}.${ext}`, timed)
      const load = (name: string): string[] => (b.esm ? ['--import', `file://${INSIDE}/${name}`] : ['--require', `${INSIDE}/${name}`])
      try {
        const plain: Sample[] = []
        const empty: Sample[] = []
        const perModule: Sample[] = []
        for (let i = 0; i < runs; i++) {
          empty.push(run(['--require', `${INSIDE}/empty.cjs`]))
          plain.push(run(load(`b${n}.${ext}`)))
          if (timed) perModule.push(run(load(`t${n}.${ext}`)))
        }
        const hooks: HookMeasure[] = b.esm ? [] : result.config.node.preloads.map((p, i) => ({
          key: `node.preloads[${i}].module`,
          name: p.name,
          ms: median(plain.map((s) => s.hooks.find((h) => h.name === p.name)?.ms ?? Number.NaN)),
          budgetMs: p.budgetMs,
        }))
        return { ...base, measured: { runs, sandboxed, startMs: median(plain.map((s) => s.t)) - median(empty.map((s) => s.t)), packageMs: packageMs(perModule.map((s) => s.ms)), hooks } }
      } catch (e) {
        return { ...base, notMeasured: (e as Error).message }
      }
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
