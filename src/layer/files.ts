// The layer as files in memory: paths as they appear under /opt, unix modes, contents.
export interface LayerFile {
  /** Relative to /opt, with `/` separators. */
  readonly path: string
  /** Unix permission bits: 0o755 for the wrapper (Lambda exits 126 without them), 0o644 otherwise. */
  readonly mode: number
  readonly contents: Uint8Array
}

export const sortFiles = (files: readonly LayerFile[]): LayerFile[] => [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
