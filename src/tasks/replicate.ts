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

export interface PutBody {
  v: number
  records: TaskRecord[]
}

interface Waiter {
  record: TaskRecord
  /** Estimated encoded size. */
  bytes: number
  /** Monotonic ms after which the caller no longer waits. */
  deadline: number
  resolve: () => void
  reject: (err: unknown) => void
}

/** Runs `fn` once the current event-loop turn is over (its microtasks and the I/O callbacks of its poll phase included). */
export type Defer = (fn: () => void) => void

/** setImmediate: a zero-ms setTimeout waits at least 1 ms, which a single enqueue paid on every put before it left. */
export const endOfTurn: Defer = fn => { setImmediate(fn) }

export class PutBatcher {
  private readonly queues = new Map<string, Waiter[]>()
  private armed = false

  /** `defer` decides how long puts gather before they leave; the default sends them at the end of the turn that queued them. */
  constructor(private readonly messenger: Messenger, private readonly now: () => number, private readonly defer: Defer = endOfTurn) {}

  /** Resolves when `peer` has stored the record durably; the request gives up at the latest deadline of its batch. */
  put(peer: string, record: TaskRecord, deadline: number, bytes = RECORD_OVERHEAD_BYTES): Promise<void> {
    return new Promise((resolve, reject) => {
      const q = this.queues.get(peer) ?? []
      q.push({ record, bytes, deadline, resolve, reject })
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
      let batch: Waiter[] = []
      let bytes = 0
      for (const w of waiters) {
        if (batch.length > 0 && (batch.length >= PUT_BATCH_RECORDS || bytes + w.bytes > PUT_BATCH_BYTES)) {
          this.send(peer, batch)
          batch = []
          bytes = 0
        }
        batch.push(w)
        bytes += w.bytes
      }
      if (batch.length > 0) this.send(peer, batch)
    }
  }

  private send(peer: string, waiters: Waiter[]): void {
    const body: PutBody = { v: WIRE_VERSION, records: waiters.map(w => w.record) }
    const timeoutMs = Math.max(1, Math.max(...waiters.map(w => w.deadline)) - this.now())
    this.messenger.request(peer, CHANNEL_PUT, body, { timeoutMs }).then(
      () => { for (const w of waiters) w.resolve() },
      (err: unknown) => { for (const w of waiters) w.reject(err) },
    )
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
export async function replicate(batcher: PutBatcher, record: TaskRecord, init: ReplicateInit): Promise<string[]> {
  const acked = new Set<string>()
  const failed = new Map<string, string>()
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
