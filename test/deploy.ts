// The README's deploy snippets against a real build, by the real tools that run offline here:
// cfn-lint for the SAM template (CloudFormation's own schema, including the 15-runtime limit) and
// aws-cdk-lib synthesising the CDK code around the built layer.zip. Each part is skipped, with the
// reason, when its tool is not installed. Terraform is not checked: it is not installed here.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transformSync } from 'esbuild'
import t from 'tap'
import { build } from '../src/api.js'
import { main } from '../src/cli/main.js'
import { makeTemp, removeTemp } from '../src/cleanup.js'
import { RUNTIME_IDS } from '../src/runtimes/ids.js'
import { scaled } from '../src/limits/time-limit.js'

t.setTimeout(scaled(240_000))

const repo = fileURLToPath(new URL('..', import.meta.url))
const readme = readFileSync(join(repo, 'README.md'), 'utf8')
/** The fenced block right after a bold label (`**SAM**`) in the README's deploy section. */
const snippet = (label: string, lang: string): string => {
  const m = new RegExp(`\\*\\*${label}\\*\\*\\n\\n\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme.slice(readme.indexOf('## Deploying the layer')))
  if (!m) throw new Error(`README: no ${label} snippet`)
  return m[1]!
}

// A project laid out as the snippets expect: dist/layer.zip from a real build, and function/.
// The config names every runtime, so the manifest has to cut the list to Lambda's 15.
const project = makeTemp('deploy-test')
t.teardown(() => removeTemp(project))
mkdirSync(join(project, 'function'))
writeFileSync(join(project, 'function/index.mjs'), 'export const handler = async () => ({ ok: true })\n')
const built = await build({ cwd: project, config: { name: 'deploy-test', runtimes: [...RUNTIME_IDS], node: { preloads: ['wrapgen/preloads/timing'] } } })
const manifest = built.manifest
const wrapperVar = manifest.functionEnvironment.AWS_LAMBDA_EXEC_WRAPPER

t.test('the build gives what the snippets name', async (t) => {
  t.equal(manifest.compatibleRuntimes.length, 15, 'the manifest names 15 runtimes')
  t.equal(manifest.compatibleRuntimesLeftOut.length, RUNTIME_IDS.length - 15, 'and says which it left out')
  t.equal(wrapperVar, '/opt/wrapgen/exec')
  for (const label of ['SAM', 'CDK', 'Terraform']) t.match(readme, new RegExp(`\\*\\*${label}\\*\\*[\\s\\S]*?/opt/wrapgen/exec`), `${label} sets ${wrapperVar}`)
})

t.test('wrapgen build says which runtimes it left out of the manifest', async (t) => {
  const dir = join(project, 'cli')
  mkdirSync(dir)
  writeFileSync(join(dir, '.wrapgenrc.json'), JSON.stringify({ name: 'many', runtimes: RUNTIME_IDS }))
  let out = ''
  let err = ''
  const code = await main(['build', '--cwd', dir], { out: (s) => void (out += s), err: (s) => void (err += s), cwd: dir })
  t.equal(code, 0, err)
  t.match(out, `  runtimes    ${manifest.compatibleRuntimes.join(', ')}\n`)
  t.match(out, `  left out    ${manifest.compatibleRuntimesLeftOut.join(', ')} (not in the manifest's compatibleRuntimes: Lambda accepts at most 15; the layer still works there)\n`)
  t.match(out, /AWS_LAMBDA_EXEC_WRAPPER=\/opt\/wrapgen\/exec\n\n$/, 'ends with a blank line, so a following command\'s output stands apart')
})

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' })
const noCfnLint = cfnLint.status === 0 ? false : 'cfn-lint is not installed (pip install cfn-lint; not in Debian or npm); the SAM snippet is not checked'
t.test('SAM: cfn-lint accepts the README template and the manifest\'s runtimes, and refuses 16', { skip: noCfnLint }, async (t) => {
  const version = cfnLint
  const sam = snippet('SAM', 'yaml')
  const withRuntimes = (ids: readonly string[]): string => sam.replace(/CompatibleRuntimes: \[[^\]]*\].*/, `CompatibleRuntimes: [${ids.join(', ')}]`)
  writeFileSync(join(project, 'readme.yaml'), `${sam}\n`)
  writeFileSync(join(project, 'manifest.yaml'), `${withRuntimes(manifest.compatibleRuntimes)}\n`)
  writeFileSync(join(project, 'sixteen.yaml'), `${withRuntimes([...manifest.compatibleRuntimes, ...manifest.compatibleRuntimesLeftOut.slice(0, 1)])}\n`)
  t.not(readFileSync(join(project, 'manifest.yaml'), 'utf8'), sam, 'the runtime list was replaced')
  const lint = (file: string) => spawnSync('cfn-lint', ['--format', 'parseable', file], { cwd: project, encoding: 'utf8', timeout: scaled(120_000) })
  const readmeLint = lint('readme.yaml')
  t.equal(readmeLint.status, 0, `the README's SAM template (${version.stdout.trim()}): ${readmeLint.stdout.trim() || 'clean'}`)
  const manifestLint = lint('manifest.yaml')
  t.equal(manifestLint.status, 0, `with the manifest's ${manifest.compatibleRuntimes.length} runtimes: ${manifestLint.stdout.trim() || 'clean'}`)
  const sixteen = lint('sixteen.yaml')
  t.not(sixteen.status, 0, 'sixteen runtimes fail the lint (the check can fail)')
  t.match(sixteen.stdout, /E3032.*15/, 'CloudFormation\'s maximum of 15')
})

