// Where untrusted code runs: in the sandbox, or path-mapped on the host (the Lambda tree under a temp
// folder, no namespaces). The decisions every command makes the same way live here.
export type Mode = 'sandboxed' | 'path-mapped'

/** The mode asked for; `auto` (or nothing): sandboxed where bubblewrap works, else path-mapped. */
export function pickMode(asked: Mode | 'auto' | undefined, available: boolean): Mode {
  return asked === 'sandboxed' || asked === 'path-mapped' ? asked : available ? 'sandboxed' : 'path-mapped'
}

/**
 * Why code wrapgen did not write would run on this host when `asked` (undefined: it would run in the
 * sandbox). Such a run needs the user's --unsafe-host.
 */
export function hostRunReason(asked: Mode | 'auto' | undefined, available: boolean): string | undefined {
  if (!available) return 'bubblewrap (bwrap) is not installed or cannot make namespaces here'
  return asked === 'path-mapped' ? '--mode path-mapped would run it on this host' : undefined
}
