// The compact encoding of task records, on the wire and on disk. A record is
// a tuple (a msgpack array of its fields in a fixed order) instead of a map,
// and peer ids (52 characters each, four times in a finished record: creator,
// writer, the attempt's peer and its key) are indices into a table that a
// whole message shares: a finished record of a bulk drain takes ~110 bytes in
// a gossip message instead of ~500, and packs and unpacks 3-7x faster.
// An attempt's key is not sent: it is `peer#round.n` by construction
// (transitions.ts), so the decoder rebuilds it.
//
// Tuple layout (index: field; `null` stands for an absent optional field):
//   0 id  1 name  2 scope (0 any, 1 all)  3 partition  4 input  5 priority
//   6 createdAt  7 creator (peer index)  8 state (STATES index)  9 round
//   10 runAt  11 version  12 writer (peer index)  13 updatedAt  14 deleted
//   15 idempotencyKey  16 timeoutMs  17 expiresAt  18 error
//   19 attempts, ATTEMPT_FIELDS values per attempt: peer (index), round, n,
//      fence, startedAt, endedAt, outcome (OUTCOMES index), retryAt, error
// The decoder only builds; the caller checks the result (isTaskRecord), so
// what a malformed tuple yields is refused like any malformed record.
import type { ErrorShape } from '../errors.js'
import type { TaskScope } from './define.js'
import { attemptKey, type Attempt, type AttemptOutcome, type TaskRecord, type TaskState } from './record.js'

const SCOPES: readonly TaskScope[] = ['any', 'all']
const STATES: readonly TaskState[] = ['pending', 'running', 'done', 'failed', 'cancelled']
const OUTCOMES: readonly AttemptOutcome[] = ['ok', 'error', 'timeout', 'cancelled', 'lost', 'aborted']
const TUPLE_FIELDS = 20
const ATTEMPT_FIELDS = 9

/** Past this many peers a table indexes them in a Map; below, a scan is cheaper (a record names 1-3, a message few more). */
const PEER_SCAN_MAX = 16

/**
 * The peer ids of one message (or one stored value), each once, in order of first use. A writer keeps one table for
 * every stored value it writes: a reset keeps the array, whose length would free its backing store if set to 0 (a new
 * one per stored value was ~3% of a drain's allocation, session 26).
 */
export class PeerTable {
  private readonly list: string[] = []
  private count = 0
  private index: Map<string, number> | undefined

  /** How many peers the table names. */
  get size(): number {
    return this.count
  }

  /** The i-th peer, i < size. */
  at(i: number): string {
    return this.list[i] as string
  }

  /** The peers, in order (the table's own array while it was never reset, else a copy). */
  get ids(): string[] {
    return this.count === this.list.length ? this.list : this.list.slice(0, this.count)
  }

  /** Empties the table for another value. */
  reset(): void {
    this.count = 0
    this.index = undefined
  }

  ref(peer: string): number {
    const { list } = this
    if (this.index === undefined) {
      for (let i = 0; i < this.count; i++) if (list[i] === peer) return i
      list[this.count] = peer
      this.count++
      if (this.count > PEER_SCAN_MAX) this.index = new Map(this.ids.map((p, i) => [p, i]))
      return this.count - 1
    }
    let i = this.index.get(peer)
    if (i === undefined) {
      i = this.count
      list[this.count] = peer
      this.count++
      this.index.set(peer, i)
    }
    return i
  }
}

/** A state's code in a tuple (STATES index). */
export function stateCode(s: TaskState): number {
  switch (s) {
    case 'pending': return 0
    case 'running': return 1
    case 'done': return 2
    case 'failed': return 3
    default: return 4
  }
}

export function toTuple(r: TaskRecord, peers: PeerTable): unknown[] {
  const list = r.attempts
  const attempts = new Array<unknown>(list.length * ATTEMPT_FIELDS)
  for (let i = 0, at = 0; i < list.length; i++, at += ATTEMPT_FIELDS) {
    const a = list[i] as Attempt
    attempts[at] = peers.ref(a.peer)
    attempts[at + 1] = a.round
    attempts[at + 2] = a.n
    attempts[at + 3] = a.fence ?? null
    attempts[at + 4] = a.startedAt
    attempts[at + 5] = a.endedAt ?? null
    attempts[at + 6] = a.outcome === undefined ? null : a.outcome === 'ok' ? 0 : OUTCOMES.indexOf(a.outcome)
    attempts[at + 7] = a.retryAt ?? null
    attempts[at + 8] = a.error ?? null
  }
  return [r.id, r.name, r.scope === 'all' ? 1 : 0, r.partition, r.input, r.priority, r.createdAt, peers.ref(r.creator),
    stateCode(r.state), r.round, r.runAt, r.version, peers.ref(r.writer), r.updatedAt, r.deleted,
    r.idempotencyKey ?? null, r.timeoutMs ?? null, r.expiresAt ?? null, r.error ?? null, attempts]
}

/** A peer id by index, or undefined (a bad index, or a table that is not a list of strings). */
function peerAt(peers: readonly unknown[], i: unknown): string | undefined {
  if (typeof i !== 'number') return undefined
  const p = peers[i]
  return typeof p === 'string' ? p : undefined
}

function codeAt<T>(codes: readonly T[], i: unknown): T | undefined {
  return typeof i === 'number' ? codes[i] : undefined
}

/**
 * The record a tuple describes, or undefined when it is not a tuple of this layout. Fields keep the types they
 * arrived with (a wrong type is left for isTaskRecord to refuse); absent optional fields are left out, not undefined.
 */
export function fromTuple(t: unknown, peers: readonly unknown[]): TaskRecord | undefined {
  if (!Array.isArray(t) || t.length !== TUPLE_FIELDS) return undefined
  const flat: unknown = t[19]
  if (!Array.isArray(flat) || flat.length % ATTEMPT_FIELDS !== 0) return undefined
  const attempts: Attempt[] = []
  for (let i = 0; i < flat.length; i += ATTEMPT_FIELDS) {
    const peer = peerAt(peers, flat[i])
    if (peer === undefined) return undefined
    const round = flat[i + 1]
    const n = flat[i + 2]
    // The key is built from them: anything but numbers (a map with its own toString) is refused here.
    if (typeof round !== 'number' || typeof n !== 'number') return undefined
    const a: Attempt = { key: attemptKey(peer, round, n), peer, round, n, startedAt: flat[i + 4] as number }
    // Optional fields in the order endAttempt (record.ts) gives them: one map for every attempt.
    if (flat[i + 3] !== null) a.fence = flat[i + 3] as string
    if (flat[i + 5] !== null) a.endedAt = flat[i + 5] as number
    if (flat[i + 6] !== null) {
      const outcome = codeAt(OUTCOMES, flat[i + 6])
      if (outcome === undefined) return undefined
      a.outcome = outcome
    }
    if (flat[i + 8] !== null) a.error = flat[i + 8] as ErrorShape
    if (flat[i + 7] !== null) a.retryAt = flat[i + 7] as number
    attempts.push(a)
  }
  const scope = codeAt(SCOPES, t[2])
  const state = codeAt(STATES, t[8])
  const creator = peerAt(peers, t[7])
  const writer = peerAt(peers, t[12])
  if (scope === undefined || state === undefined || creator === undefined || writer === undefined) return undefined
  // In newRecord's order, optional ones only when set; without any (the common case) one object literal, as newRecord
  // makes it (one hidden class for both, every field in the object).
  if (t[15] === null && t[16] === null && t[17] === null && t[18] === null) {
    return {
      id: t[0], name: t[1], scope, partition: t[3], input: t[4], priority: t[5], createdAt: t[6], creator, state, round: t[9],
      runAt: t[10], version: t[11], writer, updatedAt: t[13], deleted: t[14], attempts,
    } as TaskRecord
  }
  const r = { id: t[0], name: t[1], scope, partition: t[3], input: t[4], priority: t[5] } as TaskRecord
  if (t[15] !== null) r.idempotencyKey = t[15] as string
  if (t[16] !== null) r.timeoutMs = t[16] as number
  if (t[17] !== null) r.expiresAt = t[17] as number
  r.createdAt = t[6] as number
  r.creator = creator
  r.state = state
  r.round = t[9] as number
  r.runAt = t[10] as number
  r.version = t[11] as number
  r.writer = writer
  r.updatedAt = t[13] as number
  r.deleted = t[14] as boolean
  if (t[18] !== null) r.error = t[18] as ErrorShape
  r.attempts = attempts
  return r
}

/** Records as a message carries them: `{ peers, records }` (spread into a body next to its `v`). */
export interface CompactRecords {
  peers: string[]
  records: unknown[][]
}

export function compactRecords(records: readonly TaskRecord[]): CompactRecords {
  const peers = new PeerTable()
  const tuples = records.map(r => toTuple(r, peers))
  return { peers: peers.ids, records: tuples }
}

/**
 * A stored value: `[peers, tuple]`. Values written by versions before the compact encoding are plain maps, which
 * decode as records already (fromStored passes them through).
 */
export function toStored(r: TaskRecord): unknown[] {
  const peers = new PeerTable()
  const tuple = toTuple(r, peers)
  return [peers.ids, tuple]
}

/** What collection looks at in a record (lifetime.ts isCollectable). */
export type Lifetime = Pick<TaskRecord, 'scope' | 'state' | 'deleted' | 'updatedAt' | 'expiresAt'>

/**
 * The lifetime fields of a stored value, read from its tuple without decoding the rest (a scan of every record
 * stays cheap); undefined when it is neither layout. A plain (older) value is its own.
 */
export function storedLifetime(v: unknown): Lifetime | undefined {
  if (!Array.isArray(v)) return typeof v === 'object' && v !== null ? v as TaskRecord : undefined
  const t: unknown = v[1]
  if (!Array.isArray(t) || t.length !== TUPLE_FIELDS) return undefined
  const scope = codeAt(SCOPES, t[2])
  const state = codeAt(STATES, t[8])
  if (scope === undefined || state === undefined) return undefined
  const out: Lifetime = { scope, state, deleted: t[14] as boolean, updatedAt: t[13] as number }
  if (t[17] !== null) out.expiresAt = t[17] as number
  return out
}

/** The record of a stored value, or undefined when it is neither layout. */
export function fromStored(v: unknown): TaskRecord | undefined {
  if (!Array.isArray(v)) return typeof v === 'object' && v !== null ? v as TaskRecord : undefined
  const [peers, tuple] = v as unknown[]
  return Array.isArray(peers) ? fromTuple(tuple, peers) : undefined
}
