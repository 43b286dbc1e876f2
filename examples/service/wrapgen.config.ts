// A team's layer: the organisation's shared hooks (an npm package), a built-in, and node flags.
import { defineConfig } from 'wrapgen'

export default defineConfig({
  name: 'orders-startup',
  failMode: 'open',
  env: {
    default: { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' },
  },
  node: {
    flags: ['--enable-source-maps'],
    preloads: [
      { module: 'wrapgen/preloads/timing' },
      { module: '@example-org/lambda-preloads/log-context', options: { service: 'orders', team: 'checkout' } },
      { module: '@example-org/lambda-preloads/required-env', options: { names: ['AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME'] } },
    ],
  },
  python: { flags: ['-X', 'importtime'] },
  java: { flags: ['-XX:+TieredCompilation'], env: { default: { JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC' } } },
})
