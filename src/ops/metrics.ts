// Every metric a peer exports, on its own prom-client Registry: several peers
// live side by side in one test process, so nothing touches the global
// default registry. Counters are incremented through the small meters of
// meters.ts, which each plane receives; gauges of current state are read at
// scrape time from the sources given to the `track*` methods.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MemberState } from '../membership/view.js'
import type { TaskEvent } from '../tasks/meter.js'
import { LabelledHistogram } from './histogram.js'

export type { TaskEvent } from '../tasks/meter.js'

/** Every state is exported, at 0 when empty, so a dashboard sees `dead 0` rather than no series. */
const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left']
export const TASK_EVENTS: readonly TaskEvent[] = ['enqueued', 'claimed', 'completed', 'failed', 'retried']

/** Seconds. From 1 ms to the default action timeout (30 s) and a little past it. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export type WireDirection = 'in' | 'out'

export interface MetricsInit {
  /** Also export the process metrics (CPU, memory, event loop lag, GC). One peer per process should. Default false. */
  processMetrics?: boolean
}

/** Per actor type, now: what `trackActors` reads at each scrape. */
export type ActorGauges = Record<string, { activations: number, mailboxDepth: number }>

export interface Metrics {
  readonly registry: Registry
  /** Labels: action (a known action name, a fixed route such as `/status`, or `other`), method, status. */
  readonly httpRequests: LabelledHistogram<'action' | 'method' | 'status'>
  /** Labels: state. Filled at scrape time from the source given to `trackMembers`. */
  readonly members: Gauge<'state'>
  /** Labels: direction (`in` | `out`). Counted by whoever sees frames: see `countFrame`. */
  readonly wireFrames: Counter<'direction'>
  readonly wireBytes: Counter<'direction'>
  /** Frames and bytes counted by `countFrame` since the last scrape; the two counters above take them in when scraped. */
  readonly wireTally: Record<WireDirection, { frames: number, bytes: number }>
  /** One counter per event (`troupe_tasks_<event>_total`), labelled by task (a task name defined by the app). */
  readonly tasks: Readonly<Record<TaskEvent, Counter<'task'>>>
  /** Attempt durations. Labels: task, outcome (ok, error, timeout, cancelled, lost, aborted). */
  readonly taskDuration: Histogram<'task' | 'outcome'>
  /** Task gossip messages and bytes. Labels: direction (`out` published, `in` accepted). */
  readonly gossipMessages: Counter<'direction'>
  readonly gossipBytes: Counter<'direction'>
  /** Gossip messages rejected by validation (the sender's gossipsub score drops). Labels: reason. */
  readonly gossipRejected: Counter<'reason'>
  /** Gossip messages ignored (dropped without penalty). Labels: reason. */
  readonly gossipIgnored: Counter<'reason'>
  /** Anti-entropy exchanges this peer started. Labels: outcome (`ok` | `error`). */
  readonly syncRounds: Counter<'outcome'>
  /** Records moved by those exchanges. Labels: direction (`pulled` | `pushed`). */
  readonly syncRecords: Counter<'direction'>
  /** Lease rounds this peer ran as proposer. */
  readonly leaseRounds: Counter
  /** Partition entries those rounds carried (keys per round = this / leaseRounds). */
  readonly leaseRoundEntries: Counter
  readonly leaseAcquired: Counter
  /** Partitions this peer stopped holding. Labels: reason (`released` = handed over, `expired`, `config`). */
  readonly leaseHandovers: Counter<'reason'>
  /** Filled at scrape time from `trackLeases`. */
  readonly leasesHeld: Gauge
  /** Labels: actor (an actor type defined by the app). */
  readonly actorMessages: Counter<'actor'>
  /** Labels: actor. Both filled at scrape time from `trackActors`. */
  readonly mailboxDepth: Gauge<'actor'>
  readonly actorActivations: Gauge<'actor'>
  /** Sets where the members gauge reads from at each scrape (e.g. `() => peer.members()`). */
  trackMembers(source: () => ReadonlyArray<{ state: MemberState }>): void
  /** Sets where `troupe_leases_held` reads from at each scrape. */
  trackLeases(source: () => number): void
  /** Sets where the mailbox depth and activations gauges read from at each scrape. */
  trackActors(source: () => ActorGauges): void
}

