// The plan: what the wrapper does for each runtime family, as data both the renderer and the simulator read.
import type { Family } from '../config/types.js'

/**
 * Part of a value: literal text, or the absolute path of a file of ours beside the wrapper. With
 * `nodeOptions`, that path as one NODE_OPTIONS word: node splits NODE_OPTIONS at spaces but reads
 * "..." as one word, so the path is put in double quotes when the wrapper's folder holds a space.
 * A folder holding `"` or `\` cannot be written that way: the wrapper then takes its failMode path.
 */
export type Part = string | { readonly file: string; readonly nodeOptions?: true }
/** A value is its parts concatenated. */
export type Value = readonly Part[]

export type EnvOp =
  | { readonly op: 'unset'; readonly name: string }
  | { readonly op: 'set'; readonly name: string; readonly value: Value }
  | { readonly op: 'default'; readonly name: string; readonly value: Value }
  | { readonly op: 'prepend'; readonly name: string; readonly value: Value; readonly sep: string }
  | { readonly op: 'append'; readonly name: string; readonly value: Value; readonly sep: string }

export interface FamilyPlan {
  readonly family: Family
  /** Interpreter flags inserted just before the program entry (empty: argv untouched). */
  readonly flags: readonly Value[]
  /** Environment edits, in order: the top-level ones, then the family's own, then injection. */
  readonly env: readonly EnvOp[]
  /** Files of ours (relative to the wrapper's folder) this family needs; missing ones trigger failMode. */
  readonly requires: readonly string[]
}

export interface Plan {
  readonly name: string
  /** Short hash of the config; also marks the environment so that a second pass changes nothing. */
  readonly id: string
  readonly failMode: 'open' | 'closed'
  readonly families: Readonly<Record<Family, FamilyPlan>>
  /** Environment edits for a command whose interpreter is not recognised (top-level env only). */
  readonly otherEnv: readonly EnvOp[]
  readonly chain: readonly string[]
}

/** Where the layer's files sit under /opt (and beside each other anywhere else). */
/** Whether a family's edits carry a path of ours inside NODE_OPTIONS (the wrapper checks its folder first). */
export const usesNodeOptionsPath = (fp: FamilyPlan): boolean =>
  fp.env.some((op) => op.op !== 'unset' && op.value.some((p) => typeof p !== 'string' && p.nodeOptions === true))

/** The one line the wrapper writes when its folder cannot be carried in NODE_OPTIONS. */
export const nodeOptionsDirProblem = (dir: string): string => `the layer's folder ${dir} holds a double quote or a backslash, which NODE_OPTIONS cannot carry`

export const LAYER_DIR = 'wrapgen'
export const WRAPPER_FILE = 'exec'
export const PRELOAD_FILE = 'preload.cjs'
/** With node.codeCache: the bundle itself, which preload.cjs compiles with its V8 code cache. */
export const PRELOAD_BUNDLE_FILE = 'preload.bundle.cjs'
/** Beside the preload: what its runner needs only for failing, exiting, async or slow hooks (runners/node/preload/run.ts RARE_FILE). */
export const PRELOAD_RARE_FILE = 'preload-rare.cjs'
export const MANIFEST_FILE = 'manifest.json'
