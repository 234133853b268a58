// Every metric a peer exports, on its own prom-client Registry: several peers
// live side by side in one test process, so nothing touches the global
// default registry. Handles for parts that do not exist yet (tasks, leases,
// actors) are defined now so that later code only increments them.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MemberState } from '../membership/view.js'

/** Every state is exported, at 0 when empty, so a dashboard sees `dead 0` rather than no series. */
const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left']

/** Seconds. From 1 ms to the default action timeout (30 s) and a little past it. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export type WireDirection = 'in' | 'out'
export type TaskEvent = 'enqueued' | 'claimed' | 'completed' | 'failed' | 'retried'

export interface MetricsInit {
  /** Also export the process metrics (CPU, memory, event loop lag, GC). One peer per process should. Default false. */
  processMetrics?: boolean
}

export interface Metrics {
  readonly registry: Registry
  /** Labels: action (a known action name, a fixed route such as `/status`, or `other`), method, status. */
  readonly httpRequests: Histogram<'action' | 'method' | 'status'>
  /** Labels: state. Filled at scrape time from the source given to `trackMembers`. */
  readonly members: Gauge<'state'>
  /** Labels: direction (`in` | `out`). Counted by whoever sees frames: see `countFrame`. */
  readonly wireFrames: Counter<'direction'>
  readonly wireBytes: Counter<'direction'>
  /** Labels: task (a task name defined by the app), event. */
  readonly tasks: Counter<'task' | 'event'>
  readonly taskDuration: Histogram<'task' | 'outcome'>
  /** Labels: outcome (e.g. `won`, `lost`, `timeout`). */
  readonly leaseRounds: Counter<'outcome'>
  readonly leaseHandovers: Counter
  readonly leasesHeld: Gauge
  /** Labels: actor (an actor type defined by the app). */
  readonly actorMessages: Counter<'actor'>
  readonly mailboxDepth: Gauge<'actor'>
  /** Sets where the members gauge reads from at each scrape (e.g. `() => peer.members()`). */
  trackMembers(source: () => ReadonlyArray<{ state: MemberState }>): void
}

export function createMetrics(init: MetricsInit = {}): Metrics {
  const registry = new Registry()
  const registers = [registry]
  let memberSource: () => ReadonlyArray<{ state: MemberState }> = () => []
  const members = new Gauge({
    name: 'troupe_members', help: 'Members of the cluster as seen by this peer, by state', labelNames: ['state'], registers,
    collect() {
      const counts = new Map<string, number>(MEMBER_STATES.map(s => [s, 0]))
      for (const m of memberSource()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1)
      for (const [state, n] of counts) this.set({ state }, n)
    },
  })
  if (init.processMetrics === true) collectDefaultMetrics({ register: registry })
  return {
    registry,
    members,
    httpRequests: new Histogram({ name: 'troupe_http_request_duration_seconds', help: 'HTTP requests by action, method and status', labelNames: ['action', 'method', 'status'], buckets: HTTP_DURATION_BUCKETS, registers }),
    wireFrames: new Counter({ name: 'troupe_wire_frames_total', help: 'Wire frames by direction', labelNames: ['direction'], registers }),
    wireBytes: new Counter({ name: 'troupe_wire_bytes_total', help: 'Wire bytes (frame headers included) by direction', labelNames: ['direction'], registers }),
    tasks: new Counter({ name: 'troupe_tasks_total', help: 'Task events by task name and event (enqueued, claimed, completed, failed, retried)', labelNames: ['task', 'event'], registers }),
    taskDuration: new Histogram({ name: 'troupe_task_duration_seconds', help: 'Task runs by task name and outcome', labelNames: ['task', 'outcome'], buckets: HTTP_DURATION_BUCKETS, registers }),
    leaseRounds: new Counter({ name: 'troupe_lease_rounds_total', help: 'Lease protocol rounds by outcome', labelNames: ['outcome'], registers }),
    leaseHandovers: new Counter({ name: 'troupe_lease_handovers_total', help: 'Leases that moved to another holder', registers }),
    leasesHeld: new Gauge({ name: 'troupe_leases_held', help: 'Leases this peer holds now', registers }),
    actorMessages: new Counter({ name: 'troupe_actor_messages_total', help: 'Messages handled by actors, by actor type', labelNames: ['actor'], registers }),
    mailboxDepth: new Gauge({ name: 'troupe_actor_mailbox_depth', help: 'Messages waiting in actor mailboxes, by actor type', labelNames: ['actor'], registers }),
    trackMembers(source) {
      memberSource = source
    },
  }
}

/** For the wire layer (or a wrapper around it): one frame of `bytes` bytes went `direction`. */
export function countFrame(metrics: Metrics, direction: WireDirection, bytes: number): void {
  metrics.wireFrames.inc({ direction })
  metrics.wireBytes.inc({ direction }, bytes)
}

/** For the task layer: `task` went through `event`. */
export function countTask(metrics: Metrics, task: string, event: TaskEvent): void {
  metrics.tasks.inc({ task, event })
}
