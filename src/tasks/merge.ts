// The merge of two copies of one task record: a join, so peers that receive
// the same copies in any order, any number of times, end with the same record
// (commutative, associative, idempotent; property-tested in merge.test.ts).
// - body: the copy created first wins (then creator, then content);
// - head: the larger of (deleted, round, terminal, version, writer, content):
//   a tombstone beats everything, an explicit retry (next round) beats the
//   round before, a finished state beats an unfinished one of its round, then
//   Lamport order;
// - attempts: union by key; an ended attempt beats its unended copy, and its
//   runner's own end beats another peer's runner-gone mark.
import { canonical, compareText, samePicked, sameValue } from './canonical.js'
import { BODY_FIELDS, HEAD_FIELDS, isTerminal, markedGone, type Attempt, type TaskBody, type TaskHead, type TaskRecord } from './record.js'

export function mergeRecords(a: TaskRecord, b: TaskRecord): TaskRecord {
  if (a.id !== b.id) throw new Error(`merging records of different tasks: ${a.id} and ${b.id}`)
  const body = compareBodies(a, b) <= 0 ? a : b
  const head = compareHeads(a, b) >= 0 ? a : b
  // Absent fields stay absent (never assigned undefined), so the record needs no strip.
  const merged = {} as Record<string, unknown>
  for (const k of BODY_FIELDS) if (body[k] !== undefined) merged[k] = body[k]
  for (const k of HEAD_FIELDS) if (head[k] !== undefined) merged[k] = head[k]
  merged.attempts = mergeAttempts(a.attempts, b.attempts)
  return merged as unknown as TaskRecord
}

/** The merge of `incoming` into `current` if that changes it (`incoming` itself when there is no `current`), else undefined. */
export function mergeChange(current: TaskRecord | undefined, incoming: TaskRecord): TaskRecord | undefined {
  if (current === undefined) return incoming
  // The common news, a copy that has moved on from ours (our pending record, its holder's finished one): when ours
  // has no attempts, the same body and a head that loses, the merge is the incoming copy itself (canonically equal),
  // provided its attempts are in the merge's order already. Asked first: a head that wins is no echo, so the whole
  // records need not be compared.
  if (current.attempts.length === 0 && compareHeads(incoming, current) > 0) {
    if (compareBodies(current, incoming) === 0 && inOrder(incoming.attempts)) return incoming
    return mergeRecords(current, incoming)
  }
  // An echo of what is stored (the common case: gossip and puts of known copies) changes nothing.
  if (sameValue(current, incoming)) return undefined
  const merged = mergeRecords(current, incoming)
  return sameValue(merged, current) ? undefined : merged
}

/** True when merging `incoming` into `current` changes it. */
export function changes(current: TaskRecord | undefined, incoming: TaskRecord): boolean {
  return mergeChange(current, incoming) !== undefined
}

/** Negative when `a`'s body is preferred (created first). */
export function compareBodies(a: TaskBody, b: TaskBody): number {
  return (a.createdAt - b.createdAt) || compareText(a.creator, b.creator) || compareRest(a, b, BODY_FIELDS)
}

/** Positive when `a`'s head wins. */
export function compareHeads(a: TaskHead, b: TaskHead): number {
  return (Number(a.deleted) - Number(b.deleted))
    || (a.round - b.round)
    || (Number(isTerminal(a.state)) - Number(isTerminal(b.state)))
    || (a.version - b.version)
    || compareText(a.writer, b.writer)
    || compareRest(a, b, HEAD_FIELDS)
}

export function mergeAttempts(a: readonly Attempt[], b: readonly Attempt[]): Attempt[] {
  const byKey = new Map<string, Attempt>()
  for (const x of [...a, ...b]) {
    const seen = byKey.get(x.key)
    byKey.set(x.key, seen === undefined || compareAttempts(x, seen) > 0 ? x : seen)
  }
  return [...byKey.values()].sort(attemptOrder)
}

function attemptOrder(x: Attempt, y: Attempt): number {
  return (x.startedAt - y.startedAt) || compareText(x.key, y.key)
}

/** Attempts as mergeAttempts leaves them: distinct keys, in attemptOrder. */
function inOrder(list: readonly Attempt[]): boolean {
  for (let i = 1; i < list.length; i++) if (attemptOrder(list[i - 1] as Attempt, list[i] as Attempt) >= 0) return false
  return true
}

/**
 * Positive when `a` is the later copy of the same attempt. An ended copy beats an unended one; of two ended copies,
 * the runner's own account beats another peer's finding that the runner went away (`markedGone`: RUNNER_GONE_CODE, written by the
 * next holder that found the attempt unended): a runner cut off by a move of its partition ends its attempt itself,
 * and that move must not count toward `retry.lostMax` whichever copy a peer saw first.
 */
function compareAttempts(a: Attempt, b: Attempt): number {
  return (Number(a.endedAt !== undefined) - Number(b.endedAt !== undefined))
    || (Number(markedGone(b)) - Number(markedGone(a)))
    || (sameValue(a, b) ? 0 : compareText(canonical(a), canonical(b)))
}

/** The last tie-break: canonical text of `fields`, built only when they differ (equal copies are the common case). */
function compareRest(a: object, b: object, fields: readonly string[]): number {
  return samePicked(a, b, fields) ? 0 : compareText(canonical(pick(a, fields)), canonical(pick(b, fields)))
}

function pick<T extends object>(value: T, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of fields) out[k] = (value as Record<string, unknown>)[k]
  return out
}
