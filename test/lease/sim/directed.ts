// Directed scenarios: each one stages the narrow interleaving that a rule
// exists to prevent. With the rule in place the checker stays silent; with
// the matching mutation it must report a violation. Random runs hit some of
// these rarely or never (see docs/lease-protocol.md).

import type { UnsafeKnobs } from '../../../src/lease/index.js'
import type { Violation } from './checker.js'
import { SIM_RHO, simParams } from './params.js'
import { holdersOf, namesRankedFirst, presetWorld } from './scenario.js'
import type { World } from './world.js'

export interface ScenarioResult {
  violations: Violation[]
  world: World
}

const ACCEPTORS = ['A', 'B', 'C']
const solo = { partitions: 1, fallbackRanks: 0 }

function blockBoth(w: World, a: string, b: string): void {
  w.net.block(a, b)
  w.net.block(b, a)
}

/** X holds via {A,B}; B restarts right away and, if it skips the wait W, promises rival Y, who wins {B,C}. */
export function restartWait(unsafe?: UnsafeKnobs): ScenarioResult {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], params: solo, unsafe })
  blockBoth(w, x, 'C')
  blockBoth(w, y, 'A')
  w.run(2000)
  w.hint(y, [...ACCEPTORS, y])
  w.schedule(2100, () => {
    w.crash('B')
    w.restart('B')
  })
  w.run(6000)
  return { violations: w.checker.violations, world: w }
}

/** X's clock runs slow, the acceptors' fast, both at the bound rho; X is cut off and Y takes over as soon as the acceptors let go. */
export function driftMargin(unsafe?: UnsafeKnobs): ScenarioResult {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  const rates = { A: 1 + SIM_RHO, B: 1 + SIM_RHO, C: 1 + SIM_RHO, [x]: 1 - SIM_RHO, [y]: 1 }
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], rates, params: { ...solo, backoffJitterMs: 0 }, unsafe })
  w.run(2000)
  for (const a of ACCEPTORS) w.net.block(x, a)
  w.hint(y, [...ACCEPTORS, y])
  w.run(5000)
  return { violations: w.checker.violations, world: w }
}

/** Accepted replies reach X 120 ms late; if X started its timer on the ack instead of before sending, it outlives the acceptors. */
export function timerOnAck(unsafe?: UnsafeKnobs): ScenarioResult {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], params: { ...solo, backoffJitterMs: 0 }, unsafe })
  w.net.extraDelay = (_from, to, body) => (to === x && (body as { t?: string }).t === 'accepted' ? 120 : 0)
  w.run(2000)
  for (const a of ACCEPTORS) w.net.block(x, a)
  w.hint(y, [...ACCEPTORS, y])
  w.run(5000)
  return { violations: w.checker.violations, world: w }
}

/**
 * Y takes over from X after many failed rounds (so its ballot is far above
 * X's), then every acceptor and Y restart; X comes back with its own ballot
 * reservation, still below Y's. Without a persisted floor the acceptors
 * promise X again and its new fence is lower than Y's.
 */
export function floorPersist(unsafe?: UnsafeKnobs): ScenarioResult {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  // No fallback ranks: only the desired owner ever proposes, so the voters' own ballots stay out of it.
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], params: { partitions: 1, fallbackRanks: 0 }, unsafe })
  w.run(2000)
  w.crash(x)
  // Y reaches only A for a while: each of its rounds times out and the next takes a higher ballot.
  blockBoth(w, y, 'B')
  blockBoth(w, y, 'C')
  for (const id of [...ACCEPTORS, y]) w.hint(id, [...ACCEPTORS, y])
  w.run(2000 + 3 * simParams.floorReserve! * simParams.roundTimeoutMs!)
  w.net.healAll()
  w.run(w.t + 3000)
  for (const id of [...ACCEPTORS, y]) w.crash(id)
  for (const id of [...ACCEPTORS, x]) w.restart(id)
  for (const id of [...ACCEPTORS, x]) w.hint(id, [...ACCEPTORS, x])
  w.run(w.t + 4000)
  return { violations: w.checker.violations, world: w }
}

