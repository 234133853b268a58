// Voter-set changes end to end in the simulator: growth from one peer,
// graceful leave, replacement of a dead voter, and a minority that cannot
// change anything. Leases must stay exclusive throughout and come back.

import { describe, expect, it } from 'vitest'
import { LEAVE_GRACE_MS } from '../../src/lease/index.js'
import { calmNet } from './sim/network.js'
import { simParams } from './sim/params.js'
import { holdersOf, presetWorld } from './sim/scenario.js'
import { World } from './sim/world.js'

function configs(w: World, ids: string[]): Array<{ cfg: number, voters: string }> {
  return ids.map((id) => {
    const c = w.nodes.get(id)!.node!.state.config
    return { cfg: c.cfg, voters: [...c.voters].sort().join(',') }
  })
}

const five = ['n0', 'n1', 'n2', 'n3', 'n4']

/** No violation, one config on all five (its voters the five), and every partition held. */
function expectFiveVoters(w: World): void {
  expect(w.checker.violations).toEqual([])
  const seen = configs(w, five)
  expect(new Set(seen.map((c) => JSON.stringify(c))).size).toBe(1)
  expect(seen[0]!.voters).toBe(five.join(','))
  expect(w.unheld()).toEqual([])
}

/** Voters n0, n1, n2 at production ratios (a long configStableMs, a short leave settle), run to t = 3000. */
function threeVoters(voterDeadReplaceMs: number): World {
  const w = presetWorld({ voters: ['n0', 'n1', 'n2'], autoHints: true, params: { configStableMs: 5000, leaveSettleMs: 1000, voterDeadReplaceMs } })
  w.run(3000)
  return w
}

/** n2 the only voter, as n1 and n2 see it by now; by t = 12000, no violation and n2 holds every partition. */
function expectN2Alone(w: World): void {
  expect(configs(w, ['n1', 'n2'])).toEqual([{ cfg: 2, voters: 'n2' }, { cfg: 2, voters: 'n2' }])
  w.run(12000)
  expect(w.checker.violations).toEqual([])
  for (let p = 0; p < 8; p++) expect(holdersOf(w, p)).toEqual(['n2'])
}

