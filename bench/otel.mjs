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
// What that layer does (its src/wrapper.ts, webpack-built): by default it instruments only aws-sdk,
// aws-lambda and its default list dns, http, net (OTEL_NODE_ENABLED_INSTRUMENTATIONS widens it); every
// other instrumentation, and the metrics and logs SDKs with their OTLP/HTTP exporters, are webpack
// chunks (NNN.wrapper.js, 440 kB with wrapper.js) imported on demand; init() and wrap() import the
// default ones plus metrics and logs on every start (those exporters are not 'none' by default), and
// loader.mjs registers import-in-the-middle only for an ES module handler or node 24+ (traced: a start
// loads wrapper.js and 8 of the 35 chunks, about 250 kB). So it does far
// less than `register` (every instrumentation, sdk-node with all its exporters): it is compared with the
// same setup written as one wrapgen hook (bench/fixtures/otel-layer-like/hook.cjs), and the
// `register` bundle's ratio to it is given beside, for reference.
//
// Each way is timed (interleaved rounds) and, when valgrind is installed (WRAPGEN_BENCH_VALGRIND=0
// skips it), its instructions on node's main thread counted once: the figure that does not move with
// the machine's load.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildLayer } from '../dist/src/build.js'
import { openConfig } from '../dist/src/config/open.js'
import { writeLayer } from '../dist/src/layer/write.js'
import { instructions } from './cold.mjs'
import { f, stat } from './stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))

const cacheRoot = () => process.env.WRAPGEN_BENCH_CACHE ?? join(homedir(), '.cache/wrapgen-bench')
export const otelCache = () => join(cacheRoot(), 'otel-node')
const otelLayer = () => join(cacheRoot(), 'otel-lambda-src/nodejs/packages/layer/build/workspace')

/** What each way costs over bare node: the median of per-round time differences, and instructions (valgrind) when counted. */
const costs = (s, ir) => (k) => ({ ms: stat(s[k].map((v, i) => v - s.bare[i])).median, ir: ir ? ir[k] - ir.bare : undefined })
const M = (n) => `${(n / 1e6).toFixed(0)} M`
const both = (c, base) => `×${f(c.ms / base.ms, 2)} time${c.ir !== undefined ? `, ×${f(c.ir / base.ir, 2)} instructions` : ''}`
const what = (c) => `${f(c.ms)} ms${c.ir !== undefined ? ` / ${M(c.ir)} instructions` : ''} over bare`

