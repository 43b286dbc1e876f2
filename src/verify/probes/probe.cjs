// wrapgen's node probe: runs in place of the runtime's entry and reports what node really saw.
const fs = require('node:fs')
const v8 = require('node:v8')
const state = globalThis[Symbol.for('wrapgen.preload')]
fs.writeSync(3, JSON.stringify({
  pid: process.pid,
  execArgv: process.execArgv,
  argv: process.argv.slice(2),
  heapSizeLimit: v8.getHeapStatistics().heap_size_limit,
  preloadRan: Boolean(state && state.done),
  hooks: state ? state.timings.map((t) => t.name) : [],
}))
