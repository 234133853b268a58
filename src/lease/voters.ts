// Which voter set we would like, given the current one and the membership
// hint, as the peer that would propose it sees them. Pure and deterministic.
// The result is only a PROPOSAL: it takes effect only if a majority of the
// current voters accepts it (config.ts), so a minority never changes the set.

import { majority } from './io.js'
import type { NodeState } from './state.js'

export interface VoterInputs {
  current: readonly string[]
  self: string
  selfLeaving: boolean
  now: number
  aliveSince: ReadonlyMap<string, number>
  deadSince: ReadonlyMap<string, number>
  leaving: ReadonlySet<string>
  votersMax: number
  voterDeadReplaceMs: number
  configStableMs: number
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Up and not leaving, as the view has it (the proposer included). */
export function staying(x: VoterInputs, p: string): boolean {
  return p === x.self ? !x.selfLeaving : x.aliveSince.has(p) && !x.leaving.has(p)
}

/** The voters up and staying are no majority: a leaving voter's vote is needed to change the set. */
export function needsLeaverVote(x: VoterInputs): boolean {
  return x.current.filter((p) => staying(x, p)).length < majority(x.current.length)
}

export function desiredVoters(x: VoterInputs): string[] {
  const alive = (p: string): boolean => p === x.self || x.aliveSince.has(p)
  const announced = (p: string): boolean => (p === x.self ? x.selfLeaving : x.leaving.has(p))
  // A majority of the voters leaving at once is a stop of the cluster, not a shrink: they stay voters, so the set
  // on disk is the one every peer restarts with (taking them out would leave the last peer to stop as the only
  // voter, and the cluster unable to start without it). Unless we are leaving too and someone stays: then the set
  // is handed to those who stay (a single voter's stop hands over to the next peer). To shrink by a majority of
  // the voters, stop them fewer at a time.
  const stays = [...x.aliveSince.keys()].some((p) => p !== x.self && !x.leaving.has(p))
  const clusterStop = x.current.filter(announced).length >= majority(x.current.length) && (!x.selfLeaving || !stays)
  // Another voter's leave takes it out at once only if the voters up and staying are no majority without it (its
  // vote is needed, and it waits to give it). Otherwise it stays a voter until it has been gone for
  // voterDeadReplaceMs, like a dead one: a voter restarted meanwhile (a rolling deploy) changes no set.
  const urgent = needsLeaverVote(x)
  const leaving = (p: string): boolean =>
    announced(p) && !(clusterStop && x.current.includes(p)) && (p === x.self || !x.current.includes(p) || urgent)
  const deadLong = (p: string): boolean => !alive(p) && x.now - (x.deadSince.get(p) ?? -Infinity) >= x.voterDeadReplaceMs
  const keep = x.current.filter((p) => !leaving(p) && !deadLong(p))
  const stable = (p: string): boolean => p === x.self || x.now - (x.aliveSince.get(p) ?? Infinity) >= x.configStableMs
  const candidates = [...new Set([x.self, ...x.aliveSince.keys()])]
    .filter((p) => !x.current.includes(p) && !leaving(p) && stable(p))
    .sort(byId)
  let target = Math.min(x.votersMax, keep.length + candidates.length)
  if (target % 2 === 0) target -= 1
  const out = [...keep]
  for (const c of candidates) if (out.length < target) out.push(c)
  // Too many (a shrink): keep the proposer itself (surely alive; a peer killed a moment ago may still look
  // alive), then drop voters that look dead first, then the highest ids.
  const rank = (p: string): number => (p === x.self ? 2 : alive(p) ? 1 : 0)
  out.sort((a, b) => rank(b) - rank(a) || byId(a, b))
  return out.slice(0, Math.max(target, 1)).sort(byId)
}


export function voterInputs(s: NodeState, now: number): VoterInputs {
  return {
    current: s.config.voters,
    self: s.id,
    selfLeaving: s.leaving,
    now,
    aliveSince: s.view.aliveSince,
    deadSince: s.view.deadSince,
    leaving: s.view.leaving,
    votersMax: s.params.votersMax,
    voterDeadReplaceMs: s.params.voterDeadReplaceMs,
    configStableMs: s.params.configStableMs,
  }
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}