export async function otelCost({ rows, rounds, log, valgrind = hasValgrind() }) {
  const cache = otelCache()
  const register = join(cache, 'node_modules/@opentelemetry/auto-instrumentations-node/build/src/register.js')
  const label = 'OpenTelemetry Node SDK + auto-instrumentations (`register`), process start → handler loaded'
  if (!existsSync(register)) {
    rows.push({ benchmark: label, floor: '', wrapgen: '', result: `skipped: not installed in ${cache} (see bench/otel.mjs)` })
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'wrapgen-otel-'))
  const hooks = { register: join(cache, 'wrapgen-bench-hook.js'), like: join(cache, 'wrapgen-bench-layer-like.cjs') }
  try {
    // The hooks live in the cache folder, so that esbuild resolves the packages as node would there.
    writeFileSync(hooks.register, "require('@opentelemetry/auto-instrumentations-node/register')\nmodule.exports = { setup() {} }\n")
    copyFileSync(join(here, 'fixtures/otel-layer-like/hook.cjs'), hooks.like)
    const build = async (name, hook, extra) => {
      const result = await buildLayer(await openConfig({ cwd: cache, config: { name, node: { preloads: [{ module: `./${basename(hook)}`, budgetMs: 600000 }], ...extra } } }))
      return { file: join(writeLayer(result, join(dir, name)).layerDir, 'wrapgen/preload.cjs'), bytes: result.bundle.code.byteLength, inputs: result.bundle.inputs.length }
    }
    const ESM = { mainFields: ['module', 'main'] }
    const CACHED = { ...ESM, codeCache: true }
    const b = {
      plain: await build('otel', hooks.register, {}),
      esm: await build('otel-esm', hooks.register, ESM),
      cached: await build('otel-cached', hooks.register, CACHED),
      likeEsm: await build('like-esm', hooks.like, ESM),
      likeCached: await build('like-cached', hooks.like, CACHED),
    }
    const entry = join(dir, 'entry.js')
    writeFileSync(entry, "require('node:http'); require('node:https')\nconst api = globalThis[Symbol.for('opentelemetry.js.api.1')]\nprocess.stdout.write(JSON.stringify({ ms: process.uptime() * 1000, otel: !!(api && api.trace) }))\nprocess.exit(0)\n")
    const env = { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'bench', OTEL_LOG_LEVEL: 'none' }
    // What the layer's otel-handler exports before it execs the runtime.
    const layerEnv = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=bench', OTEL_PROPAGATORS: 'tracecontext,baggage,xray', AWS_LAMBDA_FUNCTION_NAME: 'bench' }
    const argv = (pre, flag = '--require') => [process.execPath, ...(pre ? [flag, pre] : []), entry]
    const ways = { bare: { argv: argv(undefined) }, zero: { argv: argv(register) } }
    for (const [k, v] of Object.entries(b)) ways[k] = { argv: argv(v.file), env: k.startsWith('like') ? layerEnv : {} }
    const layerInit = join(otelLayer(), 'init.mjs')
    if (existsSync(layerInit)) ways.layer = { argv: argv(`file://${layerInit}`, '--import'), env: layerEnv }
    const once = (k) => {
      const [cmd, ...args] = ways[k].argv
      const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...env, ...ways[k].env } })
      const out = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{')))
      if (k !== 'bare' && !out.otel) throw new Error(`${k}: the SDK did not register`)
      return out.ms
    }
    const s = Object.fromEntries(Object.keys(ways).map((k) => [k, []]))
    for (let r = 0; r < rounds; r++) for (const k of Object.keys(ways)) s[k].push(once(k))
    // Instructions of node's main thread, one run each (they do not move with the load).
    let ir
    if (valgrind) {
      ir = {}
      for (const k of Object.keys(ways)) {
        log(`  otel: ${k} under valgrind`)
        ir[k] = instructions(ways[k].argv, { env: { ...env, ...ways[k].env }, mainThread: true })
      }
    }
    const cost = costs(s, ir)
    const zero = cost('zero')
    const line = (k) => `${what(cost(k))} (${(b[k].bytes / 1e6).toFixed(1)} MB from ${b[k].inputs} files): ${both(cost(k), zero)} of the zero-code cost`
    const best = cost('cached')
    const met = (c, base, target) => c.ms / base.ms <= target && (c.ir === undefined || c.ir / base.ir <= target)
    rows.push({
      benchmark: label,
      floor: `zero-code (\`--require\` from node_modules): ${what(zero)} node (bare: ${f(stat(s.bare).median)} ms${ir ? ` / ${M(ir.bare)}` : ''})`,
      wrapgen: `bundled: ${line('plain')}; mainFields ['module', 'main']: ${line('esm')}; and node.codeCache: ${line('cached')}`,
      result: `${both(best, zero)} with the code cache — ${met(best, zero, 0.33) ? 'met' : 'missed'} (≤ ×0.33)`,
    })
    log(`  otel: ${rows[rows.length - 1].result}`)
    if (!ways.layer) {
      rows.push({ benchmark: "OpenTelemetry's own Lambda layer for node", floor: '', wrapgen: '', result: `skipped: not built in ${otelLayer()} (see bench/otel.mjs)` })
      return
    }
    const layer = cost('layer')
    const like = cost('likeCached')
    rows.push({
      benchmark: "OpenTelemetry Node SDK as OpenTelemetry's own Lambda layer sets it up (aws-sdk, aws-lambda, dns, http, net instrumentations; OTLP/HTTP traces, metrics, logs): the layer (built from its source, `--import init.mjs` as its otel-handler does) against the same setup as one wrapgen hook (bench/fixtures/otel-layer-like)",
      floor: `the layer: ${what(layer)} node`,
      wrapgen: `mainFields ['module', 'main']: ${what(cost('likeEsm'))}, ${both(cost('likeEsm'), layer)}; and node.codeCache: ${what(like)}, ${both(like, layer)} (all auto-instrumentations, cached: ${both(best, layer)})`,
      result: `${both(like, layer)} — ${met(like, layer, 0.8) ? 'met' : 'missed'} (≤ ×0.8)`,
    })
    log(`  otel layer: ${rows[rows.length - 1].result}`)
  } finally {
    for (const h of Object.values(hooks)) rmSync(h, { force: true })
    rmSync(dir, { recursive: true, force: true })
  }
}

function hasValgrind() {
  return process.env.WRAPGEN_BENCH_VALGRIND !== '0' && spawnSync('valgrind', ['--version']).status === 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = []
  await otelCost({ rows, rounds: Number(process.env.ROUNDS ?? 11), log: (s) => process.stderr.write(`${s}\n`) })
  for (const r of rows) process.stdout.write(`| ${r.benchmark} | ${r.floor} | ${r.wrapgen} | ${r.result} |\n`)
}
