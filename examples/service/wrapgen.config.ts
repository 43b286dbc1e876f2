// A team's layer: the organisation's shared startup hooks (an npm package) for node, python and java,
// a built-in, and node flags. `npm run example` builds it and verifies every hook with the real
// node, python3 and java (docs/hooks.md).
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
    // ES module loader hooks, registered with --import before the (ES module) handler loads.
    imports: [{ module: '@example-org/lambda-preloads/trace-esm', options: { log: false } }],
  },
  python: {
    flags: ['-X', 'importtime'],
    // Run before the runtime imports the handler; sys.path stays the runtime's own.
    preloads: [{ module: '@example-org/lambda-preloads/python/log_context.py', options: { service: 'orders', team: 'checkout' } }],
  },
  java: {
    flags: ['-XX:+TieredCompilation'],
    env: { default: { JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC' } },
    // Started by wrapgen's runner agent (one -javaagent before the main class), isolated and timed.
    agents: [{ jar: '@example-org/lambda-preloads/java/log-context-agent.jar', options: 'service=orders,team=checkout' }],
  },
})
