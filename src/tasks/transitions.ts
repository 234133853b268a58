// The state machine of one record, as pure functions: each takes a record and
// what happened, and returns the next record. Head changes bump the Lamport
// version; attempt-only changes leave the head alone, so a peer that lost its
// partition can still report how its attempt ended without overriding the
// new holder.
import type { ErrorShape } from '../errors.js'
import { BACKOFF_MAX_MS, RUNNER_GONE_CODE, TASK_LOST_TOO_OFTEN_CODE } from './constants.js'
import type { RetryPolicy } from './define.js'
import { attemptKey, attemptsOf, endAttempt, isFinished, markedGone, stripUndefined, type Attempt, type AttemptOutcome, type TaskRecord } from './record.js'

export interface Actor {
  self: string
  /** Wall ms. */
  now: number
}

const COUNTED: ReadonlySet<AttemptOutcome | undefined> = new Set(['error', 'timeout'])

export function retryDelayMs(retry: Required<RetryPolicy>, failures: number): number {
  return Math.min(retry.backoffMs * retry.backoffFactor ** Math.max(0, failures - 1), BACKOFF_MAX_MS)
}

/**
 * What starting a task came to: a new attempt by `self`, or (`attempt` undefined) none, because more than
 * `retry.lostMax` attempts of the round lost their runner mid-run; `record` then says so ("any": failed with `error`;
 * "all": this peer's share is failed, to be settled by the caller).
 */
export type Start =
  | { record: TaskRecord, attempt: Attempt, error?: undefined }
  | { record: TaskRecord, attempt: undefined, error: ErrorShape }

/**
 * A new attempt by `self`. Unended attempts found here lost their runner mid-run: for "any" every one (the caller
 * holds the partition now, so their runners are dead or cut off), for "all" only our own (this peer stopped mid-run).
 * They end `lost`, marked with RUNNER_GONE_CODE; past `lostMax` such attempts in the round, nothing starts.
 */
export function startAttempt(r: TaskRecord, at: Actor, fence: string | undefined): { record: TaskRecord, attempt: Attempt }
export function startAttempt(r: TaskRecord, at: Actor, fence: string | undefined, lostMax: number): Start
export function startAttempt(r: TaskRecord, at: Actor, fence: string | undefined, lostMax = Number.POSITIVE_INFINITY): Start {
  let n = 1
  for (const a of r.attempts) if (a.round === r.round && a.peer === at.self) n++
  const attempts = r.attempts.map(a => a.endedAt === undefined && (r.scope === 'any' || a.peer === at.self) ? endAttempt(a, at.now, 'lost', runnerGone(a, at.self)) : a)
  const gone = countGone(attempts, r.scope === 'any' ? undefined : at.self, r.round)
  if (gone > lostMax) {
    const error = lostTooOften(r, gone, lostMax)
    if (r.scope === 'all') return { record: { ...r, attempts }, attempt: undefined, error }
    return { record: { ...r, ...bump(r, at), state: 'failed', error, attempts }, attempt: undefined, error }
  }
  const attempt: Attempt = { key: attemptKey(at.self, r.round, n), peer: at.self, round: r.round, n, startedAt: at.now }
  if (fence !== undefined) attempt.fence = fence
  attempts.push(attempt)
  if (r.scope === 'all') return { record: { ...r, attempts }, attempt }
  return { record: { ...r, version: r.version + 1, writer: at.self, updatedAt: at.now, state: 'running', attempts }, attempt }
}

/** The record once a refused start (`startAttempt` with no attempt) has joined it: an "all" one is settled among `members`. */
export function withRefusal(r: TaskRecord, at: Actor, retry: Required<RetryPolicy>, members: readonly string[]): TaskRecord {
  return r.scope === 'all' ? settleAll(r, at, retry, members) : r
}

/** The error of an attempt found unended by `self` when it started its task. */
function runnerGone(a: Attempt, self: string): ErrorShape {
  const message = a.peer === self
    ? 'the attempt had not ended when this peer started the task again: the peer stopped mid-run (crashed or killed)'
    : `the attempt had not ended when ${self} took the task over: its runner died or was cut off mid-run`
  return { name: 'RunnerGoneError', message, code: RUNNER_GONE_CODE, retryable: true }
}

function lostTooOften(r: TaskRecord, gone: number, lostMax: number): ErrorShape {
  return {
    name: 'TaskLostTooOftenError',
    message: `task ${r.name}: ${gone} attempts of round ${r.round} lost their runner mid-run, more than retry.lostMax (${lostMax}); not run again, ` +
      'since a handler that kills its process would take down every peer in turn. retry() runs it again.',
    code: TASK_LOST_TOO_OFTEN_CODE,
    retryable: false,
  }
}

/** Attempts of `round` (by `peer`; all peers when undefined) that lost their runner mid-run. */
export function countGone(attempts: readonly Attempt[], peer: string | undefined, round: number): number {
  let n = 0
  for (const a of attempts) if (a.round === round && (peer === undefined || a.peer === peer) && markedGone(a)) n++
  return n
}

export interface Finish {
  key: string
  outcome: AttemptOutcome
  error?: ErrorShape
  retry: Required<RetryPolicy>
  /** Live peers (a hint) for "all" tasks: the record is done once each has a final attempt. */
  members?: readonly string[]
  /** "any" tasks: false when the caller no longer holds the partition with the attempt's fence; then only the attempt is updated. */
  owner: boolean
}

