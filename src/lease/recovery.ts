// Floor recovery after a disk loss. An acceptor that forgot its promises
// must not promise below a ballot it promised before, or fences could go
// backwards. Every ballot it ever promised was also promised (and its floor
// persisted) by enough other voters that any majority of the OTHER voters
// contains one of them; so it asks the others for their floors, takes the
// largest, and votes again only after a majority of them answered.

import { floorBallot } from './ballot.js'
import { isVoter, majority, persist, sendAll, send } from './io.js'
import type { FloorQueryMsg, FloorReplyMsg } from './messages.js'
import type { Ctx } from './state.js'

function others(ctx: Ctx): string[] {
  return ctx.s.config.voters.filter((v) => v !== ctx.s.id)
}

export function startRecovery(ctx: Ctx): void {
  const { s, now } = ctx
  const rid = Math.floor(s.random.next() * 0xffffffff)
  s.recovery = { rid, floors: new Map(), sentAt: now }
  persist(ctx)
  sendAll(ctx, others(ctx), { t: 'floor-query', rid })
}

/** Called on ticks: re-ask if answers are missing. */
export function tickRecovery(ctx: Ctx): void {
  const r = ctx.s.recovery
  if (r && ctx.now - r.sentAt >= ctx.s.params.configRetryMs) {
    r.sentAt = ctx.now
    sendAll(ctx, others(ctx).filter((v) => !r.floors.has(v)), { t: 'floor-query', rid: r.rid })
  }
}

export function onFloorQuery(ctx: Ctx, from: string, msg: FloorQueryMsg): void {
  const s = ctx.s
  if (!isVoter(s) || s.recovery) return
  send(ctx, from, { t: 'floor-reply', rid: msg.rid, floor: s.floor.cfg === s.config.cfg ? s.floor.n : 0 })
}

export function onFloorReply(ctx: Ctx, from: string, msg: FloorReplyMsg): void {
  const s = ctx.s
  const r = s.recovery
  if (!r || r.rid !== msg.rid || !others(ctx).includes(from)) return
  r.floors.set(from, msg.floor)
  if (r.floors.size < majority(s.config.voters.length - 1)) return
  const n = Math.max(0, ...r.floors.values())
  for (const a of s.acc) a.promised = floorBallot(n)
  s.floor = { cfg: s.config.cfg, n: n + s.params.floorReserve }
  delete s.recovery
  persist(ctx)
}
