import type { WrapgenConfig } from './types.js'

/** Types a config; returns it unchanged. */
export function defineConfig(config: WrapgenConfig): WrapgenConfig {
  return config
}
