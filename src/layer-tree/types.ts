// A layer as Lambda unpacks it into /opt, in memory: its entries with modes and symlinks, and what
// differs when two layers ship the same path.

/** One entry of a layer's /opt tree. Paths are relative to /opt with `/` separators, no trailing `/`. */
export type TreeEntry =
  | { readonly kind: 'file'; readonly mode: number; readonly data: Uint8Array; readonly sha256: string }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'dir'; readonly mode: number }

export type Tree = ReadonlyMap<string, TreeEntry>

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