export function finishAttempt(r: TaskRecord, at: Actor, f: Finish): TaskRecord {
  const i = r.attempts.findIndex(a => a.key === f.key)
  const old = r.attempts[i]
  if (old === undefined) throw new Error(`task ${r.id} has no attempt ${f.key}`)
  const counted = COUNTED.has(f.outcome)
  // Failures count only when this one does (the common success path scans nothing).
  const failures = counted ? countFailures(r, old.peer, old.round) + 1 : 0
  const again = counted && failures < f.retry.attempts
  const ended = endAttempt(old, at.now, f.outcome, f.error, r.scope === 'all' && again ? at.now + retryDelayMs(f.retry, failures) : undefined)
  const attempts = r.attempts.slice()
  attempts[i] = ended
  if (isFinished(r) || old.round !== r.round) return { ...r, attempts }
  if (r.scope === 'all') return settleAll({ ...r, attempts }, at, f.retry, f.members ?? [])
  // A handler that finished the work finishes the task, even if its runner's
  // tenure ended meanwhile: leaving it open would only make the next holder
  // (often this peer again, under a new fence) run it a second time.
  if (f.outcome === 'ok') {
    const done: TaskRecord = { ...r, version: r.version + 1, writer: at.self, updatedAt: at.now, state: 'done', attempts }
    if (done.error === undefined) return done
    const { error: _dropped, ...rest } = done
    return rest
  }
  if (!f.owner || r.state !== 'running' || !counted) return { ...r, attempts }
  if (again) return { ...r, ...bump(r, at), state: 'pending', runAt: at.now + retryDelayMs(f.retry, failures), error: f.error, attempts }
  return { ...r, ...bump(r, at), state: 'failed', error: f.error, attempts }
}

/**
 * An "all" record is done (or failed) once every member has succeeded (or run
 * out of attempts). Called by each peer when it finishes and when others'
 * attempts arrive, so the last news settles it wherever it lands; `at` is not
 * used (the settled head is the same wherever it is computed).
 */
export function settleAll(r: TaskRecord, at: Actor, retry: Required<RetryPolicy>, members: readonly string[]): TaskRecord {
  if (r.scope !== 'all' || isFinished(r)) return r
  const peers = new Set([...members, at.self])
  let failed = false
  for (const peer of peers) {
    const status = peerStatus(r, peer, retry)
    if (status === 'open') return r
    failed ||= status === 'failed'
  }
  const state = failed ? 'failed' : 'done'
  if (state === r.state) return r
  // Every peer that sees the last outcome settles the task, each on its own: the settled head is the same on all of
  // them (written in the creator's name, at the last attempt's end), so their copies are equal and merge into
  // nothing new, instead of one competing version per peer, each written and gossiped by every other.
  let last = r.updatedAt
  for (const a of r.attempts) if (a.round === r.round && a.endedAt !== undefined && a.endedAt > last) last = a.endedAt
  return { ...r, version: r.version + 1, writer: r.creator, updatedAt: last, state }
}

/** Where `peer` stands on an "all" task in the current round. */
export function peerStatus(r: TaskRecord, peer: string, retry: Required<RetryPolicy>): 'ok' | 'failed' | 'open' {
  const mine = attemptsOf(r, peer)
  if (mine.some(a => a.outcome === 'ok')) return 'ok'
  return countFailures(r, peer, r.round) >= retry.attempts || countGone(mine, peer, r.round) > retry.lostMax ? 'failed' : 'open'
}

export function countFailures(r: TaskRecord, peer: string | undefined, round: number): number {
  return r.attempts.filter(a => a.round === round && (peer === undefined || r.scope === 'any' || a.peer === peer) && COUNTED.has(a.outcome)).length
}

/**
 * What the end of attempt `key` means for its task, for metrics: `completed`
 * (it succeeded), `retried` (it failed and the task runs again, here or on the
 * partition's next holder) or `failed` (it failed and no attempt is left).
 * Undefined for an attempt that ended without counting (cancelled, lost,
 * aborted) or whose task was cancelled or retried by hand meanwhile.
 */
export function attemptEvent(r: TaskRecord, key: string, retry: Required<RetryPolicy>): 'completed' | 'retried' | 'failed' | undefined {
  const a = r.attempts.find(x => x.key === key)
  if (a?.outcome === 'ok') return 'completed'
  if (a === undefined || !COUNTED.has(a.outcome) || a.round !== r.round) return undefined
  if (r.scope === 'all') return peerStatus(r, a.peer, retry) === 'failed' ? 'failed' : 'retried'
  if (r.state === 'failed') return 'failed'
  return r.state === 'pending' || r.state === 'running' ? 'retried' : undefined
}

export function cancelRecord(r: TaskRecord, at: Actor): TaskRecord {
  return { ...r, ...bump(r, at), state: 'cancelled' }
}

/** A new round: attempts start counting again; past attempts stay as history. */
export function retryRecord(r: TaskRecord, at: Actor): TaskRecord {
  return stripUndefined({ ...r, ...bump(r, at), state: 'pending', round: r.round + 1, runAt: at.now, error: undefined })
}

export function deleteRecord(r: TaskRecord, at: Actor): TaskRecord {
  return { ...r, ...bump(r, at), deleted: true }
}

function bump(r: TaskRecord, at: Actor): Pick<TaskRecord, 'version' | 'writer' | 'updatedAt'> {
  return { version: r.version + 1, writer: at.self, updatedAt: at.now }
}
