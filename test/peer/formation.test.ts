// A cluster forming as the README's walkthrough starts one (a first peer,
// then two joining it; real processes, the default app): every actor ask sent
// to any peer meanwhile is answered. Two things used to fail such asks for
// seconds: a joining peer is where placement heads for some partitions before
// it holds them (it now asks a voter who does), and after the voter set grows
// from one to three the new voters pull every saved state before they count
// as caught up (their copies now count toward a read's majority beside the
// first voter's, which has caught up).

import { afterEach, describe, expect, it } from 'vitest'
import { CliPeers, FAST_LEASE_MS, leaseView } from '../helpers/cli-peers.js'

const cli = new CliPeers()
afterEach(() => cli.cleanup())

/** How long the first peer runs alone, as when its address is copied into the next commands. */
const ALONE_MS = 3_000
/** Asks go on until the voter set has grown to three (configStableMs after the joins, 5 s) and this long after (the catch-up). */
const AFTER_GROWTH_MS = 4_000
/** The growth must come within this long of the joiners' start. */
const GROWTH_WITHIN_MS = 30_000

describe('actors while a cluster forms', () => {
  it('every ask sent to any of its peers from the joiners\' start on is answered, through the voter set\'s growth', async () => {
    const extra = ['--lease-ms', String(FAST_LEASE_MS)]
    const a = await cli.start({ extra })
    await new Promise(resolve => setTimeout(resolve, ALONE_MS))
    const [b, c] = await Promise.all([cli.start({ extra, seed: a.p2p }), cli.start({ extra, seed: a.p2p })])
    const peers = [a, b!, c!]
    const failures: string[] = []
    let asked = 0
    const started = Date.now()
    let grewAt: number | undefined
    while (grewAt === undefined || Date.now() < grewAt + AFTER_GROWTH_MS) {
      for (const p of peers) {
        // A fresh actor each time: every ask activates one, reading its state from the voters.
        const key = `formation-${asked++}`
        const res = await fetch(`${p.http}/api/counter?key=${key}&by=1`)
        const body = await res.text()
        if (res.status !== 200 || (JSON.parse(body) as { count?: number }).count !== 1) failures.push(`${key} at ${p.http}: ${res.status} ${body.slice(0, 200)}`)
      }
      if (grewAt === undefined && (await leaseView(a)).voters.length === 3) grewAt = Date.now()
      if (grewAt === undefined && Date.now() - started > GROWTH_WITHIN_MS) throw new Error(`the voter set did not grow to 3 within ${GROWTH_WITHIN_MS} ms`)
    }
    expect(failures).toEqual([])
    expect(asked).toBeGreaterThan(30)
  })
})
