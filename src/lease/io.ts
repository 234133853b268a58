// Helpers every handler uses to produce effects: sending (with loopback to
// ourselves), persisting, quorum arithmetic and jittered backoff.

import { assert } from './assert.js'
import { LEASE_WIRE_VERSION } from './constants.js'
import { channelOf, type Message } from './messages.js'
import type { Ctx, NodeState } from './state.js'
import type { PersistedState } from './types.js'

type Body = Message extends infer M ? M extends Message ? Omit<M, 'v' | 'cfg'> : never : never

export function send(ctx: Ctx, to: string, body: Body): void {
  const message = { v: LEASE_WIRE_VERSION, cfg: ctx.s.config.cfg, ...body } as Message
  if (to === ctx.s.id) ctx.loopback.push({ body: message })
  else ctx.out.push({ type: 'send', to, channel: channelOf(message), message })
}

export function sendAll(ctx: Ctx, to: readonly string[], body: Body): void {
  for (const peer of to) send(ctx, peer, body)
}

export function persisted(s: NodeState): PersistedState {
  const state: PersistedState = {
    cfg: s.config.cfg,
    voters: [...s.config.voters],
    floorCfg: s.floor.cfg,
    floorN: s.unsafe.noFloorPersist ? 0 : s.floor.n,
  }
  if (s.amnesicCfg !== undefined) state.abstainCfg = s.amnesicCfg
  if (s.recovery) state.recovering = true
  if (s.propReserved > 0) state.propN = s.propReserved
  if (s.cPromised) state.cPromised = { ...s.cPromised }
  if (s.cAccepted) state.cAccepted = { n: s.cAccepted.b.n, by: s.cAccepted.b.by, voters: [...s.cAccepted.voters] }
  return state
}

export function persist(ctx: Ctx): void {
  ctx.out.push({ type: 'persist', state: persisted(ctx.s) })
}

/** Raise the persisted floor past `n` by reservation, before any reply that promises n leaves. */
export function raiseFloor(ctx: Ctx, n: number): void {
  const s = ctx.s
  assert(s.floor.cfg === s.config.cfg, 'floor belongs to the current config')
  if (n < s.floor.n) return
  s.floor = { cfg: s.config.cfg, n: n + s.params.floorReserve }
  persist(ctx)
}

export function isVoter(s: NodeState, peer = s.id): boolean {
  return s.config.voters.includes(peer)
}

export function majority(size: number): number {
  return Math.floor(size / 2) + 1
}

/** Voters a proposer asks, and how many must agree. The `viewQuorum` mutant counts only voters its view sees alive. */
export function quorumOf(s: NodeState): { voters: string[], needed: number } {
  const voters = s.config.voters
  if (!s.unsafe.viewQuorum) return { voters, needed: majority(voters.length) }
  const seen = voters.filter((v) => v === s.id || s.view.aliveSince.has(v))
  return { voters: seen, needed: majority(Math.max(seen.length, 1)) }
}

export function jitter(s: NodeState): number {
  return Math.floor(s.random.next() * (s.params.backoffJitterMs + 1))
}
