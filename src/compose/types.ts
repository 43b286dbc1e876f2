// compose's data: the input layers as trees in memory, the conflicts between them, what each vendor's
// wrapper does, and the manifest the composed layer carries.
import type { ResolvedConfig } from '../config/types.js'
import type { Allowance } from '../verify/types.js'

/** One entry of a layer's /opt tree. Paths are relative to /opt with `/` separators, no trailing `/`. */
export type TreeEntry =
  | { readonly kind: 'file'; readonly mode: number; readonly data: Uint8Array; readonly sha256: string }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'dir'; readonly mode: number }

export type Tree = ReadonlyMap<string, TreeEntry>

/** The resolved config as stored in compose.json (JSON has no `undefined`: `configFile` is left out). */
export type ComposedConfig = Omit<ResolvedConfig, 'configFile'>

/** A layer as given on the command line: a zip or a folder holding what Lambda unpacks into /opt. */
export interface InputLayer {
  /** As given (shortened to the file name in reports and the manifest). */
  readonly source: string
  readonly name: string
  readonly format: 'zip' | 'folder'
  /** Bytes of the zip; for a folder, the sum of its files' sizes. */
  readonly size: number
  /** Of the zip file; for a folder, of its canonical listing (path, kind, mode, content hash per line). */
  readonly sha256: string
  readonly tree: Tree
  /** Its exec wrapper's absolute path (/opt/...), if it has one. */
  readonly wrapper: string | undefined
  /** How the wrapper was found: named on the command line, detected, or none. */
  readonly wrapperFrom: 'named' | 'detected' | 'none'
}

/** Two or more layers ship the same path with different contents; the last one applied wins. */
export interface Conflict {
  readonly path: string
  /** Indexes into the inputs, in the order applied; the last is the winner. */
  readonly layers: readonly number[]
  readonly winner: number
  /** What differs: contents, mode only, or the kind of entry (file, folder, symlink). */
  readonly differs: 'contents' | 'mode' | 'kind'
  /** Losing layers this breaks, each with the reason (their wrapper, or a file of theirs that names the path). */
  readonly breaks: ReadonlyArray<{ readonly layer: number; readonly reason: string }>
}

/** What a wrapper did to the command and the environment on one runtime, against the bare runtime. */
export interface Effects {
  /** Whether the runtime's own interpreter started. */
  readonly ran: boolean
  /** The command the interpreter received, interpreter first. */
  readonly argv: readonly string[]
  /** Every original argument kept, in order, with the same interpreter first. */
  readonly keptArgs: boolean
  /** Elements it added to the command. */
  readonly addedArgs: readonly string[]
  /** Variables it set or changed (name -> the value the runtime saw); removed ones map to null. */
  readonly env: Readonly<Record<string, string | null>>
  readonly exitCode: number | null
  /** Its first stderr line, for reports. */
  readonly stderr: string
}

export type WrapperKind = 'passes' | 'replaces'

export interface Classified {
  readonly layer: number
  readonly wrapper: string
  readonly kind: WrapperKind
  /** Why it is `replaces` (empty for `passes`). */
  readonly reason: string
  /** Whether it adds elements to the command line (it then runs closest to the runtime). */
  readonly editsArgv: boolean
  /** Per runtime it was run on. */
  readonly byRuntime: Readonly<Record<string, Effects>>
}

/** For each vendor's effect seen alone, whether it arrived through the composed wrapper. */
export interface Attribution {
  readonly runtime: string
  readonly layer: number
  readonly variable: string
  /** The part of the value this layer contributes. */
  readonly value: string | null
  readonly arrived: boolean
  /** How it arrived when not as is (handler wrappers handing on to each other), or why it was not made. */
  readonly note?: string
  /**
   * Not made in the chain, rightly: the wrapper sets the variable only when it is unset, and a
   * wrapper before it (or wrapgen's config) had set it. Not a lost edit; `arrived` stays false.
   */
  readonly deferred?: true
  /** When it did not arrive: the layers of the wrappers after it in the chain that set the same variable. */
  readonly by?: readonly number[]
}

export interface ComposeManifest {
  readonly generator: 'wrapgen compose'
  readonly wrapgenVersion: string
  readonly wrapper: string
  /** The id of wrapgen's wrapper (its config with `chain` set to the chain below), as in manifest.json. */
  readonly id: string
  readonly inputs: ReadonlyArray<{
    readonly file: string
    readonly format: 'zip' | 'folder'
    readonly size: number
    readonly sha256: string
    readonly wrapper: string | null
    readonly kind: WrapperKind | null
  }>
  /**
   * The vendor wrappers in the order wrapgen's wrapper runs them, each with the deliberate changes
   * compose saw it make alone (what `wrapgen verify` then accepts from it, as `chain[].allow`).
   */
  readonly chain: ReadonlyArray<{ readonly wrapper: string; readonly input: string; readonly kind: WrapperKind; readonly allow: readonly Allowance[] }>
  /** The runtime compose checked each family on, and those where the composed wrapper started the runtime's interpreter. */
  readonly runtimes: readonly string[]
  readonly checked: readonly string[]
  /** The function's own variables compose ran the wrappers with (--env); `wrapgen verify --layer` uses them too. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * The config wrapgen's wrapper was built from (`chain` and `chainAllow` set by compose; `configFile`
   * left out), so `wrapgen verify --layer` can check the composed layer without a config. Its paths
   * (`root`, preloads, hooks, extensions) are the composing machine's, so it is only in the copy
   * beside the layer (OUT/compose.json), never in the layer (see `LayerComposeManifest`).
   */
  readonly config: ComposedConfig
  readonly conflicts: ReadonlyArray<{ readonly path: string; readonly inputs: readonly string[]; readonly winner: string; readonly differs: Conflict['differs']; readonly breaks: ReadonlyArray<{ readonly input: string; readonly reason: string }> }>
  readonly attribution: ReadonlyArray<{ readonly runtime: string; readonly input: string; readonly variable: string; readonly value: string | null; readonly arrived: boolean; readonly note?: string; readonly deferred?: true }>
}

/**
 * The copy shipped in the layer (/opt/wrapgen/compose.json): everything but `config`, whose host paths
 * would make the layer differ between checkouts (the same inputs must give a byte-identical layer).
 */
export type LayerComposeManifest = Omit<ComposeManifest, 'config'>
