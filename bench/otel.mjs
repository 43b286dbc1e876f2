// The real OpenTelemetry Node SDK with every auto-instrumentation (@opentelemetry/auto-instrumentations-node's
// `register`), bundled by wrapgen as one preload hook, against OpenTelemetry's zero-code way: the same
// `register` module required from node_modules (`--require`, file by file). From the process start to
// the handler loaded (the entry requires node:http and node:https, which the SDK instruments), timed
// inside node, interleaved; each way's cost is its time over bare node in the same round.
//
// The packages are large (about 120 MB, 218 packages), so they are not devDependencies: install them
// once into the cache folder (WRAPGEN_BENCH_CACHE, default ~/.cache/wrapgen-bench):
//   npm install --prefix ~/.cache/wrapgen-bench/otel-node @opentelemetry/api @opentelemetry/sdk-node @opentelemetry/auto-instrumentations-node
// Without them the row says so and is skipped. `node bench/otel.mjs` prints the rows.
//
// Beside them, OpenTelemetry's own Lambda layer for node, built from its source with its own build
// (open-telemetry/opentelemetry-lambda, nodejs/packages/layer: webpack, minified) into the cache folder:
//   <cache>/otel-lambda-src/nodejs (the repository's nodejs folder), then there
//   npm ci --ignore-scripts --include-workspace-root -w @opentelemetry-lambda/sdk-layer
//   cd packages/layer && npm run build
// and started as its otel-handler starts it: --import init.mjs, with the variables that script sets.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { f, stat } from './stats.mjs'

const cacheRoot = () => process.env.WRAPGEN_BENCH_CACHE ?? join(homedir(), '.cache/wrapgen-bench')
export const otelCache = () => join(cacheRoot(), 'otel-node')
const otelLayer = () => join(cacheRoot(), 'otel-lambda-src/nodejs/packages/layer/build/workspace')

export async function otelCost({ rows, rounds, log }) {
  const cache = otelCache()
  const register = join(cache, 'node_modules/@opentelemetry/auto-instrumentations-node/build/src/register.js')
  const label = 'OpenTelemetry Node SDK + auto-instrumentations (`register`), process start → handler loaded'
  if (!existsSync(register)) {
    rows.push({ benchmark: label, floor: '', wrapgen: '', result: `skipped: not installed in ${cache} (see bench/otel.mjs)` })
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-otel-'))
  try {
    // The hook lives in the cache folder, so that esbuild resolves the packages as node would there.
    writeFileSync(join(cache, 'wrapgen-bench-hook.js'), "require('@opentelemetry/auto-instrumentations-node/register')\nmodule.exports = { setup() {} }\n")
    const build = async (name, extra) => {
      const result = await buildLayer(await openConfig({ cwd: cache, config: { name, node: { preloads: [{ module: './wrapgen-bench-hook.js', budgetMs: 600000 }], ...extra } } }))
      return { file: join(writeLayer(result, join(dir, name)).layerDir, 'wrapgen/preload.cjs'), bytes: result.bundle.code.byteLength, inputs: result.bundle.inputs.length }
    }
    const plain = await build('otel', {})
    const esm = await build('otel-esm', { mainFields: ['module', 'main'] })
    writeFileSync(join(dir, 'entry.js'), "require('node:http'); require('node:https')\nconst api = globalThis[Symbol.for('opentelemetry.js.api.1')]\nprocess.stdout.write(JSON.stringify({ ms: process.uptime() * 1000, otel: !!(api && api.trace) }))\nprocess.exit(0)\n")
    const env = { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'bench', OTEL_LOG_LEVEL: 'none' }
    const start = (pre, extraEnv = {}, flag = '--require') => () => {
      const r = spawnSync(process.execPath, [...(pre ? [flag, pre] : []), join(dir, 'entry.js')], { encoding: 'utf8', env: { ...env, ...extraEnv } })
      const out = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{')))
      if (pre && !out.otel) throw new Error(`${pre}: the SDK did not register`)
      return out.ms
    }
    const ways = { bare: start(undefined), zero: start(register), wrapgen: start(plain.file), esm: start(esm.file) }
    // What the layer's otel-handler exports before it execs the runtime.
    const layerInit = join(otelLayer(), 'init.mjs')
    if (existsSync(layerInit)) ways.layer = start(`file://${layerInit}`, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=bench', OTEL_PROPAGATORS: 'tracecontext,baggage,xray', AWS_LAMBDA_FUNCTION_NAME: 'bench' }, '--import')
    const s = Object.fromEntries(Object.keys(ways).map((k) => [k, []]))
    for (let r = 0; r < rounds; r++) for (const k of Object.keys(ways)) s[k].push(ways[k]())
    const cost = (k) => stat(s[k].map((v, i) => v - s.bare[i])).median
    const zero = cost('zero')
    const line = (k, b) => `${f(cost(k))} ms over bare (${(b.bytes / 1e6).toFixed(1)} MB from ${b.inputs} files): ×${f(cost(k) / zero, 2)} of the zero-code cost`
    rows.push({
      benchmark: label,
      floor: `zero-code (\`--require\` from node_modules): ${f(zero)} ms over bare node (${f(stat(s.bare).median)} ms)`,
      wrapgen: `bundled: ${line('wrapgen', plain)}; with mainFields ['module', 'main']: ${line('esm', esm)}`,
      result: `×${f(cost('wrapgen') / zero, 2)} / ×${f(cost('esm') / zero, 2)} — ${Math.min(cost('wrapgen'), cost('esm')) / zero <= 0.33 ? 'met' : 'missed'} (≤ ×0.33)`,
    })
    log(`  otel: ${rows[rows.length - 1].result}`)
    const best = Math.min(cost('wrapgen'), cost('esm'))
    rows.push(ways.layer
      ? {
          benchmark: "OpenTelemetry Node SDK: wrapgen's bundle against OpenTelemetry's own Lambda layer (built from its source, `--import init.mjs` as its otel-handler does)",
          floor: `the layer: ${f(cost('layer'))} ms over bare node`,
          wrapgen: `${f(best)} ms over bare (the better of the two bundles above)`,
          result: `×${f(best / cost('layer'), 2)} — ${best / cost('layer') <= 0.8 ? 'met' : 'missed'} (≤ ×0.8)`,
        }
      : { benchmark: "OpenTelemetry's own Lambda layer for node", floor: '', wrapgen: '', result: `skipped: not built in ${otelLayer()} (see bench/otel.mjs)` })
  } finally {
    rmSync(join(cache, 'wrapgen-bench-hook.js'), { force: true })
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = []
  await otelCost({ rows, rounds: Number(process.env.ROUNDS ?? 11), log: (s) => process.stderr.write(`${s}\n`) })
  for (const r of rows) process.stdout.write(`| ${r.benchmark} | ${r.floor} | ${r.wrapgen} | ${r.result} |\n`)
}
