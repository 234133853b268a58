// Unit tests of the pure pieces: parameters, hashing, ballots and fences,
// and the voter-set policy.

import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import { compareBallots, desiredVoters, makeFence, parseFence, partitionOf, resolveLeaseParams, type VoterInputs } from '../../src/lease/index.js'

describe('parameters', () => {
  it('derives H and W from M, rho and eps', () => {
    const p = resolveLeaseParams()
    expect(p.leaseMs).toBe(6000)
    expect(p.holderValidMs).toBeCloseTo(6000 * (1 - 2e-3) - 50)
    expect(p.restartWaitMs).toBeCloseTo(6000 * (1 + 1e-3) + 50)
    expect(p.partitions).toBe(256)
  })

  it('rejects inconsistent relations with a ConfigError naming the relation', () => {
    expect(() => resolveLeaseParams({ renewIntervalMs: 2500 })).toThrow(/renewIntervalMs \* 3 <= leaseMs/)
    expect(() => resolveLeaseParams({ votersMax: 4 })).toThrow(ConfigError)
    expect(() => resolveLeaseParams({ driftRho: 0.2 })).toThrow(/driftRho/)
    expect(() => resolveLeaseParams({ partitions: 0 })).toThrow(/partitions/)
    expect(() => resolveLeaseParams({ roundTimeoutMs: 2000 })).toThrow(/roundTimeoutMs/)
    expect(() => resolveLeaseParams({ leaseMs: Number.NaN })).toThrow(/finite/)
  })
})

describe('partitionOf', () => {
  it('is stable: these values must never change (they decide where every key lives)', () => {
    expect([partitionOf('', 256), partitionOf('task-1', 256), partitionOf('order:42', 256), partitionOf('héllo', 256), partitionOf('task-1', 7)]).toEqual([11, 249, 117, 173, 3])
  })

  it('stays in range', () => {
    for (let i = 0; i < 1000; i++) {
      const p = partitionOf(`k${i}`, 13)
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(13)
    }
  })
})

describe('fences', () => {
  it('have a fixed-width, documented form', () => {
    expect(makeFence(1, { n: 255, by: 'peer-a' })).toBe('00000001.000000000000ff.peer-a')
    expect(parseFence('00000001.000000000000ff.peer-a')).toEqual({ cfg: 1, ballot: { n: 255, by: 'peer-a' } })
    expect(parseFence('garbage')).toBeUndefined()
  })

  it('order by config first, then ballot', () => {
    expect(makeFence(2, { n: 1, by: 'a' }) > makeFence(1, { n: 2 ** 40, by: 'z' })).toBe(true)
    expect(makeFence(1, { n: 16, by: 'a' }) > makeFence(1, { n: 15, by: 'z' })).toBe(true)
    expect(makeFence(1, { n: 5, by: 'b' }) > makeFence(1, { n: 5, by: 'a' })).toBe(true)
    expect(compareBallots({ n: 5, by: 'b' }, { n: 5, by: 'a' })).toBe(1)
  })

  it('refuse out-of-range numbers (an invariant, not input validation)', () => {
    expect(() => makeFence(-1, { n: 1, by: 'a' })).toThrow(/invariant/)
    expect(() => makeFence(1, { n: 1.5, by: 'a' })).toThrow(/invariant/)
  })
})

