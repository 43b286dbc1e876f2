// JSON values as Python and Ruby literals, for the hook lists rendered into the runners: no parser to
// load at start-up, and no value can become code (Ruby strings are single-quoted: no interpolation).

export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  // JSON string escapes (\" \\ \n \uXXXX) mean the same in a Python string literal.
  if (typeof v === 'string' || typeof v === 'number') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(', ')}}`
}

// Single-quoted (no interpolation) unless it holds a control character: Ruby reads a CR before a
// newline in its source as a plain newline, so those go double-quoted, every one escaped and `#`
// escaped too (no interpolation there either). Found by the property test of test/security/inputs.ts.
const CONTROL = /[\u0000-\u001f\u007f]/
const rbString = (s: string): string => CONTROL.test(s)
  ? `"${[...s].map((c) => (c === '"' || c === '\\' || c === '#' ? `\\${c}` : CONTROL.test(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')}".freeze`
  : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'.freeze`

export function rbLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'nil'
  if (typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return rbString(v)
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(rbLiteral).join(', ')}]`
  return `{ ${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${rbString(k)} => ${rbLiteral(x)}`).join(', ')} }`
}
