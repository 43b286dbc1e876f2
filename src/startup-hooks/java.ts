// The Java agent runner's jar, packed at build time from the committed classes (runners/java/build.sh),
// with a manifest that makes it an agent and grants the capabilities agents commonly ask for, since
// every agent it starts shares its Instrumentation. Used when the runner cannot be written into the first
// agent's jar (java-hosted.ts: a signed jar, or one with classes of the runner's names).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LayerFile } from '../layer/files.js'
import { zipLayer } from '../layer/zip.js'
import { packageRoot } from '../package-root.js'

export const JAVA_RUNNER_CLASS = 'WrapgenAgents'
/** The runner's classes: the agent, and what only failures and timing need (loaded only then). */
export const JAVA_RUNNER_CLASSES = [JAVA_RUNNER_CLASS, 'WrapgenAgentsRare']
/** The capabilities the runner's jar grants: every agent it starts shares its Instrumentation. */
export const JAVA_RUNNER_GRANTS = [['Can-Redefine-Classes', 'true'], ['Can-Retransform-Classes', 'true'], ['Can-Set-Native-Method-Prefix', 'true']] as const

const MANIFEST = [
  'Manifest-Version: 1.0',
  `Premain-Class: ${JAVA_RUNNER_CLASS}`,
  ...JAVA_RUNNER_GRANTS.map(([k, v]) => `${k}: ${v}`),
  'Created-By: wrapgen',
  '',
  '',
].join('\r\n')

/** The runner's committed class files (runners/java/build.sh), as jar entries. */
export const javaRunnerClasses = (): Array<{ name: string; bytes: Uint8Array }> =>
  JAVA_RUNNER_CLASSES.map((c) => ({ name: `${c}.class`, bytes: readFileSync(join(packageRoot(), `runners/java/${c}.class`)) }))

let jar: Promise<Uint8Array> | undefined

/**
 * A deterministic jar (the layer's zip writer: fixed timestamps, sorted entries), its entries stored:
 * the JVM reads the manifest and the runner class on every cold start, and stored entries need no
 * inflater (0.28 M fewer instructions at start; the jar is 10 KB).
 */
export function javaRunnerJar(): Promise<Uint8Array> {
  return (jar ??= (async () => {
    const files: LayerFile[] = [
      { path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: new TextEncoder().encode(MANIFEST) },
      ...javaRunnerClasses().map((c) => ({ path: c.name, mode: 0o644, contents: c.bytes })),
    ]
    return new Uint8Array(await zipLayer(files, '', { compress: false }))
  })())
}
