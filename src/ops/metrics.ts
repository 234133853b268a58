// Every metric a peer exports, on its own prom-client Registry: several peers
// live side by side in one test process, so nothing touches the global
// default registry. The planes count through the small meters of meters.ts
// into plain tallies (a count is an addition); gauges of current state are
// read at scrape time from the sources given to the `track*` methods.
//
// prom-client itself is loaded, and the registry built, on first use of
// `registry` or of a prom-client handle (in a peer: the first scrape of
// `GET /metrics`): an idle peer nobody scrapes never pays for it (~4 MB of
// RSS with the process metrics, docs/limits.md). The tallies are folded into
// the registry's counters at each scrape, so nothing counted before is lost.

import { createRequire } from 'node:module'
import type * as PromClientModule from 'prom-client'
import type { Counter, Gauge, Registry } from 'prom-client'
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
  /** Also export the process metrics (CPU, memory, event loop lag, GC), from the registry's first use on. One peer per process should. Default false. */
  processMetrics?: boolean
}

/** Per actor type, now: what `trackActors` reads at each scrape. */
export type ActorGauges = Record<string, { activations: number, mailboxDepth: number }>

/** One label value's count since the last scrape. */
export interface TallyCell {
  n: number
}

/**
 * A counter's increments since the last scrape, by the value of its one label ('' for a counter without labels).
 * Keep a cell and add to its `n`: no lookup per count.
 */
export class Tally {
  private readonly cells = new Map<string, TallyCell>()

  cell(value = ''): TallyCell {
    let c = this.cells.get(value)
    if (c === undefined) this.cells.set(value, c = { n: 0 })
    return c
  }

  add(value: string, n = 1): void {
    this.cell(value).n += n
  }

  /** Hands each non-zero count to `fold` and zeroes it. */
  drain(fold: (value: string, n: number) => void): void {
    for (const [value, c] of this.cells) {
      if (c.n === 0) continue
      const n = c.n
      c.n = 0
      fold(value, n)
    }
  }
}

/** The tallies behind the counters (see `Metrics.counts`). */
export interface MetricCounts {
  readonly wireFrames: Tally
  readonly wireBytes: Tally
  readonly tasks: Readonly<Record<TaskEvent, Tally>>
  readonly gossipMessages: Tally
  readonly gossipBytes: Tally
  readonly gossipRejected: Tally
  readonly gossipIgnored: Tally
  readonly syncRounds: Tally
  readonly syncRecords: Tally
  readonly leaseRounds: Tally
  readonly leaseRoundEntries: Tally
  readonly leaseAcquired: Tally
  readonly leaseHandovers: Tally
  readonly actorMessages: Tally
}

