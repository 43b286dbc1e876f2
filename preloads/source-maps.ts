// Built-in hook: source-mapped stack traces, without editing the runtime's flags.
import { definePreload } from '../runners/node/preload/index.js'

export default definePreload(() => {
  process.setSourceMapsEnabled(true)
})
