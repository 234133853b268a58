// Ballots and fences. A ballot is (n, by) inside one voter configuration;
// a fence is the ballot that started a tenure, qualified by its config
// number, and is exported as a string whose plain `<` order (code units,
// never localeCompare) is the grant order.

import { assert } from './assert.js'
import { BALLOT_N_MAX } from './constants.js'

export interface Ballot {
  n: number
  by: string
}

/** The least ballot with number n; what a restarted acceptor promises from its floor. */
export function floorBallot(n: number): Ballot {
  return { n, by: '' }
}

export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.n !== b.n) return a.n < b.n ? -1 : 1
  return a.by < b.by ? -1 : a.by > b.by ? 1 : 0
}

export function sameBallot(a: Ballot | undefined, b: Ballot | undefined): boolean {
  return a !== undefined && b !== undefined && a.n === b.n && a.by === b.by
}

/** Config numbers take 8 hex digits, ballot numbers 14 (2^53 fits in 14). */
const CFG_HEX = 8
const N_HEX = 14

/**
 * A fence: `<cfg:8 hex>.<n:14 hex>.<peer id>`. Compare with `<` on strings.
 * Fixed widths make the string order equal to (cfg, n, peer) order.
 */
export type Fence = string

export function makeFence(cfg: number, ballot: Ballot): Fence {
  assert(Number.isInteger(cfg) && cfg >= 0 && cfg <= 0xffffffff, `fence cfg out of range: ${cfg}`)
  assert(Number.isInteger(ballot.n) && ballot.n >= 0 && ballot.n <= BALLOT_N_MAX, `fence n out of range: ${ballot.n}`)
  return `${cfg.toString(16).padStart(CFG_HEX, '0')}.${ballot.n.toString(16).padStart(N_HEX, '0')}.${ballot.by}`
}

export function compareFences(a: Fence, b: Fence): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function parseFence(fence: Fence): { cfg: number, ballot: Ballot } | undefined {
  const m = /^([0-9a-f]{8})\.([0-9a-f]{14})\.(.*)$/s.exec(fence)
  if (m === null) return undefined
  return { cfg: parseInt(m[1] ?? '', 16), ballot: { n: parseInt(m[2] ?? '', 16), by: m[3] ?? '' } }
}
