// Decoding of wire messages: every field is checked, unknown types and
// malformed values are rejected with a reason. Partition ids are checked
// against P, so a decoded message can index per-partition state directly.

import { LEASE_WIRE_VERSION } from './constants.js'
import { LeaseMessageError } from './errors.js'
import { ballotN, bool, fail, has, int, list, obj, str, voters, type Obj } from './fields.js'
import type { Message, VoteResult } from './messages.js'

const U32_MAX = 0xffffffff
const MS_MAX = 24 * 3600 * 1000
const REFUSALS = new Set(['ok', 'nack', 'busy', 'wait', 'sealed'])

function entries(o: Obj, partitions: number): Array<{ p: number, n: number }> {
  const seen = new Set<number>()
  return list(o, 'es', partitions).map((item, i) => {
    const e = obj(item, `es[${i}]`)
    const p = int(e, 'p', 0, partitions - 1)
    if (seen.has(p)) fail(`es[${i}].p: duplicate partition ${p}`)
    seen.add(p)
    return { p, n: ballotN(e, 'n') }
  })
}

function results(o: Obj, partitions: number): VoteResult[] {
  return list(o, 'rs', partitions).map((item, i) => {
    const e = obj(item, `rs[${i}]`)
    const r = e.r
    if (typeof r !== 'string' || !REFUSALS.has(r)) fail(`rs[${i}].r: not one of ${[...REFUSALS].join('|')}`)
    const out: VoteResult = { p: int(e, 'p', 0, partitions - 1), n: ballotN(e, 'n'), r: r as VoteResult['r'] }
    if (has(e, 'ms')) out.ms = int(e, 'ms', 0, MS_MAX)
    if (has(e, 'pn')) out.pn = ballotN(e, 'pn')
    if (has(e, 'pby')) out.pby = str(e, 'pby', true)
    if (r === 'nack' && out.pn === undefined) fail(`rs[${i}].pn: required on nack`)
    return out
  })
}

function promised(o: Obj): { pn?: number, pby?: string } {
  const out: { pn?: number, pby?: string } = {}
  if (has(o, 'pn')) out.pn = ballotN(o, 'pn')
  if (has(o, 'pby')) out.pby = str(o, 'pby', true)
  return out
}

function decodeBody(o: Obj, t: string, v: number, cfg: number, partitions: number): Message {
  switch (t) {
    case 'prepare': return { v, cfg, t, es: entries(o, partitions) }
    case 'propose': return { v, cfg, t, seq: int(o, 'seq', 1, Number.MAX_SAFE_INTEGER), es: entries(o, partitions) }
    case 'release': return { v, cfg, t, es: entries(o, partitions) }
    case 'promise': return { v, cfg, t, rs: results(o, partitions) }
    case 'accepted': return { v, cfg, t, seq: int(o, 'seq', 1, Number.MAX_SAFE_INTEGER), rs: results(o, partitions) }
    case 'config': return { v, cfg, t, voters: voters(o, 'voters') }
    case 'cfg-prepare': return { v, cfg, t, n: ballotN(o, 'n') }
    case 'cfg-accept': return { v, cfg, t, n: ballotN(o, 'n'), voters: voters(o, 'voters') }
    case 'cfg-accepted': return { v, cfg, t, n: ballotN(o, 'n'), ok: bool(o, 'ok'), ...promised(o) }
    case 'cfg-promise': {
      const msg: Message = { v, cfg, t, n: ballotN(o, 'n'), ok: bool(o, 'ok'), ...promised(o) }
      if (has(o, 'an') || has(o, 'avoters')) {
        msg.an = ballotN(o, 'an')
        msg.aby = str(o, 'aby')
        msg.avoters = voters(o, 'avoters')
      }
      return msg
    }
    case 'floor-query': return { v, cfg, t, rid: int(o, 'rid', 0, U32_MAX) }
    case 'floor-reply': return { v, cfg, t, rid: int(o, 'rid', 0, U32_MAX), floor: ballotN(o, 'floor') }
    default: return fail(`t: unknown message type ${JSON.stringify(t).slice(0, 40)}`)
  }
}

/** Decodes a message body from the wire, or throws LeaseMessageError with the reason. */
export function decodeMessage(body: unknown, partitions: number): Message {
  const o = obj(body, 'message')
  const v = int(o, 'v', 0, U32_MAX)
  if (v !== LEASE_WIRE_VERSION) fail(`v: unsupported wire version ${v}`)
  const t = o.t
  if (typeof t !== 'string') fail('t: not a string')
  return decodeBody(o, t, v, int(o, 'cfg', 0, U32_MAX), partitions)
}

export type Validation = { ok: true, message: Message } | { ok: false, reason: string }

/** Like decodeMessage, but returns the reason instead of throwing. */
export function validateMessage(body: unknown, partitions: number): Validation {
  try {
    return { ok: true, message: decodeMessage(body, partitions) }
  } catch (err) {
    if (err instanceof LeaseMessageError) return { ok: false, reason: err.reason }
    throw err
  }
}
