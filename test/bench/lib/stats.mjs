/* global process, setTimeout */
// Numbers: a monotonic clock shared by every process on this host, percentiles,
// medians and spreads across rounds.

/** Milliseconds from CLOCK_MONOTONIC (fractional): comparable across processes on one host. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** Percentile p (0-100) of samples, exact (nearest rank). */
export function percentile (samples, p) {
  if (samples.length === 0) return NaN
  const a = Float64Array.from(samples).sort()
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))]
}

export function median (xs) {
  const a = xs.filter(x => Number.isFinite(x)).sort((x, y) => x - y)
  if (a.length === 0) return NaN
  const m = a.length >> 1
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2
}

/** Median of rounds with min, max and spread = ±half of (max-min)/median, in %. */
export function summarize (xs) {
  const med = median(xs)
  const ok = xs.filter(x => Number.isFinite(x))
  const min = Math.min(...ok); const max = Math.max(...ok)
  return { median: med, min, max, spreadPct: med ? ((max - min) / 2 / med) * 100 : 0, rounds: xs }
}

/** Formats a number with thousands separators. */
export function fmt (x, digits = 0) {
  if (x == null || !Number.isFinite(x)) return 'n/a'
  return Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** `12,345 (±8%)` */
export function fmtSummary (s, digits = 0) {
  return `${fmt(s.median, digits)} (±${fmt(s.spreadPct)}%)`
}

export function ratio (a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN
}

/**
 * Closed loop: `inflight` callers, each awaiting fn(i) before the next call.
 * Bounded by time AND by count. Latencies in ms.
 */
export async function closedLoop (fn, { inflight, durationMs, maxOps = 2_000_000 }) {
  const lat = new Float64Array(maxOps)
  let issued = 0; let done = 0; let errors = 0; let firstError = null
  const start = nowMs(); const end = start + durationMs
  async function caller (w) {
    while (issued < maxOps && nowMs() < end) {
      issued++
      const t0 = nowMs()
      try {
        await fn(w)
        lat[done++] = nowMs() - t0
      } catch (err) {
        errors++
        firstError ??= String(err?.message ?? err)
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, (_, w) => caller(w)))
  const elapsedMs = nowMs() - start
  const l = lat.subarray(0, done)
  return { inflight, ops: done, errors, firstError, perSec: (done / elapsedMs) * 1000, p50: percentile(l, 50), p99: percentile(l, 99) }
}
