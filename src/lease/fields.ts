// Field readers for wire validation. Each throws a LeaseMessageError naming
// the field, so a rejected message says exactly what was wrong with it.

import { BALLOT_N_MAX, PEER_ID_CHARS_MAX, VOTERS_WIRE_MAX } from './constants.js'
import { LeaseMessageError } from './errors.js'

export type Obj = Record<string, unknown>

export function fail(reason: string): never {
  throw new LeaseMessageError(reason)
}

export function obj(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${field}: not an object`)
  return value as Obj
}

export function int(o: Obj, field: string, min: number, max: number): number {
  const v = o[field]
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`${field}: not an integer`)
  if (v < min || v > max) fail(`${field}: ${v} outside ${min}..${max}`)
  return v
}

export function ballotN(o: Obj, field: string): number {
  return int(o, field, 0, BALLOT_N_MAX)
}

export function str(o: Obj, field: string, allowEmpty = false): string {
  const v = o[field]
  if (typeof v !== 'string') fail(`${field}: not a string`)
  if (!allowEmpty && v.length === 0) fail(`${field}: empty`)
  if (v.length > PEER_ID_CHARS_MAX) fail(`${field}: longer than ${PEER_ID_CHARS_MAX}`)
  return v
}

export function bool(o: Obj, field: string): boolean {
  const v = o[field]
  if (typeof v !== 'boolean') fail(`${field}: not a boolean`)
  return v
}

export function list(o: Obj, field: string, maxItems: number): unknown[] {
  const v = o[field]
  if (!Array.isArray(v)) fail(`${field}: not an array`)
  if (v.length > maxItems) fail(`${field}: more than ${maxItems} items`)
  return v
}

/** A voter list: distinct non-empty peer ids, at least one. */
export function voters(o: Obj, field: string): string[] {
  const items = list(o, field, VOTERS_WIRE_MAX)
  const out = items.map((item, i) => {
    const key = `${field}[${i}]`
    return str({ [key]: item }, key)
  })
  if (out.length === 0) fail(`${field}: empty`)
  if (new Set(out).size !== out.length) fail(`${field}: duplicate voter`)
  return out
}

export function has(o: Obj, field: string): boolean {
  return o[field] !== undefined
}