describe('desired voters', () => {
  const base = (over: Partial<VoterInputs>): VoterInputs => ({
    current: ['a'], self: 'a', selfLeaving: false, now: 100_000, aliveSince: new Map(), deadSince: new Map(), leaving: new Set(),
    votersMax: 5, voterDeadReplaceMs: 10_000, configStableMs: 1_000, ...over,
  })
  const alive = (...ids: string[]): Map<string, number> => new Map(ids.map((id) => [id, 0]))

  it('grows 1 -> 3 -> 5 as stable peers appear, never to an even size', () => {
    expect(desiredVoters(base({ aliveSince: alive('b') }))).toEqual(['a'])
    expect(desiredVoters(base({ aliveSince: alive('b', 'c') }))).toEqual(['a', 'b', 'c'])
    expect(desiredVoters(base({ current: ['a', 'b', 'c'], aliveSince: alive('b', 'c', 'd', 'e', 'f') }))).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('waits for a newcomer to be stable', () => {
    expect(desiredVoters(base({ aliveSince: new Map([['b', 99_500], ['c', 0]]) }))).toEqual(['a'])
  })

  it('replaces a voter dead or gone (left) for longer than voterDeadReplaceMs, but not one gone briefly', () => {
    const current = ['a', 'b', 'c']
    // Left a moment ago, the others a majority without it: kept (it may be restarting).
    expect(desiredVoters(base({ current, aliveSince: alive('c', 'd'), deadSince: new Map([['b', 99_000]]), leaving: new Set(['b']) }))).toEqual(['a', 'b', 'c'])
    expect(desiredVoters(base({ current, aliveSince: alive('c', 'd'), deadSince: new Map([['b', 50_000]]), leaving: new Set(['b']) }))).toEqual(['a', 'c', 'd'])
    expect(desiredVoters(base({ current, aliveSince: alive('c', 'd'), deadSince: new Map([['b', 50_000]]) }))).toEqual(['a', 'c', 'd'])
    expect(desiredVoters(base({ current, aliveSince: alive('c', 'd'), deadSince: new Map([['b', 95_000]]) }))).toEqual(['a', 'b', 'c'])
  })

  it('a majority of the voters leaving at once is a cluster stop: they stay; a leaver whose vote is needed goes at once', () => {
    const five = ['a', 'b', 'c', 'd', 'e']
    const everyone = alive('b', 'c', 'd', 'e', 'f')
    expect(desiredVoters(base({ current: five, aliveSince: everyone, leaving: new Set(['b', 'c', 'd', 'f']) }))).toEqual(five)
    // 3 voters, c dead (not long), b leaving: a alone is no majority, so b goes now, while it can still vote.
    expect(desiredVoters(base({ current: ['a', 'b', 'c'], aliveSince: alive('b'), deadSince: new Map([['c', 99_000]]), leaving: new Set(['b']) }))).toEqual(['a'])
    expect(desiredVoters(base({ current: ['a', 'b', 'c'], aliveSince: alive('b', 'c'), leaving: new Set(['b', 'c']) }))).toEqual(['a', 'b', 'c'])
    // Leaving ourselves (the lowest voter proposes when every voter leaves): with everyone leaving, nothing changes...
    expect(desiredVoters(base({ current: ['a', 'b', 'c'], selfLeaving: true, aliveSince: alive('b', 'c', 'd'), leaving: new Set(['b', 'c', 'd']) }))).toEqual(['a', 'b', 'c'])
    // ...but a peer that stays gets the set: a lone voter's stop hands over.
    expect(desiredVoters(base({ current: ['a'], selfLeaving: true, aliveSince: alive('b') }))).toEqual(['b'])
    expect(desiredVoters(base({ current: ['a', 'b', 'c'], selfLeaving: true, aliveSince: alive('b', 'c', 'd'), leaving: new Set(['b', 'c']) }))).toEqual(['d'])
  })

  it('a shrink keeps the proposer, which is surely alive, before a lower id that only looks alive', () => {
    // 3 voters, b dead for long, a still looks alive (killed a moment ago, perhaps): 2 left, an even size, so 1.
    const current = ['a', 'b', 'c']
    const bGone = new Map([['b', 50_000]])
    expect(desiredVoters(base({ current, self: 'c', aliveSince: alive('a'), deadSince: bGone }))).toEqual(['c'])
    expect(desiredVoters(base({ current, self: 'a', aliveSince: alive('c'), deadSince: bGone }))).toEqual(['a'])
  })
})
