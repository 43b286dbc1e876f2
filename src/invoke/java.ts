// The Java runtimes' client for invoke (java17, java21, java25): AWS's
// aws-lambda-java-runtime-interface-client with the jars its manifest names (aws-lambda-java-core,
// aws-lambda-java-serialization, ...), from the Maven local repository (`mvn dependency:get` puts them
// there) or a folder given with --ric-jars (`mvn dependency:copy-dependencies`). As on Lambda the jars
// are /var/runtime/lib/*.jar on -classpath, the client's JNI library (taken out of its jar) is
// /var/runtime/lib/jni/libaws-lambda-jni.linux-x86_64.so, and the JDK's home is /var/lang.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import yauzl from 'yauzl'
import { UserError } from '../errors.js'
import { zipEntries } from '../layer/zip.js'
import type { RuntimeFixture } from '../runtimes/types.js'
import { withHandlerLast, type RuntimeClient } from './clients.js'

/** The client pinned (its own manifest pins the jars it needs). */
export const JAVA_RIC_VERSION = '2.10.1'
const RIC_ARTIFACT = 'aws-lambda-java-runtime-interface-client'
export const JAVA_RIC_FETCH = `mvn dependency:get -Dartifact=com.amazonaws:${RIC_ARTIFACT}:${JAVA_RIC_VERSION}`
/** Maven groups of the client's jars, where its manifest's file names are looked up in the local repository. */
const GROUPS = ['com/amazonaws', 'software/amazon/awssdk']
/** Options in AWS's java argv that name files only AWS's image has (the JVM here would refuse them). */
export const AWS_ONLY_JAVA = [/^-javaagent:\/var\/runtime\/lib\/Log4jHotPatch\.jar/, /^-XX:SharedArchiveFile=/, /^-Xshare:on$/]

export interface Jdk {
  readonly home: string
  /** 17, 21, 25 */
  readonly feature: number
  readonly version: string
}

function jdkAt(home: string): Jdk | undefined {
  if (!existsSync(join(home, 'bin/java'))) return undefined
  let version: string | undefined
  try {
    version = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1]
  } catch {
    version = /version "([^"]+)"/.exec(spawnSync(join(home, 'bin/java'), ['-version'], { encoding: 'utf8' }).stderr ?? '')?.[1]
  }
  if (!version) return undefined
  const feature = Number(version.startsWith('1.') ? version.split('.')[1] : version.split(/[.+-]/)[0])
  return Number.isInteger(feature) ? { home, feature, version } : undefined
}

/** This machine's JDKs: JAVA_HOME, /usr/lib/jvm/*, the java on PATH; each once. */
export function jdks(): Jdk[] {
  const homes: string[] = []
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME)
  if (existsSync('/usr/lib/jvm')) for (const d of readdirSync('/usr/lib/jvm').sort()) homes.push(join('/usr/lib/jvm', d))
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (existsSync(join(dir, 'java'))) homes.push(dirname(dirname(realpathSync(join(dir, 'java')))))
  }
  const seen = new Map<string, Jdk>()
  for (const h of homes) {
    if (!existsSync(h)) continue
    const real = realpathSync(h)
    if (seen.has(real)) continue
    const jdk = jdkAt(real)
    if (jdk) seen.set(real, jdk)
  }
  return [...seen.values()]
}

/** The JDK for `java21`: its own feature version, else the nearest newer one (classes built for 21 load there), else the newest. */
export function chooseJdk(feature: number, all: readonly Jdk[]): Jdk | undefined {
  const same = all.find((j) => j.feature === feature)
  if (same) return same
  const newer = all.filter((j) => j.feature > feature).sort((a, b) => a.feature - b.feature)[0]
  return newer ?? [...all].sort((a, b) => b.feature - a.feature)[0]
}

/** The named entries of a zip (a jar), by name. */
async function namedEntries(file: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true })
  const out = new Map<string, Buffer>()
  try {
    for await (const entry of zipEntries(zip)) {
      if (!want(entry.fileName)) continue
      const chunks: Buffer[] = []
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer)
      out.set(entry.fileName, Buffer.concat(chunks))
    }
  } finally {
    zip.close()
  }
  return out
}

/** The file names in a manifest's Class-Path (continuation lines joined). */
export function manifestClassPath(manifest: string): string[] {
  const joined = manifest.replace(/\r?\n /g, '')
  return (/^Class-Path: (.*)$/m.exec(joined)?.[1] ?? '').trim().split(/\s+/).filter(Boolean)
}

const fetchHint = (runtimeId: string): string =>
  `${runtimeId} needs AWS's Java runtime client: run "${JAVA_RIC_FETCH}" (it puts the client, aws-lambda-java-core and aws-lambda-java-serialization in ~/.m2/repository), or give --ric-jars DIR, a folder holding ${RIC_ARTIFACT}-*.jar and the jars its manifest names (mvn dependency:copy-dependencies)`

