// The task record: what every peer stores and gossips about one task. A
// record has three parts that merge independently (merge.ts):
// - the body, fixed at creation (name, input, ...);
// - the head, the mutable state, last-writer-wins under a total order;
// - the attempts, a set keyed by `peer#round.n`, grown by the peers that run it.
import type { ErrorShape } from '../errors.js'
import type { TaskScope } from './define.js'
import { RUNNER_GONE_CODE } from './constants.js'

/** Where a task is: see the state diagram in docs/tasks.md. */
export type TaskState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled'

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['done', 'failed', 'cancelled'])

/** How one attempt ended. `lost` and `aborted` (partition lost, peer stopped or died) do not count against retries. */
export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'cancelled' | 'lost' | 'aborted'

export interface Attempt {
  /** `peer#round.n`: unique because a peer numbers its own attempts from its own store. */
  key: string
  peer: string
  round: number
  n: number
  fence?: string
  /** Wall ms. */
  startedAt: number
  endedAt?: number
  outcome?: AttemptOutcome
  error?: ErrorShape
  /** "all" tasks: when this peer may try again after a failed attempt (wall ms). */
  retryAt?: number
}

/** A task as every peer stores it and `GET /tasks/:id` shows it. */
export interface TaskRecord {
  // body: fixed at creation
  id: string
  name: string
  scope: TaskScope
  partition: number
  input: unknown
  priority: number
  idempotencyKey?: string
  /** Per-task override of the definition's attempt deadline. */
  timeoutMs?: number
  /** "all" tasks: peers that receive it later than this (wall ms) skip it. */
  expiresAt?: number
  createdAt: number
  creator: string
  // head: mutable, ordered by (deleted, round, terminal, version, writer)
  state: TaskState
  /** Incremented by an explicit retry of a failed or cancelled task; attempts count per round. */
  round: number
  /** Wall ms before which the task does not start. */
  runAt: number
  /** Lamport counter of head writes. */
  version: number
  writer: string
  updatedAt: number
  deleted: boolean
  error?: ErrorShape
  // attempts: a grow-only set
  attempts: Attempt[]
}

export type TaskBody = Pick<TaskRecord, 'id' | 'name' | 'scope' | 'partition' | 'input' | 'priority' | 'idempotencyKey' | 'timeoutMs' | 'expiresAt' | 'createdAt' | 'creator'>
export type TaskHead = Pick<TaskRecord, 'state' | 'round' | 'runAt' | 'version' | 'writer' | 'updatedAt' | 'deleted' | 'error'>

export const BODY_FIELDS = ['id', 'name', 'scope', 'partition', 'input', 'priority', 'idempotencyKey', 'timeoutMs', 'expiresAt', 'createdAt', 'creator'] as const
export const HEAD_FIELDS = ['state', 'round', 'runAt', 'version', 'writer', 'updatedAt', 'deleted', 'error'] as const

/** Peers whose attempt keys are interned, and the rounds and attempt numbers below which they are. */
const KEY_CACHE_PEERS_MAX = 256
const KEY_CACHE_ROUNDS = 8
const KEY_CACHE_N = 8
const keyCache = new Map<string, Array<string | undefined>>()

/**
 * An attempt's key, `peer#round.n`. The common ones (a peer's first few attempts in its first few rounds) are
 * interned: a drain decodes and starts thousands of attempts whose keys are the same few strings, and each one
 * built anew was another string to keep alive for as long as its record.
 */
export function attemptKey(peer: string, round: number, n: number): string {
  if (round >= KEY_CACHE_ROUNDS || n >= KEY_CACHE_N || !(round >= 0 && n >= 0) || round % 1 !== 0 || n % 1 !== 0) return `${peer}#${round}.${n}`
  let keys = keyCache.get(peer)
  if (keys === undefined) {
    if (keyCache.size >= KEY_CACHE_PEERS_MAX) return `${peer}#${round}.${n}`
    keyCache.set(peer, keys = new Array<string | undefined>(KEY_CACHE_ROUNDS * KEY_CACHE_N).fill(undefined))
  }
  const at = round * KEY_CACHE_N + n
  return keys[at] ?? (keys[at] = `${peer}#${round}.${n}`)
}

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state)
}

