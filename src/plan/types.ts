// The plan: what the wrapper does for each runtime family, as data both the renderer and the simulator read.
import type { Family } from '../config/types.js'

/** Part of a value: literal text, or the absolute path of a file of ours beside the wrapper. */
export type Part = string | { readonly file: string }
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
export const LAYER_DIR = 'wrapgen'
export const WRAPPER_FILE = 'exec'
export const PRELOAD_FILE = 'preload.cjs'
export const MANIFEST_FILE = 'manifest.json'
