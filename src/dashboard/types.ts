// What the dashboard reads, and what `GET /dashboard/state` answers. The
// dashboard is handed these functions, never the peer.

import type { TypeStats } from '../actors/host.js'
import type { MemberState } from '../membership/view.js'
import type { PeerStatus } from '../peer/status.js'
import type { TaskOverview } from '../tasks/store.js'
import type { TaskState } from '../tasks/record.js'
import type { Clock, Timers, WallClock } from '../util/clock.js'

export interface DashboardSources {
  /** This peer, its members and its leases (what `GET /status` serves). */
  status: () => PeerStatus
  /** The task records this peer has (replicated cluster-wide): counts by state and the newest rows, read without a scan. */
  tasks: { overview(rows: number): TaskOverview }
  /** Actor activations and mailbox depth by type, on this peer. */
  actors: () => Record<string, TypeStats>
  /** How many lease partitions the cluster has. */
  partitions: number
  /** A counter: task attempts finished on this peer since start. */
  tasksFinished: () => number
  clock: Clock & WallClock
  timers: Timers
  /** The peer's shutdown: stops the sampler. */
  signal?: AbortSignal
  /** Asks another member's `GET /status` (default: fetch with a short timeout). */
  fetchStatus?: (httpUrl: string) => Promise<PeerStatus>
}

export interface MemberView {
  id: string
  state: MemberState
  self: boolean
  incarnation: number
  httpUrl: string | null
  stateForMs: number
  voter: boolean
  /** Partitions it reports holding; null when it did not answer (or is not alive). */
  held: number | null
  version: string
}

export interface TaskRow {
  id: string
  name: string
  scope: string
  state: TaskState
  round: number
  attempts: number
  /** The peer of the latest attempt. */
  peer: string | null
  /** Wall ms. */
  updatedAt: number
  error: string | null
}

export interface ThroughputPoint {
  /** Wall ms at the end of the bucket (the last one is still filling). */
  at: number
  tasks: number
  requests: number
}

export interface DashboardState {
  /** Wall ms. */
  at: number
  self: { id: string, incarnation: number, app: string, version: string, uptimeMs: number, httpUrl: string | null }
  members: MemberView[]
  leases: { partitions: number, cfg: number, voters: string[], holders: Array<string | null> }
  tasks: { counts: Record<TaskState, number>, total: number, recent: TaskRow[], failures: TaskRow[] }
  actors: Array<{ type: string } & TypeStats>
  throughput: { bucketMs: number, points: ThroughputPoint[] }
}