export interface Metrics {
  /** The registry (built, with prom-client loaded and the process metrics started, on first access). */
  readonly registry: Registry
  /** Labels: action (a known action name, a fixed route such as `/status`, or `other`), method, status. */
  readonly httpRequests: LabelledHistogram<'action' | 'method' | 'status'>
  /** Attempt durations. Labels: task, outcome (ok, error, timeout, cancelled, lost, aborted). */
  readonly taskDuration: LabelledHistogram<'task' | 'outcome'>
  /** What the meters count into; folded into the counters below at each scrape. */
  readonly counts: MetricCounts
  /** The cells of `counts.wireFrames` and `counts.wireBytes` by direction: `countFrame` adds to them, no lookup per frame. */
  readonly wireTally: Record<WireDirection, { readonly frames: TallyCell, readonly bytes: TallyCell }>
  // The registry's handles: each builds the registry on first access.
  /** Labels: state. Filled at scrape time from the source given to `trackMembers`. */
  readonly members: Gauge<'state'>
  /** Labels: direction (`in` | `out`). */
  readonly wireFrames: Counter<'direction'>
  readonly wireBytes: Counter<'direction'>
  /** One counter per event (`troupe_tasks_<event>_total`), labelled by task (a task name defined by the app). */
  readonly tasks: Readonly<Record<TaskEvent, Counter<'task'>>>
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

type PromClient = typeof PromClientModule
const requireHere = createRequire(import.meta.url)
let promClient: PromClient | undefined

/** prom-client, loaded on first call (it is CommonJS: a synchronous require). */
function prom(): PromClient {
  return promClient ??= requireHere('prom-client') as PromClient
}

/** The registry and its handles, built once. */
type Built = Pick<Metrics, 'registry' | 'members' | 'wireFrames' | 'wireBytes' | 'tasks' | 'gossipMessages' | 'gossipBytes' | 'gossipRejected' | 'gossipIgnored' | 'syncRounds' | 'syncRecords' | 'leaseRounds' | 'leaseRoundEntries' | 'leaseAcquired' | 'leaseHandovers' | 'leasesHeld' | 'actorMessages' | 'mailboxDepth' | 'actorActivations'>

export function createMetrics(init: MetricsInit = {}): Metrics {
  let memberSource: () => ReadonlyArray<{ state: MemberState }> = () => []
  let leaseSource: () => number = () => 0
  let actorSource: () => ActorGauges = () => ({})
  const counts: MetricCounts = {
    wireFrames: new Tally(),
    wireBytes: new Tally(),
    tasks: Object.fromEntries(TASK_EVENTS.map(e => [e, new Tally()])) as Record<TaskEvent, Tally>,
    gossipMessages: new Tally(),
    gossipBytes: new Tally(),
    gossipRejected: new Tally(),
    gossipIgnored: new Tally(),
    syncRounds: new Tally(),
    syncRecords: new Tally(),
    leaseRounds: new Tally(),
    leaseRoundEntries: new Tally(),
    leaseAcquired: new Tally(),
    leaseHandovers: new Tally(),
    actorMessages: new Tally(),
  }
  // A frame costs two additions; prom-client's labelled inc (a label hash per call) runs once per scrape.
  const wireCells = (direction: WireDirection): Metrics['wireTally'][WireDirection] => ({ frames: counts.wireFrames.cell(direction), bytes: counts.wireBytes.cell(direction) })
  const wireTally: Metrics['wireTally'] = { in: wireCells('in'), out: wireCells('out') }
  // Observed on every request: our own histograms (same export), not prom-client's per-call label checks.
  const httpRequests = new LabelledHistogram({ name: 'troupe_http_request_duration_seconds', help: 'HTTP requests by action, method and status', labelNames: ['action', 'method', 'status'], buckets: HTTP_DURATION_BUCKETS })
  const taskDuration = new LabelledHistogram({ name: 'troupe_task_duration_seconds', help: 'Task attempts by task name and outcome', labelNames: ['task', 'outcome'], buckets: HTTP_DURATION_BUCKETS })

  const build = (): Built => {
    const { collectDefaultMetrics, Counter, Gauge, Registry } = prom()
    const registry = new Registry()
    const registers = [registry]
    httpRequests.register(registry)
    taskDuration.register(registry)
    const members = new Gauge({
      name: 'troupe_members', help: 'Members of the cluster as seen by this peer, by state', labelNames: ['state'], registers,
      collect() {
        const byState = new Map<string, number>(MEMBER_STATES.map(s => [s, 0]))
        for (const m of memberSource()) byState.set(m.state, (byState.get(m.state) ?? 0) + 1)
        for (const [state, n] of byState) this.set({ state }, n)
      },
    })
    const actorGauge = (name: string, help: string, field: 'activations' | 'mailboxDepth'): Gauge<'actor'> => new Gauge({
      name, help, labelNames: ['actor'], registers,
      collect() {
        for (const [actor, s] of Object.entries(actorSource())) this.set({ actor }, s[field])
      },
    })
    if (init.processMetrics === true) collectDefaultMetrics({ register: registry })
    // A counter fed by a tally: `label` names its one label, if any.
    const counter = <L extends string = never>(name: string, help: string, tally: Tally, label?: L): Counter<L> => new Counter<L>({
      name, help, labelNames: label === undefined ? [] : [label], registers,
      collect() {
        tally.drain((value, n) => {
          if (label === undefined) this.inc(n)
          else this.inc({ [label]: value } as Partial<Record<L, string>>, n)
        })
      },
    })
    return {
      registry,
      members,
      wireFrames: counter('troupe_wire_frames_total', 'Wire frames by direction', counts.wireFrames, 'direction'),
      wireBytes: counter('troupe_wire_bytes_total', 'Wire bytes (frame headers included) by direction', counts.wireBytes, 'direction'),
      tasks: Object.fromEntries(TASK_EVENTS.map(e => [e, counter(`troupe_tasks_${e}_total`, `Tasks ${e} on this peer, by task name`, counts.tasks[e], 'task')])) as Record<TaskEvent, Counter<'task'>>,
      gossipMessages: counter('troupe_gossip_messages_total', 'Task gossip messages published (out) and accepted (in)', counts.gossipMessages, 'direction'),
      gossipBytes: counter('troupe_gossip_bytes_total', 'Task gossip bytes published (out) and accepted (in)', counts.gossipBytes, 'direction'),
      gossipRejected: counter('troupe_gossip_rejected_total', 'Task gossip messages rejected by validation (the sender is penalised), by reason', counts.gossipRejected, 'reason'),
      gossipIgnored: counter('troupe_gossip_ignored_total', 'Task gossip messages ignored without penalty, by reason', counts.gossipIgnored, 'reason'),
      syncRounds: counter('troupe_sync_rounds_total', 'Task anti-entropy exchanges this peer started, by outcome', counts.syncRounds, 'outcome'),
      syncRecords: counter('troupe_sync_records_total', 'Task records pulled into and pushed from this peer by anti-entropy', counts.syncRecords, 'direction'),
      leaseRounds: counter('troupe_lease_rounds_total', 'Lease rounds this peer ran as proposer (acquisitions and renewals)', counts.leaseRounds),
      leaseRoundEntries: counter('troupe_lease_round_entries_total', 'Partition entries in the lease rounds this peer ran as proposer (keys per round: divide by troupe_lease_rounds_total)', counts.leaseRoundEntries),
      leaseAcquired: counter('troupe_lease_acquired_total', 'Partitions this peer acquired', counts.leaseAcquired),
      leaseHandovers: counter('troupe_lease_handovers_total', 'Partitions this peer stopped holding, by reason (released = handed over)', counts.leaseHandovers, 'reason'),
      leasesHeld: new Gauge({ name: 'troupe_leases_held', help: 'Partitions this peer holds now', registers, collect() { this.set(leaseSource()) } }),
      actorMessages: counter('troupe_actor_messages_total', 'Messages accepted into actor mailboxes on this peer, by actor type', counts.actorMessages, 'actor'),
      mailboxDepth: actorGauge('troupe_actor_mailbox_depth', 'Messages waiting in actor mailboxes on this peer, by actor type', 'mailboxDepth'),
      actorActivations: actorGauge('troupe_actor_activations', 'Actors active on this peer, by actor type', 'activations'),
    }
  }
  let built: Built | undefined
  const registry = (): Built => built ??= build()

  return {
    httpRequests,
    taskDuration,
    counts,
    wireTally,
    get registry() { return registry().registry },
    get members() { return registry().members },
    get wireFrames() { return registry().wireFrames },
    get wireBytes() { return registry().wireBytes },
    get tasks() { return registry().tasks },
    get gossipMessages() { return registry().gossipMessages },
    get gossipBytes() { return registry().gossipBytes },
    get gossipRejected() { return registry().gossipRejected },
    get gossipIgnored() { return registry().gossipIgnored },
    get syncRounds() { return registry().syncRounds },
    get syncRecords() { return registry().syncRecords },
    get leaseRounds() { return registry().leaseRounds },
    get leaseRoundEntries() { return registry().leaseRoundEntries },
    get leaseAcquired() { return registry().leaseAcquired },
    get leaseHandovers() { return registry().leaseHandovers },
    get leasesHeld() { return registry().leasesHeld },
    get actorMessages() { return registry().actorMessages },
    get mailboxDepth() { return registry().mailboxDepth },
    get actorActivations() { return registry().actorActivations },
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
  const cells = metrics.wireTally[direction]
  cells.frames.n++
  cells.bytes.n += bytes
}

/** For the task layer: `task` went through `event`. */
export function countTask(metrics: Metrics, task: string, event: TaskEvent): void {
  metrics.counts.tasks[event].add(task)
}
