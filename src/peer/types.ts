// The public face of a peer: what createPeer takes (PeerInit) and what it
// returns (Peer). The assembly is in peer.ts.

import type { App } from '../app/app.js'
import type { PeerConfig, PeerConfigInit } from '../config/config.js'
import type { HttpApp } from '../http/index.js'
import type { TaskControl } from '../http/task-routes.js'
import type { LeaseParams } from '../lease/index.js'
import type { MembershipEvents } from '../membership/service.js'
import type { Metrics } from '../ops/index.js'
import type { HolderDirectory, PartitionClaims } from '../placement/claims.js'
import type { LeaseStatus } from '../placement/lease-service.js'
import type { TaskServiceInit } from '../tasks/index.js'
import type { Clock, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { PeerActors } from './context.js'
import type { MemberSummary, PeerStatus } from './status.js'

export interface PeerInit extends PeerConfigInit {
  app?: App
  /** Defaults to a pino logger at `logLevel`. */
  logger?: Logger
  clock?: Clock & WallClock
  timers?: Timers
  random?: Random
  /**
   * The cluster secret: peers without the same one cannot connect (libp2p
   * private network). Without it the cluster is open to anyone who can reach it.
   */
  secret?: string
  /** Task service options (concurrency, replicas, retention, ...); see docs/tasks.md. */
  tasks?: TaskServiceInit
  /** Lease protocol parameters (TTL, partitions, ...); see docs/lease-protocol.md. */
  lease?: Partial<LeaseParams>
  /** Add process CPU, memory and GC metrics to /metrics (one peer per process should; the CLI does). */
  processMetrics?: boolean
  /**
   * The module the app came from (a path), for `cpu: true` tasks: worker
   * threads load it again. Apps loaded with loadApp (and `troupe start`) need not say.
   */
  appModule?: string
  /** Worker threads for `cpu: true` tasks (default: cores - 1, at least 1); none start when the app has no such task. */
  cpuWorkers?: number
  /** Test only: serve /_faults/block and /_faults/heal to cut libp2p links (see src/net/fault-switch.ts). */
  faults?: boolean
  /**
   * Bearer token for the admin routes (every /tasks route, the dashboard's
   * Retry and Cancel). Without one they answer only on a loopback address.
   */
  adminToken?: string
  /** When set, actions (/api/<name>) need this token (or the admin token). */
  actionToken?: string
}

export type PeerEvents = MembershipEvents

export interface Peer {
  readonly id: string
  /** Dialable multiaddrs, each ending in /p2p/<id>. */
  readonly multiaddrs: string[]
  /** `http://host:port`, or null when HTTP is off. */
  readonly httpUrl: string | null
  readonly incarnation: number
  /** The peer's Hono app: `peer.http.request('/status')` works without a socket. */
  readonly http: HttpApp
  readonly config: PeerConfig
  /** The peer's Prometheus registry and metric handles, served at /metrics. */
  readonly metrics: Metrics
  /** The lease partitions this peer holds now, with fences; news of changes. */
  readonly leases: PartitionClaims & HolderDirectory & { status(): LeaseStatus }
  /** Tell, ask and schedule messages to actors anywhere in the cluster. */
  readonly actors: PeerActors
  /** Enqueue and inspect tasks; cancel, retry and delete them from any peer. */
  readonly tasks: TaskControl
  members(): MemberSummary[]
  status(): PeerStatus
  /**
   * Work in progress on this peer now: task attempts running and actor
   * activations. A graceful stop waits for both; `troupe start` shows them
   * while it stops. Read-only.
   */
  activity(): { tasksRunning: number, actorsActive: number }
  on<E extends keyof PeerEvents>(event: E, listener: (...args: PeerEvents[E]) => void): this
  off<E extends keyof PeerEvents>(event: E, listener: (...args: PeerEvents[E]) => void): this
  once<E extends keyof PeerEvents>(event: E, listener: (...args: PeerEvents[E]) => void): this
  /** Leaves the cluster (members are told at once) and releases the data folder. */
  stop(): Promise<void>
}

