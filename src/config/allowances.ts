// The deliberate changes a wrapper may make that `wrapgen verify` accepts when told to (`--allow`, a
// config's `chain: [{ path, allow }]`, a composed layer's compose.json). Read by verify and compose.

/** Deliberate changes some vendors document, each accepted only when the user says so. */
export const ALLOWANCES = ['handler', 'runtime-api', 'replace-runtime', 'option-change'] as const
export type Allowance = (typeof ALLOWANCES)[number]
