// Bodies of the actor channels and their validation. Every field read from
// the wire is checked here (types, sizes, formats) before anything uses it;
// a bad body is answered with ProtocolError.
import { ProtocolError, UnavailableError } from '../errors.js'
import { describeValue } from '../util/describe.js'
import { ADDRESS_LENGTH_MAX, parseAddress, type ActorAddress } from './address.js'
import { APPLIED_IDS_LIMIT, CATCH_UP_PAGE_MAX, APPLIED_RESULT_BYTES_MAX, FENCE_LENGTH_MAX, HANDLER_NAME_LENGTH_MAX, HANDLER_NAME_PATTERN, MESSAGE_ID_LENGTH_MAX, WIRE_VERSION } from './constants.js'
import { InvalidAddressError } from './errors.js'

/** `actors.deliver` request: one message for one actor. */
export interface DeliverBody {
  v: number
  /** Address. */
  a: string
  /** Handler name. */
  h: string
  /** The message, msgpack-encoded by the sender (so its size is known and checked on both sides). */
  m: Uint8Array
  /** For an ask: how long the sender still waits, in ms. Absent for a tell. */
  t?: number
  /** The message id, the same on every re-send: a message already applied is not applied again. */
  q: string
}

/** `actors.deliver` reply: accepted (tell), the result (ask), or "not the holder" with a hint. */
export type DeliverReply = { ok: 1 } | { r: unknown } | { nh: 1, hint?: string }

/** A saved state: version (grows by one per save), fence of the writer, msgpack-encoded state. */
export interface StateRecord {
  v: number
  f: string
  s: Uint8Array
  /** Ids of the last messages that changed the state, with their encoded results (see APPLIED_IDS_MAX). */
  d?: Array<[string, Uint8Array]>
}

/** `actors.state.put` request: a replica copy. Reply: `{ ok: 1 }`. */
export interface StatePutBody {
  v: number
  a: string
  r: StateRecord
}

/** `actors.state.get` request; reply StateGetReply. */
export interface StateGetBody {
  v: number
  a: string
}

/**
 * `actors.state.get` reply (no `r`: no copy). From a voter that has caught up
 * after a voter-set change: `{ r?, k }`, `k` the id of the voter set it caught
 * up with (voterSetId). From one still catching up: `{ wait: 1, c: 1, r? }`, a
 * copy that counts toward a majority but completes no read by itself
 * (replicas.ts). `{ r? }` from a peer with nothing to catch up (the first set
 * it learned, no voter set) or an older peer: it counts as caught up toward a
 * majority of such answers only, the older rule. `{ wait: 1 }` alone (an
 * older peer still catching up): no copy.
 */
export type StateGetReply = { r?: StateRecord, k?: number } | { wait: 1, c: 1, r?: StateRecord }

export interface StateCopy {
  record: StateRecord | undefined
  /** The sender had caught up (with the voter set `set`, when it says). */
  ready: boolean
  set: number | undefined
}

/** A state.get reply's copy; throws if its sender sent none (an older peer still catching up). */
export function parseStateGetReply(body: unknown, from: string, stateBytesMax: number): StateCopy {
  const b = object(body, false)
  const ready = b.wait === undefined
  if (!ready && !(b.wait === 1 && b.c === 1)) throw new UnavailableError(`${from} is catching up after a voter-set change and sent no copy`)
  if (b.k !== undefined && !(Number.isInteger(b.k) && (b.k as number) >= 0 && (b.k as number) <= 0xffffffff)) throw new ProtocolError('actors.state.get reply: bad voter set id')
  return { record: b.r === undefined ? undefined : parseRecord(b.r, stateBytesMax), ready, set: ready ? b.k as number | undefined : undefined }
}

/** `actors.state.list` request: the saved states after address `after` (from the first when absent). */
export interface StateListBody {
  v: number
  after?: string
}

/** `actors.state.list` reply: a page of [address, record] in address order; `more` if the page was cut short. */
export interface StateListReply {
  items: Array<[string, StateRecord]>
  more: boolean
}

export interface ParsedDeliver {
  target: ActorAddress
  handler: string
  message: Uint8Array
  waitMs: number | undefined
  id: string
}

