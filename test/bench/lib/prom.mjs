/* global fetch, AbortSignal */
// Scrapes a peer's GET /metrics (Prometheus text format) into totals by family:
// the samples of one family are summed over their labels (\`name\`), and each
// labelled sample is kept too (\`name{label="value"}\`).

/** `{ troupe_lease_rounds_total: 12, ... }` for the families whose name starts with `prefix`. */
export async function scrape (httpUrl, { prefix = 'troupe_lease', timeoutMs = 5_000 } = {}) {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`${httpUrl}/metrics: HTTP ${res.status}`)
  const totals = {}
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith(prefix)) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m === null) continue
    totals[m[1]] = (totals[m[1]] ?? 0) + Number(m[3])
    if (m[2] !== undefined) totals[m[1] + m[2]] = Number(m[3])
  }
  return totals
}

/** b - a, family by family (a missing family counts as 0). */
export function diff (b, a = {}) {
  const out = {}
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out[k] = (b[k] ?? 0) - (a[k] ?? 0)
  return out
}

/** Family-by-family sum of several scrapes. */
export function sum (scrapes) {
  const out = {}
  for (const s of scrapes) for (const [k, v] of Object.entries(s)) out[k] = (out[k] ?? 0) + v
  return out
}
