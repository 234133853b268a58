// Waiting for lease placement to settle: after peers join, partitions move to
// their preferred holders for a few seconds. Tests that count runs of "any"
// tasks wait for a quiet spell, so they measure a cluster where nothing changes.

import type { Peer } from '../../src/index.js'
import { waitFor } from './wait.js'

function snapshot(peers: Peer[], partitions: number): string {
  const holders: string[] = []
  for (let p = 0; p < partitions; p++) holders.push(peers.find(peer => peer.leases.held(p) !== undefined)?.id ?? '-')
  return holders.join(',')
}

/** Resolves once every partition is held and no holder changed for `quietMs`. */
export async function placementSettled(peers: Peer[], partitions: number, quietMs = 1_500, timeoutMs = 30_000): Promise<void> {
  let last = ''
  let since = performance.now()
  await waitFor(`lease placement to settle for ${quietMs} ms`, () => {
    const now = snapshot(peers, partitions)
    if (now !== last) {
      last = now
      since = performance.now()
      return false
    }
    return !now.includes('-') && performance.now() - since >= quietMs
  }, timeoutMs, 50)
}
