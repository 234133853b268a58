// Checks records and bodies that arrive from other peers, and the gossip
// message encoding (msgpack). A peer trusts the cluster (it shares a private
// network key) but not the shape of bytes: a malformed record is dropped and
// logged, never merged.
import { pack, unpack } from 'msgpackr'
import { ProtocolError } from '../errors.js'
import { TASK_ID_LENGTH_MAX, WIRE_VERSION } from './constants.js'
import { compactRecords, fromTuple, toStored, type CompactRecords } from './compact.js'
import type { Attempt, TaskRecord } from './record.js'

const STATES = new Set(['pending', 'running', 'done', 'failed', 'cancelled'])
const OUTCOMES = new Set(['ok', 'error', 'timeout', 'cancelled', 'lost', 'aborted'])

const isStr = (v: unknown): v is string => typeof v === 'string'
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isInt = (v: unknown): v is number => Number.isInteger(v)
const opt = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v)

export function isAttempt(v: unknown): v is Attempt {
  if (typeof v !== 'object' || v === null) return false
  const a = v as Record<string, unknown>
  return isStr(a.key) && isStr(a.peer) && isInt(a.round) && isInt(a.n) && isNum(a.startedAt)
    && opt(a.fence, isStr) && opt(a.endedAt, isNum) && opt(a.outcome, o => OUTCOMES.has(o as string)) && opt(a.retryAt, isNum)
}

export function isTaskRecord(v: unknown, partitions: number): v is TaskRecord {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return isStr(r.id) && r.id.length <= TASK_ID_LENGTH_MAX && isStr(r.name) && (r.scope === 'any' || r.scope === 'all')
    && isInt(r.partition) && (r.partition as number) >= 0 && (r.partition as number) < partitions
    && isNum(r.priority) && isNum(r.createdAt) && isStr(r.creator)
    && STATES.has(r.state as string) && isInt(r.round) && isNum(r.runAt) && isInt(r.version) && isStr(r.writer)
    && isNum(r.updatedAt) && typeof r.deleted === 'boolean'
    && opt(r.idempotencyKey, isStr) && opt(r.timeoutMs, isNum) && opt(r.expiresAt, isNum)
    && Array.isArray(r.attempts) && r.attempts.every(isAttempt)
}

/**
 * Valid records of a body's compact list (`{ peers, records }`, see compact.ts), and how many were dropped: a
 * tuple of another layout, or one whose record does not check, is dropped alone; a body without the list drops one.
 */
export function checkRecords(body: unknown, partitions: number): { records: TaskRecord[], dropped: number } {
  const { peers, records: list } = (typeof body === 'object' && body !== null ? body : {}) as Partial<Record<'peers' | 'records', unknown>>
  if (!Array.isArray(list) || !Array.isArray(peers)) return { records: [], dropped: 1 }
  const records: TaskRecord[] = []
  for (const t of list) {
    const r = fromTuple(t, peers)
    if (r !== undefined && isTaskRecord(r, partitions)) records.push(r)
  }
  return { records, dropped: list.length - records.length }
}

/** A gossip message: `v`, then the compact records. */
export interface GossipBody extends CompactRecords {
  v: number
}

export function encodeGossip(records: readonly TaskRecord[]): Uint8Array {
  return pack({ v: WIRE_VERSION, ...compactRecords(records) } satisfies GossipBody)
}

/** The body of a gossip message, or undefined for another shape or version; bytes that are not msgpack throw ProtocolError. */
export function decodeGossip(data: Uint8Array): GossipBody | undefined {
  let body: unknown
  try {
    body = unpack(data)
  } catch (err) {
    throw new ProtocolError(`undecodable gossip message: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  if (typeof body !== 'object' || body === null) return undefined
  const { v, peers, records } = body as Record<string, unknown>
  return v === WIRE_VERSION && Array.isArray(records) && Array.isArray(peers) ? { v, peers: peers as string[], records: records as unknown[][] } : undefined
}

/** The encoded size of one record alone (its own peer table included), for packing requests under their byte caps. */
export function recordBytes(r: TaskRecord): number {
  return pack(toStored(r)).length
}

/**
 * A gossip message from tuples packed one by one against one peer table (as the outbound queue packs them, to
 * measure them): each record is encoded once. The same bytes as encodeGossip of those records.
 */
export function encodeGossipPacked(peers: readonly string[], packed: readonly Uint8Array[]): Uint8Array {
  // msgpack of `{ v, peers, records: [] }` ends with the empty array's one byte (0x90): the header of the real one goes there.
  const prefix = pack({ v: WIRE_VERSION, peers, records: [] }).subarray(0, -1)
  const n = packed.length
  const header = n < 16 ? [0x90 | n] : n < 0x10000 ? [0xdc, n >> 8, n & 0xff] : [0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
  let size = prefix.length + header.length
  for (const p of packed) size += p.length
  const out = new Uint8Array(size)
  out.set(prefix, 0)
  out.set(header, prefix.length)
  let at = prefix.length + header.length
  for (const p of packed) {
    out.set(p, at)
    at += p.length
  }
  return out
}