/** The client's jar and the jars it names, from `ricJars` (a folder) or the Maven local repository. */
export async function findClientJars(runtimeId: string, ricJars?: string): Promise<{ ric: string; jars: string[]; jni: Map<string, Buffer> }> {
  const repo = join(homedir(), '.m2/repository')
  let ric: string | undefined
  if (ricJars !== undefined) {
    if (!existsSync(ricJars) || !statSync(ricJars).isDirectory()) throw new UserError(`--ric-jars ${ricJars}: not a folder`)
    const found = readdirSync(ricJars).filter((f) => f.startsWith(`${RIC_ARTIFACT}-`) && f.endsWith('.jar')).sort()
    if (found.length === 0) throw new UserError(`--ric-jars ${ricJars}: no ${RIC_ARTIFACT}-*.jar there. ${fetchHint(runtimeId)}`)
    ric = join(ricJars, found[found.length - 1]!)
  } else {
    const p = join(repo, 'com/amazonaws', RIC_ARTIFACT, JAVA_RIC_VERSION, `${RIC_ARTIFACT}-${JAVA_RIC_VERSION}.jar`)
    if (!existsSync(p)) throw new UserError(fetchHint(runtimeId))
    ric = p
  }
  const entries = await namedEntries(ric, (n) => n === 'META-INF/MANIFEST.MF' || n.startsWith('jni/'))
  const names = manifestClassPath(entries.get('META-INF/MANIFEST.MF')?.toString('utf8') ?? '')
  const jars = [ric]
  for (const name of names) {
    const m = /^(.*)-(\d[^-]*)\.jar$/.exec(name)
    const candidates = ricJars !== undefined ? [join(ricJars, name)] : m ? GROUPS.map((g) => join(repo, g, m[1]!, m[2]!, name)) : []
    const hit = candidates.find((c) => existsSync(c))
    if (!hit) throw new UserError(`${basename(ric)} needs ${name}, which is not ${ricJars !== undefined ? `in ${ricJars}` : 'in ~/.m2/repository'}. ${fetchHint(runtimeId)}`)
    jars.push(hit)
  }
  const jni = new Map([...entries].filter(([n]) => n.startsWith('jni/') && n.endsWith('.so')).map(([n, b]) => [basename(n), b]))
  // Lambda's -classpath lists /var/runtime/lib's jars by file name (core, client, serialization).
  return { ric, jars: jars.sort((a, b) => (basename(a) < basename(b) ? -1 : 1)), jni }
}

export interface JavaClientOptions {
  /** A java binary to use instead of looking for a JDK. */
  readonly interpreter?: string | undefined
  /** A folder with the client's jars instead of the Maven local repository. */
  readonly ricJars?: string | undefined
}

export async function javaClient(fixture: RuntimeFixture, opts: JavaClientOptions = {}): Promise<RuntimeClient> {
  const feature = Number(fixture.id.replace(/^java/, ''))
  const notes: string[] = []
  let jdk: Jdk | undefined
  if (opts.interpreter !== undefined) {
    jdk = existsSync(opts.interpreter) ? jdkAt(dirname(dirname(realpathSync(opts.interpreter)))) : undefined
    if (!jdk) throw new UserError(`--interpreter ${opts.interpreter}: not the java of a JDK this machine can run`)
  } else {
    jdk = chooseJdk(feature, jdks())
    if (!jdk) throw new UserError(`${fixture.id} needs a JDK (java ${feature} or newer): install one (Debian: apt-get install openjdk-17-jdk-headless) or give --interpreter /path/to/bin/java`)
  }
  if (jdk.feature !== feature) notes.push(`no JDK ${feature} on this machine: ran ${fixture.id}'s argv on JDK ${jdk.version} (${jdk.home})`)
  const { ric, jars, jni } = await findClientJars(fixture.id, opts.ricJars)
  const arch = process.arch === 'arm64' ? 'linux-aarch_64' : 'linux-x86_64'
  const lib = jni.get(`libaws-lambda-jni.${arch}.so`)
  if (!lib) throw new UserError(`${basename(ric)} carries no JNI library for ${arch}`)
  const version = /-(\d[^-]*)\.jar$/.exec(basename(ric))?.[1] ?? '?'
  const lambdaJars = jars.map((j) => `/var/runtime/lib/${basename(j)}`)
  const jniLambda = `/var/runtime/lib/jni/libaws-lambda-jni.${arch}.so`
  return {
    family: 'java',
    processName: 'java',
    ran: `java ${jdk.version} (${jdk.home}), ${RIC_ARTIFACT} ${version}`,
    notes,
    binds: [[jdk.home, '/var/lang'], ...jars.map((j, i) => [j, lambdaJars[i]!] as const)],
    files: [[jniLambda, lib]],
    argv(argv, handler, path) {
      const left = argv.filter((a) => AWS_ONLY_JAVA.some((re) => re.test(a)))
      if (left.length > 0) notes.push(`left out (they name files only AWS's image has): ${left.join(' ')}`)
      return withHandlerLast(argv.filter((a) => !left.includes(a)), fixture, handler).map((a, i) => {
        if (i === 0) return path(a)
        if (a === '<jars>') return lambdaJars.map(path).join(':')
        const d = /^(-Dcom\.amazonaws\.services\.lambda\.runtime\.api\.client\.runtimeapi\.NativeClient\.JNI=)(.*)$/.exec(a)
        // The catalogue names the x86_64 library; the one for this machine's architecture is there.
        if (d) return `${d[1]}${path(jniLambda)}`
        return a
      })
    },
    env(env) {
      // No entry of ours runs in the JVM to report on fd 3; the runner agent prints its hooks' times.
      delete env.WRAPGEN_INVOKE_REPORT_FD
      if (env.WRAPGEN_TIMING === undefined) env.WRAPGEN_TIMING = '1'
    },
  }
}
