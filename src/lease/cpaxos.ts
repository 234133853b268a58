// Changing the voter set: single-decree Paxos, among the voters of config c,
// on the value "voters of config c+1". Acceptor state is persisted before
// every reply (a forgotten promise could let two different c+1 be chosen).
// Accepting a value seals c (acceptor.ts refuses lease votes), so once c+1
// is chosen no c-majority can grant or renew any more.

import { adoptConfig } from './adopt.js'
import { compareBallots, type Ballot } from './ballot.js'
import { isVoter, jitter, majority, persist, send, sendAll } from './io.js'
import type { CfgAcceptedMsg, CfgAcceptMsg, CfgPrepareMsg, CfgPromiseMsg } from './messages.js'
import { workers } from './placement.js'
import type { Ctx } from './state.js'
import { desiredVoters, needsLeaverVote, sameSet, staying, voterInputs } from './voters.js'

/** A node that booted without its disk abstains from choosing the successor of the first config it learned. */
function abstains(ctx: Ctx): boolean {
  const s = ctx.s
  return !isVoter(s) || s.amnesicCfg === s.config.cfg
}

function beaten(b: Ballot, promised: Ballot | undefined): boolean {
  return promised !== undefined && compareBallots(b, promised) < 0
}

export function onCfgPrepare(ctx: Ctx, from: string, msg: CfgPrepareMsg): void {
  const s = ctx.s
  if (abstains(ctx)) return
  const b = { n: msg.n, by: from }
  if (beaten(b, s.cPromised)) return send(ctx, from, { t: 'cfg-promise', n: msg.n, ok: false, pn: s.cPromised!.n, pby: s.cPromised!.by })
  s.cPromised = b
  persist(ctx)
  const acc = s.cAccepted ? { an: s.cAccepted.b.n, aby: s.cAccepted.b.by, avoters: s.cAccepted.voters } : {}
  send(ctx, from, { t: 'cfg-promise', n: msg.n, ok: true, ...acc })
}

export function onCfgAccept(ctx: Ctx, from: string, msg: CfgAcceptMsg): void {
  const s = ctx.s
  if (abstains(ctx)) return
  const b = { n: msg.n, by: from }
  if (beaten(b, s.cPromised)) return send(ctx, from, { t: 'cfg-accepted', n: msg.n, ok: false, pn: s.cPromised!.n, pby: s.cPromised!.by })
  s.cPromised = b
  if (!s.cAccepted) s.cSealedAt = ctx.now
  s.cAccepted = { b, voters: [...msg.voters] }
  persist(ctx)
  send(ctx, from, { t: 'cfg-accepted', n: msg.n, ok: true })
}

function fail(ctx: Ctx, pn: number | undefined): void {
  const s = ctx.s
  s.cNSeen = Math.max(s.cNSeen, pn ?? 0)
  delete s.cRound
  s.cRetryAt = ctx.now + s.params.configRetryMs + jitter(s)
}

export function onCfgPromise(ctx: Ctx, from: string, msg: CfgPromiseMsg): void {
  const s = ctx.s
  const r = s.cRound
  if (!r || r.phase !== 'prepare' || r.b.n !== msg.n || !isVoter(s, from)) return
  if (!msg.ok) return fail(ctx, msg.pn)
  r.votes.add(from)
  if (msg.avoters && (!r.best || compareBallots({ n: msg.an!, by: msg.aby! }, r.best.b) > 0)) r.best = { b: { n: msg.an!, by: msg.aby! }, voters: msg.avoters }
  if (r.votes.size < majority(s.config.voters.length)) return
  r.phase = 'accept'
  r.votes = new Set()
  r.value = r.best ? r.best.voters : r.value!
  sendAll(ctx, s.config.voters, { t: 'cfg-accept', n: r.b.n, voters: r.value })
}

export function onCfgAccepted(ctx: Ctx, from: string, msg: CfgAcceptedMsg): void {
  const s = ctx.s
  const r = s.cRound
  if (!r || r.phase !== 'accept' || r.b.n !== msg.n || !isVoter(s, from)) return
  if (!msg.ok) return fail(ctx, msg.pn)
  r.votes.add(from)
  if (r.votes.size < majority(s.config.voters.length)) return
  const told = new Set([...s.config.voters, ...r.value!, ...workers(s)])
  adoptConfig(ctx, { cfg: s.config.cfg + 1, voters: r.value! })
  told.delete(s.id)
  sendAll(ctx, [...told], { t: 'config', voters: s.config.voters })
}

/** Lowest alive, non-leaving voter in our view runs config rounds; anyone does once a seal has stalled. */
function leads(ctx: Ctx): boolean {
  const s = ctx.s
  const x = voterInputs(s, ctx.now)
  const alive = s.config.voters.filter((v) => staying(x, v))
  const first = alive.sort()[0] ?? s.config.voters.filter((v) => v === s.id || s.view.aliveSince.has(v)).sort()[0]
  return first === s.id
}

/** Timer work: start or time out a config round. */
export function tickConfig(ctx: Ctx): void {
  const { s, now } = ctx
  if (s.config.cfg === 0 || !isVoter(s)) return
  if (s.cRound && now >= s.cRound.deadline) fail(ctx, 0)
  if (s.cRound || now < s.cRetryAt) return
  const stalled = s.cAccepted !== undefined && now - s.cSealedAt >= s.params.configRetryMs
  const x = voterInputs(s, now)
  const desired = desiredVoters(x)
  // A leave the others need to act on at once (they are no majority without the leaver's vote; voters.ts) goes
  // once who is leaving has settled, while the leaver waits and answers. That settle counts from the last change
  // to who is leaving (peers stopped together), not from other moves of the view (a voter going suspect meanwhile
  // must not push the change past the leaver's wait). Any other change waits for configStableMs of a still view.
  const leaver = s.config.voters.some((v) => v !== s.id && s.view.leaving.has(v))
  const urgent = leaver && needsLeaverVote(x)
  const settled = urgent
    ? now - s.view.leavingChangedAt >= Math.min(s.params.leaveSettleMs, s.params.configStableMs)
    : now - s.view.changedAt >= s.params.configStableMs
  const wanted = desired.length >= 1 && !sameSet(desired, s.config.voters) && settled
  if (!stalled && !(wanted && leads(ctx))) return
  const b = { n: Math.max(s.cNSeen, s.cPromised?.n ?? 0) + 1, by: s.id }
  s.cNSeen = b.n
  s.cRound = { b, phase: 'prepare', votes: new Set(), value: desired, deadline: now + 2 * s.params.configRetryMs }
  sendAll(ctx, s.config.voters, { t: 'cfg-prepare', n: b.n })
}
