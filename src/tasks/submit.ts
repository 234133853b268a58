// Tasks created on this peer, once checked (enqueue.ts): stored here in one
// transaction, put on `replicas` other peers (the partition's holder first)
// before the caller hears back, and spread to the rest of the cluster.
import { callTimeoutMs } from '../app/validate.js'
import type { Random } from '../util/random.js'
import type { Clock, Timers, WallClock } from '../util/clock.js'
import type { PartitionClaims } from './claims.js'
import { buildRecords, type Checked, type EnqueueManyOptions } from './enqueue.js'
import { NotReplicatedError } from './errors.js'
import type { GossipOut } from './gossip.js'
import { changes } from './merge.js'
import type { TaskMeter } from './meter.js'
import type { TaskLimits } from './options.js'
import type { TaskRecord } from './record.js'
import { replicateMany, type PutBatcher } from './replicate.js'
import type { Runner } from './runner.js'
import type { TaskStore } from './store.js'

export interface SubmitDeps {
  self: string
  clock: Clock & WallClock
  timers: Timers
  random: Random
  claims: Pick<PartitionClaims, 'partitionOf'>
  members: () => readonly string[]
  /** Who probably holds partition p: a new task's put goes there first, so that it also reaches where it runs. */
  holderOf?: (p: number) => string | undefined
  limits: Pick<TaskLimits, 'allExpiryMs' | 'enqueueTimeoutMs' | 'replicas'>
  tasks: TaskStore
  batcher: PutBatcher
  gossip: GossipOut
  runner: Pick<Runner, 'offer'>
  meter: TaskMeter
  /** Sends records straight to every member, one way (and gossips them if a send fails). */
  pushAll: (records: TaskRecord[]) => void
}

export class Submitter {
  constructor(private readonly d: SubmitDeps) {}

  /** Stores checked tasks in one transaction, spreads them, and waits until each is durable on its replicas. */
  async store(checked: readonly Checked[], options: EnqueueManyOptions): Promise<string[]> {
    const d = this.d
    // Checked before anything is stored.
    const timeoutMs = callTimeoutMs(options.timeoutMs, d.limits.enqueueTimeoutMs)
    const { ids, fresh } = buildRecords(checked, {
      now: d.clock.wallNow(), random: d.random, self: d.self, partitionOf: id => d.claims.partitionOf(id), allExpiryMs: d.limits.allExpiryMs,
    })
    // The replica puts leave before the local commit ends (the call still waits for both): one commit less before the task can start on its holder.
    // A task known already (an idempotent repeat) replicates what is stored.
    const deadline = d.clock.now() + timeoutMs
    const settled = replicateMany(d.batcher, [...fresh.values()].map((f) => {
      const record = d.tasks.get(f.record.id) ?? f.record
      return { record, prefer: record.scope === 'any' ? d.holderOf?.(record.partition) : undefined, bytes: f.bytes }
    }), {
      self: d.self, members: d.members, replicas: d.limits.replicas, timers: d.timers, now: () => d.clock.now(), deadline, signal: options.signal,
    })
    const records = [...fresh.values()].map(f => f.record)
    const creating = d.tasks.create(records)
    // Both start before the local commit (the call is not acked until the tasks are durable anyway): an "any" task of
    // a partition held here, and a new "all" task with a random id (no other enqueue can name it), which also goes to
    // every member at once, each starting it on arrival. Ones with a key wait for the commit, which tells whether
    // the key already names a task (whose stored input wins).
    const early = records.filter(r => r.scope === 'all' && r.idempotencyKey === undefined)
    // The pushes leave (are encoded and queued on their links) before this peer runs its own copy.
    if (early.length > 0) d.pushAll(early)
    d.runner.offer([...records.filter(r => r.scope === 'any'), ...early])
    const created = await creating
    const spread: TaskRecord[] = []
    for (const { after } of created) {
      if (after === undefined) continue
      d.meter.task(after.name, 'enqueued')
      spread.push(after)
    }
    if (spread.length > 0) this.spreadNew(spread, new Set(early.map(r => r.id)))
    const results = await settled
    if (results.length === 1 && results[0]?.status === 'rejected') throw results[0].reason
    const unique = [...fresh.keys()]
    const failed = results.flatMap((s, i) => s.status === 'rejected' ? [{ id: unique[i] as string, err: s.reason as unknown }] : [])
    if (failed.length === 0) return ids
    const other = failed.find(f => !(f.err instanceof NotReplicatedError))
    if (other !== undefined) throw other.err
    throw new NotReplicatedError(`${failed.length} of ${fresh.size} tasks of the batch are stored on this peer but not acked by enough replicas before the deadline (first: ${(failed[0]?.err as Error).message})`,
      { details: { ids: failed.map(f => f.id) } })
  }

  /**
   * Records created here: an "all" task is pushed straight to every live member (unless in `pushed` already) and
   * rides along with whatever gossip message goes out within gossipLazyMs, but causes none (the cheap repair of a
   * push lost after it was queued; a push that could not be sent is gossiped, see pushAll; sync repairs the rest);
   * an "any" task, which its put has taken to a replica (its holder when known), is gossiped after gossipDeferMs
   * unless the holder's gossip or push of a newer copy (it ran) comes first; or not at all when that copy is stored
   * here already (a holder that ran it before the local commit ended, this peer or another). Sync repairs whatever
   * both lose.
   */
  spreadNew(records: TaskRecord[], pushed: ReadonlySet<string> = new Set()): void {
    const all = records.filter(r => r.scope === 'all')
    const any = records.filter(r => r.scope !== 'all' && !this.covered(r))
    this.d.gossip.defer(any)
    this.d.gossip.ride(all)
    const toPush = all.filter(r => !pushed.has(r.id))
    if (toPush.length > 0) this.d.pushAll(toPush)
  }

  /** Whether the copy stored here now is another one that `r` adds nothing to (it came by the ways that reach every peer). */
  private covered(r: TaskRecord): boolean {
    const now = this.d.tasks.get(r.id, r.partition)
    return now !== undefined && now !== r && !changes(now, r)
  }
}
