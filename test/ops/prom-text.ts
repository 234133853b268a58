// Reads the Prometheus text format as a scraper would: each sample line
// becomes `series -> value`, where series is the name with its labels as
// written (`troupe_tasks_completed_total{task="x"}`).

export type Samples = Map<string, number>

export function parseSamples(text: string): Samples {
  const out: Samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)))
  }
  return out
}

export async function scrape(httpUrl: string): Promise<Samples> {
  const res = await fetch(`${httpUrl}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  return parseSamples(await res.text())
}

/** The value of `series` (0 when absent), summed over several scrapes. */
export function total(scrapes: readonly Samples[], series: string): number {
  return scrapes.reduce((n, s) => n + (s.get(series) ?? 0), 0)
}

/** The sum of every series of the family `name` (any labels) over several scrapes. */
export function familyTotal(scrapes: readonly Samples[], name: string): number {
  let n = 0
  for (const s of scrapes) for (const [series, v] of s) if (series === name || series.startsWith(`${name}{`)) n += v
  return n
}
