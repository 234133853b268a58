// Durability before `enqueue` resolves: a new record is written here, then
// sent on `tasks/put` to other peers until `need` of them answer that they
// stored it durably. Records bound for the same peer in the same event-loop
// turn travel in one request, so a burst of enqueues costs a few round trips,
// not one each.
import { UnavailableError } from '../errors.js'
import type { AbortOptions } from '../util/abort.js'
import type { Timers } from '../util/clock.js'
import type { Messenger } from '../wire/messenger.js'
import { hash32 } from './canonical.js'
import { compactRecords, type CompactRecords } from './compact.js'
import { CHANNEL_PUT, WIRE_VERSION } from './constants.js'
import { NotReplicatedError } from './errors.js'
import type { TaskRecord } from './record.js'

/** Records per put request; a few hundred bytes each keeps a request far below the 4 MiB frame. */
export const PUT_BATCH_RECORDS = 1000

/** Estimated bytes per put request (large inputs split a tick's records over several requests under the 4 MiB frame). */
export const PUT_BATCH_BYTES = 1024 * 1024

/** A record's size beyond its input, for that estimate. */
export const RECORD_OVERHEAD_BYTES = 512

/** Pause before asking again when no peer could be reached. */
export const REPLICATE_RETRY_MS = 200

/** A put: `v`, then the compact records (compact.ts). */
export interface PutBody extends CompactRecords {
  v: number
}

/** A put's answer: `away` lists the partitions of its new "any" tasks that the receiver does not hold. */
export interface PutReply {
  stored: number
  away?: number[]
}

/** The partitions of the new "any" tasks among `records` that `held` says this peer does not hold, each once. */
export function awayPartitions(records: readonly TaskRecord[], held: (p: number) => boolean): number[] {
  const seen = new Set<number>()
  const away: number[] = []
  for (const r of records) {
    if (r.scope !== 'any' || r.state !== 'pending' || r.attempts.length > 0 || seen.has(r.partition)) continue
    seen.add(r.partition)
    if (!held(r.partition)) away.push(r.partition)
  }
  return away
}

/** Records of a put whose receiver said it does not hold their partitions (`PutReply.away`). */
export type OnAway = (peer: string, records: TaskRecord[]) => void

/** One caller's records for one peer: settled when every request carrying a part of them has. */
interface Waiter {
  records: readonly TaskRecord[]
  /** Estimated encoded size of each record (one number for all). */
  bytes: number
  /** Monotonic ms after which the caller no longer waits. */
  deadline: number
  /** Requests carrying some of the records and not answered yet. */
  left: number
  failed: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/** Part of a waiter's records in one request. */
interface Part {
  waiter: Waiter
  from: number
  to: number
}

/** Runs `fn` once the current event-loop turn is over (its microtasks and the I/O callbacks of its poll phase included). */
export type Defer = (fn: () => void) => void

/** setImmediate: a zero-ms setTimeout waits at least 1 ms, which a single enqueue paid on every put before it left. */
export const endOfTurn: Defer = fn => { setImmediate(fn) }

export class PutBatcher {
  private readonly queues = new Map<string, Waiter[]>()
  private armed = false

  /**
   * `defer` decides how long puts gather before they leave; the default sends them at the end of the turn that queued
   * them. `onAway` hears of the records a put's receiver will not run (see PutReply).
   */
  constructor(private readonly messenger: Messenger, private readonly now: () => number, private readonly defer: Defer = endOfTurn, private readonly onAway?: OnAway) {}

  /** Resolves when `peer` has stored the record durably; the request gives up at the latest deadline of its batch. */
  put(peer: string, record: TaskRecord, deadline: number, bytes = RECORD_OVERHEAD_BYTES): Promise<void> {
    return this.putMany(peer, [record], deadline, bytes)
  }