/** Finished for good: nobody will run it again unless someone retries it. */
export function isFinished(r: Pick<TaskRecord, 'deleted' | 'state'>): boolean {
  return r.deleted || isTerminal(r.state)
}

export interface NewRecordInit extends Omit<TaskBody, 'createdAt' | 'creator'> {
  runAt: number
  now: number
  self: string
}

export function newRecord(init: NewRecordInit): TaskRecord {
  // Without optional fields (the common case) one object literal: its fields are all in the object. Added one by one,
  // the fields past the literal's go to a property array that grows as they come, ~2x the bytes (session 26).
  if (init.idempotencyKey === undefined && init.timeoutMs === undefined && init.expiresAt === undefined) {
    return {
      id: init.id, name: init.name, scope: init.scope, partition: init.partition, input: init.input, priority: init.priority,
      createdAt: init.now, creator: init.self, state: 'pending', round: 0, runAt: init.runAt, version: 1, writer: init.self,
      updatedAt: init.now, deleted: false, attempts: [],
    }
  }
  // Field by field, optional ones only when set: no strip (absent fields stay absent).
  const r = { id: init.id, name: init.name, scope: init.scope, partition: init.partition, input: init.input, priority: init.priority } as TaskRecord
  if (init.idempotencyKey !== undefined) r.idempotencyKey = init.idempotencyKey
  if (init.timeoutMs !== undefined) r.timeoutMs = init.timeoutMs
  if (init.expiresAt !== undefined) r.expiresAt = init.expiresAt
  r.createdAt = init.now
  r.creator = init.self
  r.state = 'pending'
  r.round = 0
  r.runAt = init.runAt
  r.version = 1
  r.writer = init.self
  r.updatedAt = init.now
  r.deleted = false
  r.attempts = []
  return r
}

/**
 * `value` without its `undefined` fields, so equal records compare and hash equal whatever path built them: the same
 * object when it has none, else a copy (never `delete`, which turns an object into a slow dictionary in V8, and
 * every record that went through a merge or a transition with it).
 */
export function stripUndefined<T extends object>(value: T): T {
  let clean = true
  for (const k in value) {
    if (value[k] === undefined) {
      clean = false
      break
    }
  }
  if (clean) return value
  const out = {} as T
  for (const k in value) if (value[k] !== undefined) out[k] = value[k]
  return out
}

/**
 * Attempt `a` ended: a new object built field by field, in the order every attempt has (key, peer, round, n,
 * startedAt, fence, endedAt, outcome, error, retryAt; optional ones only when set). Not an object spread: V8
 * (Node 20) gives a spread's result a map whose reads of absent fields (`error`, `retryAt`) miss their inline
 * cache every time, ~0.3 µs each, and every encoding and merge of the record reads them.
 */
/** An attempt another peer (or this one, restarted) found unended and ended for its runner: its runner went away mid-run. */
export function markedGone(a: Attempt): boolean {
  return a.outcome === 'lost' && a.error?.code === RUNNER_GONE_CODE
}

export function endAttempt(a: Attempt, endedAt: number, outcome: AttemptOutcome, error?: ErrorShape, retryAt?: number): Attempt {
  const out: Attempt = { key: a.key, peer: a.peer, round: a.round, n: a.n, startedAt: a.startedAt }
  if (a.fence !== undefined) out.fence = a.fence
  out.endedAt = endedAt
  out.outcome = outcome
  if (error !== undefined) out.error = error
  if (retryAt !== undefined) out.retryAt = retryAt
  return out
}

/** Attempts of the record's current round by `peer` (all peers when undefined). */
export function attemptsOf(r: TaskRecord, peer?: string): Attempt[] {
  return r.attempts.filter(a => a.round === r.round && (peer === undefined || a.peer === peer))
}
