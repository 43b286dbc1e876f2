// What wrapgen prints goes to a terminal, and much of it was written by code wrapgen did not write: a
// wrapper's stderr in verify's report, a function's and its extensions' logs in invoke's, a vendor's
// wrapper's error in compose's, a zip entry's name in an error. A control character there is an
// instruction to the terminal (a title, a cleared screen, a cursor moved back over "FAIL" to print
// "PASS"), so every one is shown escaped; only newlines and tabs, which wrapgen's own text uses, stay.

// C0 but \t and \n, DEL, C1, and the bidirectional overrides and isolates that reorder what is shown.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

// JSON's own escapes, so --json output stays JSON (JSON.stringify leaves DEL, C1 and the bidi marks raw).
const escape = (c: string): string => (c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** `text` with every control character but newline and tab shown as an escape (`\u001b`, `\r`, `\u202e`). */
export const safeText = (text: string): string => text.replace(CONTROL, escape)