export function parseDeliver(body: unknown, messageBytesMax: number): ParsedDeliver {
  const b = object(body)
  const target = address(b.a)
  if (typeof b.h !== 'string' || b.h.length > HANDLER_NAME_LENGTH_MAX || !HANDLER_NAME_PATTERN.test(b.h)) throw new ProtocolError('actors.deliver: bad handler name')
  const message = bytes(b.m, messageBytesMax, 'message')
  if (b.t !== undefined && !(typeof b.t === 'number' && Number.isFinite(b.t) && b.t > 0)) throw new ProtocolError('actors.deliver: bad wait time')
  return { target, handler: b.h, message, waitMs: b.t as number | undefined, id: messageId(b.q) }
}

export function parseDeliverReply(body: unknown): DeliverReply {
  const b = object(body, false)
  if (b.nh === 1) {
    if (b.hint !== undefined && !(typeof b.hint === 'string' && b.hint.length <= ADDRESS_LENGTH_MAX)) throw new ProtocolError('actors.deliver reply: bad hint')
    return { nh: 1, hint: b.hint as string | undefined }
  }
  if ('r' in b) return { r: b.r }
  if (b.ok === 1) return { ok: 1 }
  throw new ProtocolError('actors.deliver reply: unknown shape')
}

export function parseStatePut(body: unknown, stateBytesMax: number): { target: ActorAddress, record: StateRecord } {
  const b = object(body)
  return { target: address(b.a), record: parseRecord(b.r, stateBytesMax) }
}

export function parseStateGet(body: unknown): ActorAddress {
  return address(object(body).a)
}

export function parseStateList(body: unknown): { after: string | undefined } {
  const b = object(body)
  if (b.after === undefined) return { after: undefined }
  return { after: address(b.after).address }
}

export function parseStateListReply(body: unknown, stateBytesMax: number): StateListReply {
  const b = object(body, false)
  if (!Array.isArray(b.items) || b.items.length > CATCH_UP_PAGE_MAX) throw new ProtocolError('actors.state.list reply: bad items')
  if (typeof b.more !== 'boolean') throw new ProtocolError('actors.state.list reply: bad more')
  const items = b.items.map((entry: unknown): [string, StateRecord] => {
    if (!Array.isArray(entry) || entry.length !== 2) throw new ProtocolError('actors.state.list reply: bad item')
    return [address(entry[0]).address, parseRecord(entry[1], stateBytesMax)]
  })
  return { items, more: b.more }
}

export function parseRecord(value: unknown, stateBytesMax: number): StateRecord {
  const r = object(value, false)
  if (!(Number.isSafeInteger(r.v) && (r.v as number) > 0)) throw new ProtocolError('state record: bad version')
  if (typeof r.f !== 'string' || r.f.length > FENCE_LENGTH_MAX) throw new ProtocolError('state record: bad fence')
  const record: StateRecord = { v: r.v as number, f: r.f, s: bytes(r.s, stateBytesMax, 'state') }
  if (r.d !== undefined) record.d = applied(r.d)
  return record
}

function applied(value: unknown): Array<[string, Uint8Array]> {
  if (!Array.isArray(value) || value.length > APPLIED_IDS_LIMIT) throw new ProtocolError('state record: bad applied ids')
  return value.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 2) throw new ProtocolError('state record: bad applied id')
    return [messageId(entry[0]), bytes(entry[1], APPLIED_RESULT_BYTES_MAX, 'applied result')]
  })
}

function messageId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MESSAGE_ID_LENGTH_MAX) throw new ProtocolError('actor body: bad message id')
  return value
}

function object(value: unknown, versioned = true): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('actor body: expected an object')
  const b = value as Record<string, unknown>
  if (versioned && b.v !== WIRE_VERSION) throw new ProtocolError(`actor body: unsupported version ${describeValue(b.v)}`)
  return b
}

function address(value: unknown): ActorAddress {
  try {
    return parseAddress(value)
  } catch (err) {
    if (err instanceof InvalidAddressError) throw new ProtocolError(`actor body: ${err.message}`)
    throw err
  }
}

function bytes(value: unknown, max: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ProtocolError(`actor body: ${what} must be bytes`)
  if (value.byteLength > max) throw new ProtocolError(`actor body: ${what} of ${value.byteLength} bytes exceeds ${max}`)
  return value
}
