// Who holds which lease partition, cluster-wide. A peer knows for sure only
// the partitions it holds itself, so the dashboard asks every live member's
// `GET /status` (in parallel, with a short timeout) and puts the answers
// together. A member that does not answer shows as unknown, not as empty.

import type { PeerStatus } from '../peer/status.js'

export const STATUS_TIMEOUT_MS = 800

export interface ClusterLeases {
  /** For each partition, the peer that reports holding it, or null. */
  holders: Array<string | null>
  /** Per peer id: how many partitions it reports, or null when it did not answer. */
  held: Map<string, number | null>
}

export type FetchStatus = (httpUrl: string) => Promise<PeerStatus>

export async function fetchStatus(httpUrl: string): Promise<PeerStatus> {
  const res = await fetch(new URL('/status', httpUrl), { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) })
  if (!res.ok) throw new Error(`${httpUrl}/status answered ${res.status}`)
  return await res.json() as PeerStatus
}

export async function clusterLeases(status: PeerStatus, partitions: number, ask: FetchStatus): Promise<ClusterLeases> {
  const holders = new Array<string | null>(partitions).fill(null)
  const held = new Map<string, number | null>()
  const mark = (id: string, reported: PeerStatus['leases']['held']): void => {
    let n = 0
    for (const h of reported) {
      if (!Number.isInteger(h.partition) || h.partition < 0 || h.partition >= partitions || !(h.validForMs > 0)) continue
      holders[h.partition] = id
      n++
    }
    held.set(id, n)
  }
  mark(status.peer.id, status.leases.held)
  const others = status.members.filter(m => !m.self && m.httpUrl !== null && (m.state === 'alive' || m.state === 'suspect'))
  const answers = await Promise.allSettled(others.map(m => ask(m.httpUrl!)))
  answers.forEach((answer, i) => {
    const id = others[i]!.id
    const reported = answer.status === 'fulfilled' ? answer.value : undefined
    if (reported?.peer?.id === id && Array.isArray(reported.leases?.held)) mark(id, reported.leases.held)
    else held.set(id, null)
  })
  return { holders, held }
}
