// Checks records and bodies that arrive from other peers, and the gossip
// message encoding (msgpack). A peer trusts the cluster (it shares a private
// network key) but not the shape of bytes: a malformed record is dropped and
// logged, never merged.
import { pack, unpack } from 'msgpackr'
import { ProtocolError } from '../errors.js'
import { TASK_ID_LENGTH_MAX, WIRE_VERSION } from './constants.js'
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

/** Valid records of a list from the wire, and how many were dropped. */
export function checkRecords(list: unknown, partitions: number): { records: TaskRecord[], dropped: number } {
  if (!Array.isArray(list)) return { records: [], dropped: 1 }
  const records = list.filter((r): r is TaskRecord => isTaskRecord(r, partitions))
  return { records, dropped: list.length - records.length }
}

export interface GossipBody {
  v: number
  records: unknown[]
}

export function encodeGossip(records: readonly TaskRecord[]): Uint8Array {
  return pack({ v: WIRE_VERSION, records: [...records] } satisfies GossipBody)
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
  const { v, records } = body as Record<string, unknown>
  return v === WIRE_VERSION && Array.isArray(records) ? { v, records } : undefined
}

/** The encoded size of one record, for packing gossip messages under their byte cap. */
export function recordBytes(r: TaskRecord): number {
  return pack(r).length
}

/** msgpack of `{ v: WIRE_VERSION, records: [` up to the array header. */
const GOSSIP_PREFIX = pack({ v: WIRE_VERSION, records: [] }).subarray(0, -1)

/**
 * The same message as encodeGossip, from records packed one by one (as the
 * outbound queue packs them to measure them): each record is encoded once.
 */
export function encodeGossipPacked(packed: readonly Uint8Array[]): Uint8Array {
  const n = packed.length
  const header = n < 16 ? [0x90 | n] : n < 0x10000 ? [0xdc, n >> 8, n & 0xff] : [0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
  let size = GOSSIP_PREFIX.length + header.length
  for (const p of packed) size += p.length
  const out = new Uint8Array(size)
  out.set(GOSSIP_PREFIX, 0)
  out.set(header, GOSSIP_PREFIX.length)
  let at = GOSSIP_PREFIX.length + header.length
  for (const p of packed) {
    out.set(p, at)
    at += p.length
  }
  return out
}
