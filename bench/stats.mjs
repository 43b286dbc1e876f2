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