export function createMetrics(init: MetricsInit = {}): Metrics {
  const registry = new Registry()
  const registers = [registry]
  let memberSource: () => ReadonlyArray<{ state: MemberState }> = () => []
  let leaseSource: () => number = () => 0
  let actorSource: () => ActorGauges = () => ({})
  const members = new Gauge({
    name: 'troupe_members', help: 'Members of the cluster as seen by this peer, by state', labelNames: ['state'], registers,
    collect() {
      const counts = new Map<string, number>(MEMBER_STATES.map(s => [s, 0]))
      for (const m of memberSource()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1)
      for (const [state, n] of counts) this.set({ state }, n)
    },
  })
  const actorGauge = (name: string, help: string, field: 'activations' | 'mailboxDepth'): Gauge<'actor'> => new Gauge({
    name, help, labelNames: ['actor'], registers,
    collect() {
      for (const [actor, s] of Object.entries(actorSource())) this.set({ actor }, s[field])
    },
  })
  if (init.processMetrics === true) collectDefaultMetrics({ register: registry })
  // A frame costs two additions here; prom-client's labelled inc (a label hash per call) runs once per scrape.
  const wireTally: Metrics['wireTally'] = { in: { frames: 0, bytes: 0 }, out: { frames: 0, bytes: 0 } }
  const wireCounter = (name: string, help: string, field: 'frames' | 'bytes'): Counter<'direction'> => new Counter({
    name, help, labelNames: ['direction'], registers,
    collect() {
      for (const direction of ['in', 'out'] as const) {
        const n = wireTally[direction][field]
        if (n === 0) continue
        wireTally[direction][field] = 0
        this.inc({ direction }, n)
      }
    },
  })
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> => new Counter({ name, help, labelNames, registers })
  return {
    registry,
    members,
    // Observed on every request: our own histogram (same export), not prom-client's per-call label checks.
    httpRequests: new LabelledHistogram({ name: 'troupe_http_request_duration_seconds', help: 'HTTP requests by action, method and status', labelNames: ['action', 'method', 'status'], buckets: HTTP_DURATION_BUCKETS, registers }),
    wireFrames: wireCounter('troupe_wire_frames_total', 'Wire frames by direction', 'frames'),
    wireBytes: wireCounter('troupe_wire_bytes_total', 'Wire bytes (frame headers included) by direction', 'bytes'),
    wireTally,
    tasks: Object.fromEntries(TASK_EVENTS.map(e => [e, counter(`troupe_tasks_${e}_total`, `Tasks ${e} on this peer, by task name`, ['task'])])) as Record<TaskEvent, Counter<'task'>>,
    taskDuration: new Histogram({ name: 'troupe_task_duration_seconds', help: 'Task attempts by task name and outcome', labelNames: ['task', 'outcome'], buckets: HTTP_DURATION_BUCKETS, registers }),
    gossipMessages: counter('troupe_gossip_messages_total', 'Task gossip messages published (out) and accepted (in)', ['direction']),
    gossipBytes: counter('troupe_gossip_bytes_total', 'Task gossip bytes published (out) and accepted (in)', ['direction']),
    gossipRejected: counter('troupe_gossip_rejected_total', 'Task gossip messages rejected by validation (the sender is penalised), by reason', ['reason']),
    gossipIgnored: counter('troupe_gossip_ignored_total', 'Task gossip messages ignored without penalty, by reason', ['reason']),
    syncRounds: counter('troupe_sync_rounds_total', 'Task anti-entropy exchanges this peer started, by outcome', ['outcome']),
    syncRecords: counter('troupe_sync_records_total', 'Task records pulled into and pushed from this peer by anti-entropy', ['direction']),
    leaseRounds: counter('troupe_lease_rounds_total', 'Lease rounds this peer ran as proposer (acquisitions and renewals)'),
    leaseRoundEntries: counter('troupe_lease_round_entries_total', 'Partition entries in the lease rounds this peer ran as proposer (keys per round: divide by troupe_lease_rounds_total)'),
    leaseAcquired: counter('troupe_lease_acquired_total', 'Partitions this peer acquired'),
    leaseHandovers: counter('troupe_lease_handovers_total', 'Partitions this peer stopped holding, by reason (released = handed over)', ['reason']),
    leasesHeld: new Gauge({ name: 'troupe_leases_held', help: 'Partitions this peer holds now', registers, collect() { this.set(leaseSource()) } }),
    actorMessages: counter('troupe_actor_messages_total', 'Messages accepted into actor mailboxes on this peer, by actor type', ['actor']),
    mailboxDepth: actorGauge('troupe_actor_mailbox_depth', 'Messages waiting in actor mailboxes on this peer, by actor type', 'mailboxDepth'),
    actorActivations: actorGauge('troupe_actor_activations', 'Actors active on this peer, by actor type', 'activations'),
    trackMembers(source) {
      memberSource = source
    },
    trackLeases(source) {
      leaseSource = source
    },
    trackActors(source) {
      actorSource = source
    },
  }
}

/** For the wire layer (or a wrapper around it): one frame of `bytes` bytes went `direction`. */
export function countFrame(metrics: Metrics, direction: WireDirection, bytes: number): void {
  const tally = metrics.wireTally[direction]
  tally.frames++
  tally.bytes += bytes
}

/** For the task layer: `task` went through `event`. */
export function countTask(metrics: Metrics, task: string, event: TaskEvent): void {
  metrics.tasks[event].inc({ task })
}
