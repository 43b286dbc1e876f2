// Shell text for values: every literal goes through shell-quote; our own files through "$wrapgen_dir".
import { quote } from 'shell-quote'
import type { Part, Value } from '../plan/types.js'

/**
 * One literal as a shell word. Plain words stay bare and words without a single quote are single-
 * quoted (shell-quote would backslash-escape `:` `=` `@`, which shellcheck flags as SC1001 and readers
 * stumble on); anything holding a single quote is left to shell-quote.
 */
export function q(s: string): string {
  if (/^[A-Za-z0-9_./-]+$/.test(s)) return s
  // A backslash just before a closing single quote reads as an attempt to escape it (shellcheck
  // SC1003): trailing backslashes go outside the quotes, each as \\.
  const tail = /\\+$/.exec(s)?.[0] ?? ''
  if (tail && tail.length < s.length && !s.includes("'")) return `'${s.slice(0, -tail.length)}'${tail.replace(/\\/g, '\\\\')}`
  if (tail !== '' && tail === s) return tail.replace(/\\/g, '\\\\')
  if (!s.includes("'")) return `'${s}'`
  return quote([s])
}

/** Joins adjacent literal parts so each quoted run is as readable as it can be. */
function merge(v: Value): Part[] {
  const out: Part[] = []
  for (const p of v) {
    const last = out[out.length - 1]
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p
    else if (p !== '') out.push(p)
  }
  return out
}

/**
 * One shell word that expands to the value, byte for byte, with no splitting or globbing. A newline
 * becomes "$wrapgen_nl" (set once at the top of the script), so every generated line stays one line
 * and the template can indent it safely.
 */
export function shellWord(v: Value): string {
  const parts = merge(v)
  if (parts.length === 0) return "''"
  const literal = (s: string): string => s.split('\n').map((piece) => (piece === '' ? '' : q(piece))).join('"$wrapgen_nl"') || "''"
  return parts.map((p) => (typeof p === 'string' ? literal(p) : p.nodeOptions ? nodeOptionsPath(p.file) : `"$wrapgen_dir"${q(`/${p.file}`)}`)).join('')
}

/** A file of ours as a NODE_OPTIONS word: "$wrapgen_nq" is `"` when the folder holds a space (set by the wrapper). */
function nodeOptionsPath(file: string): string {
  // One double-quoted word (shellcheck SC2140 flags "a"'b'"c"): our own file names are plain.
  if (!/^[A-Za-z0-9_.-]+$/.test(file)) throw new Error(`a file of ours with an unusual name: ${file}`)
  return `"$wrapgen_nq$wrapgen_dir/${file}$wrapgen_nq"`
}

/** A value as comment text (a script's or a Dockerfile's): on one line whatever it holds (JSON escapes every control character). */
export const commentText = (s: string): string => (/^[A-Za-z0-9_./@:+-]+$/.test(s) ? s : JSON.stringify(s))
