// The Java agent runner's jar, packed at build time from the committed class (runners/java/build.sh),
// with a manifest that makes it an agent and grants the capabilities agents commonly ask for, since
// every agent it starts shares its Instrumentation.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LayerFile } from '../layer/files.js'
import { zipLayer } from '../layer/zip.js'
import { packageRoot } from '../package-root.js'

export const JAVA_RUNNER_CLASS = 'WrapgenAgents'

const MANIFEST = [
  'Manifest-Version: 1.0',
  `Premain-Class: ${JAVA_RUNNER_CLASS}`,
  'Can-Redefine-Classes: true',
  'Can-Retransform-Classes: true',
  'Can-Set-Native-Method-Prefix: true',
  'Created-By: wrapgen',
  '',
  '',
].join('\r\n')

let jar: Promise<Uint8Array> | undefined

/** A deterministic jar (the layer's zip writer: fixed timestamps, sorted entries). */
export function javaRunnerJar(): Promise<Uint8Array> {
  return (jar ??= (async () => {
    const cls = readFileSync(join(packageRoot(), 'runners/java/WrapgenAgents.class'))
    const files: LayerFile[] = [
      { path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: new TextEncoder().encode(MANIFEST) },
      { path: `${JAVA_RUNNER_CLASS.replace(/\./g, '/')}.class`, mode: 0o644, contents: cls },
    ]
    return new Uint8Array(await zipLayer(files, ''))
  })())
}
