// "Did you mean" for misspelt keys: the closest candidate within a small edit distance.

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

/**
 * The candidate nearest `word`; among equally near ones, the first, or with `prefer` the greatest by it
 * (runtime ids: the newest version, so "python3.15" suggests python3.14, not python3.10).
 */
export function closest(word: string, candidates: readonly string[], prefer?: (a: string, b: string) => number): string | undefined {
  let best: string | undefined
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const c of candidates) {
    const d = distance(word, c)
    if (d < bestD || (d === bestD && best !== undefined && prefer !== undefined && prefer(c, best) > 0)) [best, bestD] = [c, d]
  }
  return best
}

/** Runtime ids by version: nodejs24.x after nodejs22.x, python3.14 after python3.9. */
export const byVersion = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })
