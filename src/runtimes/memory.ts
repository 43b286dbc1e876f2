// The memory size a command assumes when none is given: Lambda's own default for a new function,
// the same for print and invoke (verify checks a list that includes it).
export const DEFAULT_MEMORY_MB = 128
