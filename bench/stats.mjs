// The statistics and number formatting every benchmark reports with (bench/run.mjs, bench/hooks.mjs).
export const sorted = (xs) => [...xs].sort((a, b) => a - b)
export const quantile = (xs, q) => {
  const s = sorted(xs)
  const i = (s.length - 1) * q
  const lo = Math.floor(i)
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo)
}
export const median = (xs) => quantile(xs, 0.5)
export const stat = (xs) => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length })
export const f = (v, d = 2) => (v === undefined || Number.isNaN(v) ? '?' : v.toFixed(d))
export const signed = (v) => `${v >= 0 ? '+' : '−'}${f(Math.abs(v))}`
export const spread = (s) => `${f(s.median)} (IQR ${f(s.q1)}–${f(s.q3)})`

/**
 * A distribution-free 95 % confidence interval of the median (the order statistics the sign test
 * gives: ranks n/2 ∓ 1.96·√n/2). For paired differences that swing with the machine's load, more
 * rounds narrow it where the IQR does not: a verdict can rest on it.
 */
export const medianCI = (xs) => {
  const s = sorted(xs)
  const n = s.length
  const h = 0.98 * Math.sqrt(n)
  const lo = Math.max(0, Math.floor(n / 2 - h))
  const hi = Math.min(n - 1, Math.ceil(n / 2 + h) - 1)
  return { lo: s[lo], hi: s[hi] }
}
