// The Java agent runner's jar, packed at build time from the committed classes (runners/java/build.sh),
// with a manifest that makes it an agent and grants the capabilities agents commonly ask for, since
// every agent it starts shares its Instrumentation. Used when the runner cannot be written into the first
// agent's jar (java-hosted.ts: a signed jar, or one with classes of the runner's names).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LayerFile } from '../layer/files.js'
import { zipLayer } from '../layer/zip.js'
import { packageRoot } from '../package-root.js'
import { JAVA_LIST_STAND_IN, JAVA_TARGET_STAND_IN, encodeModifiedUtf8, replaceConstant, utf8AsChars } from './java-class.js'

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

/**
 * The runner's committed class files (runners/java/build.sh), as jar entries. `list`: the agents' lines
 * (render.ts's javaAgentLines), written into the runner's class (read from agents.txt when too long for a
 * class file's constant); `target`: the class (a.b.C) whose premain the runner calls straight, named in
 * the runner's class in place of its stand-in (java-class.ts), the list's first line saying how to call it.
 */
export function javaRunnerClasses(embed: { readonly list?: string; readonly target?: string } = {}): Array<{ name: string; bytes: Uint8Array }> {
  const chars = embed.list === undefined ? '' : utf8AsChars(embed.list)
  const list = chars.length > 1 && encodeModifiedUtf8(chars).length <= 0xffff ? chars : undefined
  return JAVA_RUNNER_CLASSES.map((c) => {
    let bytes: Uint8Array = readFileSync(join(packageRoot(), `runners/java/${c}.class`))
    if (c === JAVA_RUNNER_CLASS && embed.target !== undefined) bytes = replaceConstant(bytes, 'class', JAVA_TARGET_STAND_IN, embed.target.replace(/\./g, '/'))
    if (c === JAVA_RUNNER_CLASS && list !== undefined) bytes = replaceConstant(bytes, 'string', JAVA_LIST_STAND_IN, list)
    return { name: `${c}.class`, bytes }
  })
}

/**
 * A deterministic jar of `classes` (the layer's zip writer: fixed timestamps, sorted entries), its
 * entries stored: the JVM reads the manifest and the runner class on every cold start, and stored
 * entries need no inflater (0.28 M fewer instructions at start; the jar is 10 KB).
 */
export async function javaRunnerJar(classes: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>): Promise<Uint8Array> {
  const files: LayerFile[] = [
    { path: 'META-INF/MANIFEST.MF', mode: 0o644, contents: new TextEncoder().encode(MANIFEST) },
    ...classes.map((c) => ({ path: c.name, mode: 0o644, contents: c.bytes })),
  ]
  return new Uint8Array(await zipLayer(files, '', { compress: false }))
}
