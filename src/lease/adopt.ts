// Adopting a configuration, and answering peers that live in another one.
// Seal-then-drain: a voter of c that accepts a value for c+1 stops granting
// in c; every voter of c+1 stays silent for W after adopting it, by which
// time every tenure granted in c has ended.

import { assert } from './assert.js'
import { isVoter, persist, send } from './io.js'
import type { ConfigMsg, Message } from './messages.js'
import { resetForConfig } from './proposer.js'
import { startRecovery } from './recovery.js'
import { emptyAcceptorSlot, type Config, type Ctx } from './state.js'

export function adoptConfig(ctx: Ctx, next: Config): void {
  const { s, now } = ctx
  assert(next.cfg > s.config.cfg, 'configs only move forward')
  assert(next.voters.length >= 1, 'a config has voters')
  const firstAfterAmnesia = s.amnesic && s.amnesicCfg === undefined
  s.config = { cfg: next.cfg, voters: [...next.voters] }
  s.floor = { cfg: next.cfg, n: 0 }
  s.acc = s.acc.map(() => emptyAcceptorSlot())
  s.readyAt = s.unsafe.noRestartWait ? now : now + s.params.restartWaitMs
  delete s.cPromised
  delete s.cAccepted
  delete s.cRound
  delete s.recovery
  resetForConfig(ctx)
  if (firstAfterAmnesia) s.amnesicCfg = next.cfg
  persist(ctx)
  ctx.out.push({ type: 'config', cfg: next.cfg, voters: [...next.voters], voter: isVoter(s) })
  if (firstAfterAmnesia && isVoter(s) && s.config.voters.length > 1) startRecovery(ctx)
}

export function onConfig(ctx: Ctx, from: string, msg: ConfigMsg): void {
  if (msg.cfg > ctx.s.config.cfg) adoptConfig(ctx, { cfg: msg.cfg, voters: msg.voters })
  else if (msg.cfg < ctx.s.config.cfg) sendConfig(ctx, from)
}

export function sendConfig(ctx: Ctx, to: string): void {
  if (ctx.s.config.cfg === 0) return
  send(ctx, to, { t: 'config', voters: ctx.s.config.voters })
}

/** A message from another config is not processed; the sender gets our config so it can catch up (or tell us theirs). */
export function crossesConfig(ctx: Ctx, from: string, msg: Message): boolean {
  if (msg.t === 'config' || msg.cfg === ctx.s.config.cfg) return false
  sendConfig(ctx, from)
  return true
}
