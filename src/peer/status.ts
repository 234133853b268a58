// What `GET /status` and `peer.members()` show of the cluster.

import type { MemberInfo, MemberState } from '../membership/view.js'
import type { LeaseStatus } from '../placement/lease-service.js'
import type { TaskServiceStatus } from '../tasks/service.js'

/** One member as a peer sees it (`peer.members()`, `GET /status`). */
export interface MemberSummary {
  id: string
  state: MemberState
  self: boolean
  incarnation: number
  addrs: string[]
  httpUrl: string | null
  hosts: { actors: string[], tasks: string[] }
  version: string
  /** Milliseconds since the member entered its current state, as seen here. */
  stateForMs: number
}

export function summarize(m: MemberInfo, now: number): MemberSummary {
  return {
    id: m.record.id,
    state: m.state,
    self: m.self,
    incarnation: m.record.incarnation,
    addrs: m.record.addrs,
    httpUrl: m.record.httpUrl,
    hosts: m.record.hosts,
    version: m.record.version,
    stateForMs: Math.max(0, Math.round(now - m.since)),
  }
}

/** What `GET /status` and `peer.status()` answer. */
export interface PeerStatus {
  peer: { id: string, incarnation: number, addrs: string[], httpUrl: string | null }
  app: string
  version: string
  uptimeMs: number
  members: MemberSummary[]
  /** This peer's task runner: attempts in flight, partitions waiting for their handover sync, open records. */
  tasks: TaskServiceStatus
  leases: LeaseStatus
  /** Present while a seed list that names this peer has not founded a cluster: why not yet (src/peer/founding.ts). */
  founding?: string
}
