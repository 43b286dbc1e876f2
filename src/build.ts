// `build`: config -> plan -> rendered files -> layer tree, zip and manifest, all in memory.
import type { ResolvedConfig } from './config/types.js'
import { bundlePreload, type Bundle } from './layer/bundle.js'
import { sortFiles, type LayerFile } from './layer/files.js'
import { zipLayer } from './layer/zip.js'
import { configHash, plan as makePlan } from './plan/plan.js'
import { LAYER_DIR, MANIFEST_FILE, PRELOAD_BUNDLE_FILE, PRELOAD_FILE, PRELOAD_RARE_FILE, type Plan } from './plan/types.js'
import { makeCodeCaches } from './layer/code-cache.js'
import { renderPreloadLoader } from './render/preload-loader.js'
import { renderManifest, type Manifest } from './render/manifest.js'
import { renderWrapper } from './render/wrapper.js'
import { loadCatalogue } from './runtimes/catalogue.js'
import { compatibleRuntimes } from './runtimes/supported.js'
import { wrapperTemplates } from './assets.js'
import { hookLayerFiles } from './startup-hooks/files.js'
import { version } from './version.js'
import { extensionLayerFiles } from './layer/extensions.js'

export interface BuildResult {
  readonly config: ResolvedConfig
  readonly plan: Plan
  /** The layer tree, as it appears under /opt (manifest included). */
  readonly files: readonly LayerFile[]
  /** The layer zip (a Uint8Array, so the published types need no @types/node). */
  readonly zip: Uint8Array
  readonly manifest: Manifest
  readonly bundle: Bundle | undefined
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/**
 * The preload bundle as preload.cjs, and beside it preload-rare.cjs (the runner's code for failing,
 * exiting, async or slow hooks, required only when one needs it); with node.codeCache, preload.cjs is a
 * loader that compiles the bundle (preload.bundle.cjs) with the V8 code caches made for it
 * (preload[.<memory>].v8cache).
 */
async function preloadFiles(config: ResolvedConfig, bundle: Bundle): Promise<LayerFile[]> {
  const file = (name: string, contents: Uint8Array): LayerFile => ({ path: `${LAYER_DIR}/${name}`, mode: 0o644, contents })
  if (!config.node.codeCache) return [file(PRELOAD_FILE, bundle.code), file(PRELOAD_RARE_FILE, bundle.rare)]
  const made = await makeCodeCaches(new TextDecoder().decode(bundle.code), config.node.codeCache.memoryMB, config.node.flags, config.node.inject)
  const caches = made.caches.map((c) => ({ memory: c.memory, file: `preload${c.memory ? `.${c.memory}` : ''}.v8cache`, data: c.data }))
  return [
    file(PRELOAD_FILE, text(renderPreloadLoader({ name: config.name, v8: made.v8, arch: made.arch, caches }))),
    file(PRELOAD_BUNDLE_FILE, bundle.code),
    file(PRELOAD_RARE_FILE, bundle.rare),
    ...caches.map((c) => file(c.file, c.data)),
  ]
}

export async function buildLayer(config: ResolvedConfig): Promise<BuildResult> {
  const plan = makePlan(config)
  const hash = configHash(config)
  const bundle = config.node.preloads.length > 0 ? await bundlePreload(config) : undefined
  // exec, and a part for each runtime family with something to do (exec sources it for that family).
  const files: LayerFile[] = renderWrapper(plan, version(), wrapperTemplates()).map((f) => ({ path: `${LAYER_DIR}/${f.name}`, mode: f.mode, contents: text(f.text) }))
  if (bundle) files.push(...(await preloadFiles(config, bundle)))
  files.push(...(await hookLayerFiles(config, plan)))
  files.push(...(await extensionLayerFiles(config, version())))
  // The custom-runtime shim makes the layer useful on the OS-only runtimes too.
  const listed = config.customRuntime.bootstrap ? [...config.runtimes, 'provided.al2', 'provided.al2023'] : config.runtimes
  const manifest = renderManifest({ config, plan, configHash: hash, version: version(), files: sortFiles(files), bundle, compatible: compatibleRuntimes(listed, loadCatalogue()) })
  files.push({ path: `${LAYER_DIR}/${MANIFEST_FILE}`, mode: 0o644, contents: text(`${JSON.stringify(manifest, null, 2)}\n`) })
  const sorted = sortFiles(files)
  const zip = await zipLayer(sorted, `${plan.id} (wrapgen ${version()})`)
  return { config, plan, files: sorted, zip, manifest, bundle }
}