const cdkRoot = ((): string | undefined => {
  try {
    return createRequire(join(repo, 'package.json')).resolve('aws-cdk-lib')
  } catch {
    return undefined
  }
})()
const noCdk = cdkRoot ? false : 'aws-cdk-lib is not installed (a devDependency); the CDK snippet is not checked'
t.test('CDK: aws-cdk-lib synthesises the README code around the built layer.zip', { skip: noCdk }, async (t) => {
  if (!cdkRoot) return
  const code = transformSync(snippet('CDK', 'ts'), { loader: 'ts' }).code
  // The snippet runs inside a Stack's constructor, as in a CDK app.
  const app = `const cdk = require(${JSON.stringify(cdkRoot)})
const lambda = cdk.aws_lambda
class StartupStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id)
${code}
  }
}
const app = new cdk.App({ outdir: 'cdk.out' })
new StartupStack(app, 'Startup')
const assembly = app.synth()
process.stdout.write(JSON.stringify(assembly.getStackByName('Startup').template))
`
  writeFileSync(join(project, 'app.cjs'), app)
  const synth = spawnSync(process.execPath, ['app.cjs'], { cwd: project, encoding: 'utf8', timeout: scaled(180_000) })
  t.equal(synth.status, 0, synth.stderr.split('\n').slice(0, 8).join('\n'))
  if (synth.status !== 0) return
  type Resource = { Type: string; Properties: Record<string, unknown> }
  const template = JSON.parse(synth.stdout) as { Resources: Record<string, Resource> }
  const resources = Object.entries(template.Resources)
  const layers = resources.filter(([, r]) => r.Type === 'AWS::Lambda::LayerVersion')
  const fns = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function')
  t.equal(layers.length, 1, 'one layer version')
  t.equal(fns.length, 1, 'one function')
  const [layerId, layer] = layers[0]!
  const [, fn] = fns[0]!
  t.same(layer.Properties.CompatibleRuntimes, ['nodejs22.x', 'nodejs24.x', 'python3.14'])
  t.ok((layer.Properties.CompatibleRuntimes as string[]).every((id) => manifest.compatibleRuntimes.includes(id)), 'runtimes the manifest declares')
  t.same(fn.Properties.Environment, { Variables: { AWS_LAMBDA_EXEC_WRAPPER: wrapperVar } })
  t.same(fn.Properties.Layers, [{ Ref: layerId }])
  t.equal(fn.Properties.Runtime, 'nodejs24.x')
  // The staged asset is the built zip, byte for byte (cdk.out/asset.<hash>.zip).
  const staged = readdirSync(join(project, 'cdk.out')).filter((f) => /^asset\..*\.zip$/.test(f))
  t.equal(staged.length, 1, `one zip asset staged (${staged.join(', ')})`)
  if (staged[0]) t.ok(Buffer.from(built.zip).equals(readFileSync(join(project, 'cdk.out', staged[0]))), 'cdk.out holds dist/layer.zip unchanged')
})

// Terraform: `terraform validate` needs the AWS provider, downloaded from HashiCorp's registry, which
// is not reachable here (nor is terraform in Debian), so the Terraform snippet is not checked.
