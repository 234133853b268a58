// Acceptor rules (A2 Prepare, A4 Propose, Release). Safety rests on three
// facts kept here: a promise never goes down (floor persisted before the
// reply), an unexpired grant to someone else is never overridden by a
// Prepare (busy), and after a restart or a new config nothing is answered
// until every grant we might have forgotten has expired (wait W).

import { compareBallots, sameBallot, type Ballot } from './ballot.js'
import { isVoter, raiseFloor, send } from './io.js'
import type { PrepareMsg, ProposeMsg, ReleaseMsg, VoteResult } from './messages.js'
import { onReleased } from './proposer.js'
import type { Ctx } from './state.js'

function refusal(ctx: Ctx, p: number, n: number): VoteResult | undefined {
  const s = ctx.s
  if (s.cAccepted) return { p, n, r: 'sealed' }
  if (s.recovery || ctx.now < s.readyAt) return { p, n, r: 'wait', ms: Math.ceil(Math.max(s.readyAt - ctx.now, s.params.roundTimeoutMs)) }
  return undefined
}

function nack(p: number, n: number, promised: Ballot): VoteResult {
  return { p, n, r: 'nack', pn: promised.n, pby: promised.by }
}

function prepareOne(ctx: Ctx, from: string, p: number, n: number): VoteResult {
  const early = refusal(ctx, p, n)
  if (early) return early
  const a = ctx.s.acc[p]!
  const b = { n, by: from }
  if (a.promised && compareBallots(b, a.promised) < 0) return nack(p, n, a.promised)
  if (a.accepted && ctx.now < a.accepted.expiresAt && a.accepted.b.by !== from) {
    return { p, n, r: 'busy', ms: Math.ceil(a.accepted.expiresAt - ctx.now) }
  }
  a.promised = b
  raiseFloor(ctx, n)
  return { p, n, r: 'ok' }
}

function proposeOne(ctx: Ctx, from: string, seq: number, p: number, n: number): VoteResult | undefined {
  const early = refusal(ctx, p, n)
  if (early) return early
  const a = ctx.s.acc[p]!
  const b = { n, by: from }
  if (a.promised && compareBallots(b, a.promised) < 0) return nack(p, n, a.promised)
  if (sameBallot(a.lastB, b) && seq <= a.lastSeq) return undefined
  a.promised = b
  raiseFloor(ctx, n)
  a.accepted = { b, expiresAt: ctx.now + ctx.s.params.leaseMs }
  a.lastB = b
  a.lastSeq = seq
  // A sign of a live owner for our own placement: a fallback rank need not probe (§7).
  if (from !== ctx.s.id) ctx.s.slots[p]!.ownerSeenAt = ctx.now
  return { p, n, r: 'ok' }
}

export function onPrepare(ctx: Ctx, from: string, msg: PrepareMsg): void {
  if (!isVoter(ctx.s)) return
  const rs = msg.es.map((e) => prepareOne(ctx, from, e.p, e.n))
  send(ctx, from, { t: 'promise', rs })
}

export function onPropose(ctx: Ctx, from: string, msg: ProposeMsg): void {
  if (!isVoter(ctx.s)) return
  const rs: VoteResult[] = []
  for (const e of msg.es) {
    const r = proposeOne(ctx, from, msg.seq, e.p, e.n)
    if (r) rs.push(r)
  }
  if (rs.length > 0) send(ctx, from, { t: 'accepted', seq: msg.seq, rs })
}

export function onRelease(ctx: Ctx, from: string, msg: ReleaseMsg): void {
  if (isVoter(ctx.s)) {
    for (const e of msg.es) {
      const a = ctx.s.acc[e.p]!
      if (a.accepted && sameBallot(a.accepted.b, { n: e.n, by: from })) delete a.accepted
    }
  }
  onReleased(ctx, from, msg.es)
}