  /** Resolves when `peer` has stored all the records durably (`bytes`: the estimated size of each). */
  putMany(peer: string, records: readonly TaskRecord[], deadline: number, bytes = RECORD_OVERHEAD_BYTES): Promise<void> {
    return new Promise((resolve, reject) => {
      if (records.length === 0) return resolve()
      const q = this.queues.get(peer) ?? []
      q.push({ records, bytes, deadline, left: 0, failed: false, resolve, reject })
      this.queues.set(peer, q)
      if (!this.armed) {
        this.armed = true
        this.defer(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.armed = false
    const queues = [...this.queues]
    this.queues.clear()
    for (const [peer, waiters] of queues) {
      let parts: Part[] = []
      let count = 0
      let bytes = 0
      for (const waiter of waiters) {
        let from = 0
        for (let i = 0; i < waiter.records.length; i++) {
          if (count > 0 && (count >= PUT_BATCH_RECORDS || bytes + waiter.bytes > PUT_BATCH_BYTES)) {
            if (i > from) parts.push({ waiter, from, to: i })
            from = i
            this.send(peer, parts)
            parts = []
            count = 0
            bytes = 0
          }
          count++
          bytes += waiter.bytes
        }
        parts.push({ waiter, from, to: waiter.records.length })
      }
      if (parts.length > 0) this.send(peer, parts)
    }
  }

  private send(peer: string, parts: Part[]): void {
    const records: TaskRecord[] = []
    let deadline = 0
    for (const { waiter, from, to } of parts) {
      waiter.left++
      for (let i = from; i < to; i++) records.push(waiter.records[i] as TaskRecord)
      deadline = Math.max(deadline, waiter.deadline)
    }
    const body: PutBody = { v: WIRE_VERSION, ...compactRecords(records) }
    this.messenger.request(peer, CHANNEL_PUT, body, { timeoutMs: Math.max(1, deadline - this.now()) }).then(
      (reply) => {
        for (const { waiter } of parts) if (--waiter.left === 0 && !waiter.failed) waiter.resolve()
        this.heard(peer, records, reply)
      },
      (err: unknown) => {
        for (const { waiter } of parts) {
          if (waiter.failed) continue
          waiter.failed = true
          waiter.reject(err)
        }
      },
    )
  }

  /** Hands `onAway` the "any" records of a put whose partitions its receiver listed as not held. */
  private heard(peer: string, records: readonly TaskRecord[], reply: unknown): void {
    const away = (reply as Partial<PutReply> | undefined)?.away
    if (this.onAway === undefined || !Array.isArray(away) || away.length === 0) return
    const partitions = new Set(away)
    const missed = records.filter(r => r.scope === 'any' && partitions.has(r.partition))
    if (missed.length > 0) this.onAway(peer, missed)
  }
}

export interface ReplicateInit extends AbortOptions {
  self: string
  members: () => readonly string[]
  replicas: number
  timers: Timers
  /** Monotonic ms. */
  now: () => number
  deadline: number
  /** A peer to try first when it is a live other: the partition's holder, so the put that makes the task durable also delivers it where it runs. */
  prefer?: string
  /** Estimated encoded size of the record. */
  bytes?: number
}

/**
 * Resolves with the peers that acked once `min(replicas, live others)` have;
 * keeps trying others, and re-reads the members, until the deadline; then
 * rejects with NotReplicatedError. Peers are tried in an order ranked by the
 * record id, so replicas spread over the cluster.
 */
export async function replicate(batcher: PutBatcher, record: TaskRecord, init: ReplicateInit, seen: Seen = { acked: new Set(), failed: new Map() }): Promise<string[]> {
  const { acked, failed } = seen
  for (;;) {
    const others = init.members().filter(p => p !== init.self)
    const need = Math.min(init.replicas, others.length)
    if (acked.size >= need) return [...acked]
    const wave = nextWave(others, acked, failed, need - acked.size, record.id, init.prefer)
    if (wave.length === 0) {
      if (init.now() + REPLICATE_RETRY_MS >= init.deadline) break
      await sleep(init.timers, REPLICATE_RETRY_MS, init.signal)
      failed.clear()
      continue
    }
    const acks = Promise.all(wave.map(p => batcher.put(p, record, init.deadline, init.bytes).then(() => { acked.add(p) }, (err: unknown) => { failed.set(p, (err as Error).message) })))
    await untilAborted(acks, init.signal)
    if (init.now() >= init.deadline && acked.size < need) break
  }
  const reasons = [...failed].map(([p, m]) => `${p}: ${m}`).join('; ')
  throw new NotReplicatedError(`task ${record.id} is stored on this peer but only ${acked.size} of the required replicas acked before the deadline${reasons === '' ? '' : ` (${reasons})`}`, { details: { id: record.id, acked: [...acked] } })
}

/** Peers that acked a record, and peers that failed to, with the reason. */
interface Seen {
  acked: Set<string>
  failed: Map<string, string>
}

export interface ReplicateItem {
  record: TaskRecord
  /** As ReplicateInit's, for this record. */
  prefer?: string
  bytes?: number
}

/**
 * `replicate` for many records at once, with the same outcome per record (settled results in item order). The
 * first wave goes out as one request per peer for all the records bound there (a bulk enqueue's records mostly
 * share a holder), with no per-record bookkeeping; only the records that wave left short go on one by one.
 */
export async function replicateMany(batcher: PutBatcher, items: readonly ReplicateItem[], init: Omit<ReplicateInit, 'prefer' | 'bytes'>): Promise<Array<PromiseSettledResult<string[]>>> {
  const [single] = items
  if (items.length === 1 && single !== undefined) return Promise.allSettled([replicate(batcher, single.record, { ...init, prefer: single.prefer, bytes: single.bytes })])
  const others = init.members().filter(p => p !== init.self)
  const need = Math.min(init.replicas, others.length)
  const none: ReadonlySet<string> = new Set()
  const noFailures: ReadonlyMap<string, string> = new Map()
  const groups = new Map<string, { indices: number[], records: TaskRecord[], bytes: number }>()
  const waves: string[][] = []
  items.forEach((item, i) => {
    const wave = need === 0 ? [] : nextWave(others, none, noFailures, need, item.record.id, item.prefer)
    waves.push(wave)
    for (const p of wave) {
      let g = groups.get(p)
      if (g === undefined) groups.set(p, g = { indices: [], records: [], bytes: 0 })
      g.indices.push(i)
      g.records.push(item.record)
      g.bytes = Math.max(g.bytes, item.bytes ?? RECORD_OVERHEAD_BYTES)
    }
  })
  const failures = new Map<string, string>()
  const acks = Promise.all([...groups].map(([p, g]) => batcher.putMany(p, g.records, init.deadline, g.bytes).then(
    () => {},
    (err: unknown) => { failures.set(p, (err as Error).message) },
  )))
  try {
    await untilAborted(acks, init.signal)
  } catch (err) {
    return items.map(() => ({ status: 'rejected', reason: err }))
  }
  return Promise.allSettled(items.map(async (item, i) => {
    const wave = waves[i] as string[]
    const seen: Seen = { acked: new Set(), failed: new Map() }
    for (const p of wave) {
      const reason = failures.get(p)
      if (reason === undefined) seen.acked.add(p)
      else seen.failed.set(p, reason)
    }
    if (seen.acked.size >= need) return [...seen.acked]
    return replicate(batcher, item.record, { ...init, prefer: item.prefer, bytes: item.bytes }, seen)
  }))
}

/** The next `count` peers to ask: the preferred one alone when it is the one needed (the usual case, no ranking), else by rank. */
function nextWave(others: readonly string[], acked: ReadonlySet<string>, failed: ReadonlyMap<string, string>, count: number, id: string, prefer: string | undefined): string[] {
  if (count === 1 && prefer !== undefined && !acked.has(prefer) && !failed.has(prefer) && others.includes(prefer)) return [prefer]
  return rank(others.filter(p => !acked.has(p) && !failed.has(p)), id, prefer).slice(0, count)
}

function rank(peers: string[], id: string, prefer: string | undefined): string[] {
  const ranked = peers.map(p => ({ p, w: hash32(`${p}\n${id}`) })).sort((a, b) => b.w - a.w).map(x => x.p)
  const at = prefer === undefined ? -1 : ranked.indexOf(prefer)
  if (at > 0) ranked.unshift(...ranked.splice(at, 1))
  return ranked
}

/** Waits for `p`, or rejects with the signal's reason as soon as it aborts. */
async function untilAborted(p: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) {
    await p
    return
  }
  let onAbort = (): void => {}
  try {
    await Promise.race([p, new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function sleep(timers: Timers, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason)
    const onAbort = (): void => { timers.clearTimeout(h); reject(signal?.reason ?? new UnavailableError('aborted')) }
    const h = timers.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
