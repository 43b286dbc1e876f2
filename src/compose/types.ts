// compose's data: the input layers (trees in memory: layer-tree/types.ts) and what each vendor's wrapper
// does. The manifest the composed layer carries is in layer-tree/compose-manifest.ts (verify reads it).
import type { Tree } from '../layer-tree/types.js'
import type { WrapperKind } from '../layer-tree/compose-manifest.js'

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