/** Five voters split {A,B} | {C,D,E}, each side seeing only itself. A quorum of the local view lets both sides hold. */
export function viewQuorum(unsafe?: UnsafeKnobs): ScenarioResult {
  const all = ['A', 'B', 'C', 'D', 'E']
  const w = presetWorld({ voters: all, params: { partitions: 1 }, unsafe })
  w.run(2000)
  // The holder goes to the minority side, so the majority must take the partition over (the spec's run then has a
  // second acquisition to check; under the mutation the holder renews on its side meanwhile).
  const holder = holdersOf(w, 0)[0] ?? 'A'
  const left = [holder, all.find((id) => id !== holder)!]
  const right = all.filter((id) => !left.includes(id))
  for (const a of left) for (const b of right) blockBoth(w, a, b)
  for (const a of left) w.hint(a, left)
  for (const b of right) w.hint(b, right)
  w.run(4500)
  return { violations: w.checker.violations, world: w }
}

/** X checks its lease, sends a write that is delayed 1.5 s, and pauses for 3 leases. Y takes over and writes; the late write must be refused. */
export function pausedHolder(unsafe?: UnsafeKnobs): ScenarioResult {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], params: { partitions: 1, fallbackRanks: 1 }, unsafe })
  w.opts.writeProb = 0
  w.run(2000)
  const xs = w.nodes.get(x)!
  const held = xs.node!.holding(0, w.local(xs))
  if (held) w.schedule(w.t + 1500, () => w.checker.onWrite(0, held.fence, w.t))
  w.pause(x, 3000)
  for (const id of [...ACCEPTORS, y]) w.hint(id, [...ACCEPTORS, y])
  w.opts.writeProb = 1
  w.run(6000)
  return { violations: w.checker.violations, world: w }
}

/**
 * The formation race behind a stale promise: voter A promises X's ballot, then a higher one from Y (which, in its
 * view, is the partition's owner; it reaches A alone), and then X's Propose arrives and is nacked, while B and C
 * grant it. Y then learns of X and stops probing. X's renewals would be refused by A for the tenure's life: X takes
 * the partition again at once under a ballot above the promise. Samples who holds partition 0 every 5 ms.
 */
export function stalePromise(): ScenarioResult & { firstHeldAt: number, longestGapMs: number, refused: number } {
  const [x, y] = namesRankedFirst(2, ACCEPTORS) as [string, string]
  const w = presetWorld({ voters: ACCEPTORS, workers: [x, y], params: { ...solo, backoffJitterMs: 0 }, propN: { [y]: 50 } })
  w.opts.trace = true
  blockBoth(w, y, 'B')
  blockBoth(w, y, 'C')
  w.hint(y, [...ACCEPTORS, y])
  // Y's Prepare reaches A after X's; X's first Propose reaches A after Y's Prepare.
  let firstPropose = true
  w.net.extraDelay = (from, to, body) => {
    const t = (body as { t?: string }).t
    if (from === y && to === 'A' && t === 'prepare') return 10
    if (from === x && to === 'A' && t === 'propose' && firstPropose) {
      firstPropose = false
      return 100
    }
    return 0
  }
  w.schedule(1300, () => { w.hint(y, [...ACCEPTORS, x, y]) })
  let firstHeldAt = Number.NaN
  let gapFrom = Number.NaN
  let longestGapMs = 0
  for (let t = 0; t <= 4000; t += 5) {
    w.run(t)
    const held = holdersOf(w, 0).length > 0
    if (held && Number.isNaN(firstHeldAt)) firstHeldAt = t
    if (Number.isNaN(firstHeldAt)) continue
    if (!held && Number.isNaN(gapFrom)) gapFrom = t
    if (held && !Number.isNaN(gapFrom)) {
      longestGapMs = Math.max(longestGapMs, t - gapFrom)
      gapFrom = Number.NaN
    }
  }
  if (!Number.isNaN(gapFrom)) longestGapMs = Math.max(longestGapMs, 4000 - gapFrom)
  const refused = w.log.filter((line) => line.includes(`${x} lost p0 refused`)).length
  return { violations: w.checker.violations, world: w, firstHeldAt, longestGapMs, refused }
}

export const directed = { restartWait, driftMargin, timerOnAck, floorPersist, viewQuorum, pausedHolder }

/** Which mutation each directed scenario is built to expose. */
export const exposes: Record<keyof typeof directed, keyof UnsafeKnobs | undefined> = {
  restartWait: 'noRestartWait',
  driftMargin: 'noDriftMargin',
  timerOnAck: 'timerOnAck',
  floorPersist: 'noFloorPersist',
  viewQuorum: 'viewQuorum',
  pausedHolder: undefined,
}

export { holdersOf }
