// `wrapgen build --dockerfile`: the Dockerfile lines that put the built layer into a container image
// the way Lambda puts a layer into a function (the tree under /opt, the exec wrapper turned on).
// AWS's Lambda base images start /lambda-entrypoint.sh, which runs /var/runtime/bootstrap, the same
// managed bootstrap that honours AWS_LAMBDA_EXEC_WRAPPER; an image FROM an OS-only base does not.
import type { ResolvedConfig } from '../config/types.js'
import { commentText } from './shell.js'

export interface DockerfileInput {
  readonly config: ResolvedConfig
  /** The layer's id (name@hash). */
  readonly id: string
  /** The built /opt tree, relative to the Docker build context, with `/` separators. */
  readonly layerDir: string
  /** What the function must set (the manifest's functionEnvironment). */
  readonly env: Readonly<Record<string, string>>
}

/** A JSON string is a valid Dockerfile ENV value with any characters in it. */
const envLine = (k: string, v: string): string => `ENV ${k}=${/^[A-Za-z0-9_./:@-]+$/.test(v) ? v : JSON.stringify(v)}`

export function renderDockerfile(input: DockerfileInput): string {
  const { config } = input
  const lines = [
    `# wrapgen layer ${input.id}: paths are relative to the Docker build context (${input.layerDir} must be inside it).`,
    '# For images FROM an AWS Lambda base image (public.ecr.aws/lambda/nodejs, python, java, dotnet, ruby):',
    '# their /lambda-entrypoint.sh runs /var/runtime/bootstrap, which runs AWS_LAMBDA_EXEC_WRAPPER as on Lambda.',
    `COPY ${input.layerDir}/ /opt/`,
    ...Object.entries(input.env).map(([k, v]) => envLine(k, v)),
  ]
  if (config.extensions.length > 0) {
    lines.push(`# The extensions (${config.extensions.map((e) => e.name).join(', ')}) are now in /opt/extensions; Lambda starts them for images too.`)
  }
  if (config.customRuntime.bootstrap) {
    lines.push(
      '# provided.al2023 / OS-only images: nothing there reads AWS_LAMBDA_EXEC_WRAPPER. Start wrapgen\'s shim',
      // A comment names it on one line, whatever it holds (JSON escapes a newline: no line of its own).
      `# instead, with your program at ${commentText(config.customRuntime.command)} (or WRAPGEN_BOOTSTRAP=/path/to/it):`,
      '# ENTRYPOINT ["/opt/bootstrap"]',
    )
  } else {
    lines.push('# An image FROM an OS-only base (alpine, debian, provided.al2023 ...) starts its own ENTRYPOINT and never reads', '# AWS_LAMBDA_EXEC_WRAPPER: set customRuntime.bootstrap in the config and start /opt/bootstrap instead.')
  }
  return `${lines.join('\n')}\n`
}
