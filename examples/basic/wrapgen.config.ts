// The smallest useful layer: flags for node and python, and one local preload hook.
import { defineConfig } from 'wrapgen'

export default defineConfig({
  name: 'basic',
  runtimes: ['nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'python3.12', 'python3.13'],
  node: {
    // After the runtime's own --max-old-space-size, so this one wins.
    flags: ['--enable-source-maps', '--max-old-space-size=200'],
    preloads: ['./preloads/banner.ts'],
  },
  python: {
    flags: ['-X', 'importtime'],
  },
})