describe('voter set', () => {
  it('grows from a single bootstrapped peer to 3, then 5 voters, and holds every partition', () => {
    const w = new World({ seed: 3, params: simParams, net: calmNet, hintPeriodMs: 100, hintNoise: 0, writeProb: 0.3 })
    w.addNode('n0', { bootstrap: true })
    five.slice(1).forEach((id, i) => w.schedule(1500 * (i + 1), () => w.addNode(id, { rate: 1 + 0.01 * (i - 2) })))
    w.run(4000)
    expect(w.nodes.get('n0')!.node!.state.config.voters).toHaveLength(3)
    w.run(16000)
    expectFiveVoters(w)
  })

  it('founds with "found" after boot: five peers with ids made beforehand (booted amnesic), one founds, all become voters', () => {
    const w = new World({ seed: 5, params: simParams, net: calmNet, hintPeriodMs: 100, hintNoise: 0, writeProb: 0.3 })
    for (const [i, id] of five.entries()) w.addNode(id, { rate: 1 + 0.01 * (i - 2), fresh: false })
    w.run(2000)
    // Nobody founds on its own: no config anywhere.
    expect(configs(w, five).every(c => c.cfg === 0)).toBe(true)
    w.found('n0')
    // A second 'found' (on the founder, or on a peer that has joined meanwhile) changes nothing.
    w.schedule(w.t + 3000, () => { w.found('n0'); w.found('n1') })
    w.run(20000)
    expectFiveVoters(w)
  })

  it('replaces a voter that leaves gracefully; the leaver hands its partitions over', () => {
    const w = presetWorld({ voters: five, workers: ['n5'], autoHints: true })
    w.run(3000)
    w.leave('n2')
    // It exits once it has handed its partitions over; the others (a majority without it) replace it after
    // voterDeadReplaceMs, as they would a dead one.
    w.schedule(3500, () => w.kill('n2'))
    w.run(10000)
    expect(w.checker.violations).toEqual([])
    expect(configs(w, ['n0', 'n5'])[0]!.voters).toBe('n0,n1,n3,n4,n5')
    for (let p = 0; p < 8; p++) expect(holdersOf(w, p)).not.toContain('n2')
    expect(w.unheld()).toEqual([])
  })

  it('takes a leaving voter out within its grace (LEAVE_GRACE_MS) while it answers, even with another voter dead', () => {
    // A dead voter not yet due for replacement.
    const w = threeVoters(60_000)
    w.kill('n0')
    w.run(3500)
    // Of {n0, n1, n2} only n1 and n2 answer: dropping n1 needs n1's own vote.
    w.leave('n1')
    w.run(3500 + LEAVE_GRACE_MS - 500)
    expectN2Alone(w)
  })

  it('a voter seen dead just after another announced its leave does not push the leaver\'s removal past its wait', () => {
    const w = threeVoters(60_000)
    w.leave('n1')
    // Killed (and seen gone by the next hint) before the leave has settled: the view moves, the leave does not.
    w.schedule(3800, () => w.kill('n0'))
    w.run(3000 + 1500)
    expectN2Alone(w)
  })

  it('a voter that leaves while the others are a majority without it stays a voter until gone for voterDeadReplaceMs', () => {
    const w = threeVoters(8000)
    w.leave('n1')
    w.schedule(3100, () => w.kill('n1'))
    // Not at once: a voter restarted meanwhile would cost two changes (out, then in again) for nothing.
    w.run(3100 + 7500)
    expect(configs(w, ['n0', 'n2'])).toEqual([{ cfg: 1, voters: 'n0,n1,n2' }, { cfg: 1, voters: 'n0,n1,n2' }])
    w.run(3100 + 12000)
    expect(w.checker.violations).toEqual([])
    expect(configs(w, ['n0', 'n2'])).toEqual([{ cfg: 2, voters: 'n0' }, { cfg: 2, voters: 'n0' }])
  })

  it('peers stopped together keep their voter set: once a majority of the voters leave, none is taken out', () => {
    const w = presetWorld({ voters: five, autoHints: true, params: { configStableMs: 5000, leaveSettleMs: 1000 } })
    w.run(3000)
    // n2 sees the others leave within its settle time, then leaves a while later itself.
    for (const id of ['n0', 'n1', 'n3', 'n4']) w.schedule(3000 + 100 * Number(id.slice(1)), () => w.leave(id))
    w.schedule(3000 + LEAVE_GRACE_MS, () => w.leave('n2'))
    w.run(3000 + LEAVE_GRACE_MS + 5000)
    expect(w.checker.violations).toEqual([])
    expect(configs(w, five)).toEqual(five.map(() => ({ cfg: 1, voters: five.join(",") })))
  })

  it('replaces a voter dead for longer than voterDeadReplaceMs, from the side with a majority', () => {
    const w = presetWorld({ voters: five, workers: ['n5'], autoHints: true })
    w.run(3000)
    w.kill('n1')
    w.run(5500)
    expect(configs(w, ['n0'])[0]!.voters).toContain('n1')
    w.run(12000)
    expect(w.checker.violations).toEqual([])
    expect(configs(w, ['n0', 'n5'])).toEqual([{ cfg: 2, voters: 'n0,n2,n3,n4,n5' }, { cfg: 2, voters: 'n0,n2,n3,n4,n5' }])
    expect(w.unheld()).toEqual([])
  })

  it('a minority never changes the set nor holds a lease; it catches up after healing', () => {
    const w = presetWorld({ voters: five, autoHints: true })
    w.run(2000)
    const minority = ['n0', 'n1']
    const majority = ['n2', 'n3', 'n4']
    for (const a of minority) for (const b of majority) {
      w.net.block(a, b)
      w.net.block(b, a)
    }
    w.run(2000 + 1100)
    const heldByMinority = (): string[] => [0, 1, 2, 3, 4, 5, 6, 7].flatMap((p) => holdersOf(w, p)).filter((id) => minority.includes(id))
    expect(heldByMinority()).toEqual([])
    w.run(12000)
    expect(w.checker.violations).toEqual([])
    expect(configs(w, minority).map((c) => c.cfg)).toEqual([1, 1])
    expect(configs(w, majority).every((c) => c.cfg > 1 && c.voters === 'n2,n3,n4')).toBe(true)
    expect(heldByMinority()).toEqual([])
    expect(w.unheld()).toEqual([])
    w.net.healAll()
    w.run(20000)
    expect(w.checker.violations).toEqual([])
    const after = configs(w, five)
    expect(new Set(after.map((c) => c.cfg)).size).toBe(1)
    expect(w.unheld()).toEqual([])
  })

  it('a crashed holder loses its partitions after the TTL and others take over', () => {
    const w = presetWorld({ voters: ['A', 'B', 'C'], workers: ['D'], autoHints: true })
    w.run(3000)
    const victim = holdersOf(w, 0)[0]!
    w.crash(victim)
    const crashedAt = w.t
    let takenAt = Infinity
    while (w.t < crashedAt + 5000 && takenAt === Infinity) {
      w.run(w.t + 10)
      if (holdersOf(w, 0).length > 0) takenAt = w.t
    }
    expect(w.checker.violations).toEqual([])
    // M (acceptors keep the grant) + hint delay + busy retry + two round trips.
    expect(takenAt - crashedAt).toBeLessThan(1000 * 1.02 + 100 + 300 + 100)
  })
})
