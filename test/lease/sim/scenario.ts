// Helpers for directed scenarios: a calm, preset cluster whose timing,
// clocks, hints and links the test controls by hand.

import { placementOf, type LeaseParams, type UnsafeKnobs } from '../../../src/lease/index.js'
import { calmNet } from './network.js'
import { simParams } from './params.js'
import { World } from './world.js'

export interface Preset {
  voters: string[]
  workers?: string[]
  rates?: Record<string, number>
  params?: Partial<LeaseParams>
  unsafe?: UnsafeKnobs
  seed?: number
  /** Hints from reachability every 100 ms instead of by hand. */
  autoHints?: boolean
  /** A proposer's persisted ballot reservation, by node: its first ballot is above it. */
  propN?: Record<string, number>
}

/** Voters A,B,C (by default) of config 1 plus extra workers, all booted at t=0 with exact hints. */
export function presetWorld(p: Preset): World {
  const w = new World({
    seed: p.seed ?? 1, params: { ...simParams, votersMax: p.voters.length, ...p.params }, unsafe: p.unsafe,
    net: calmNet, hintPeriodMs: 100, hintNoise: 0, writeProb: 0.5, manualHints: p.autoHints !== true,
  })
  const all = [...p.voters, ...(p.workers ?? [])]
  for (const id of all) {
    const propN = p.propN?.[id]
    w.addNode(id, { rate: p.rates?.[id] ?? 1, persisted: { cfg: 1, voters: p.voters, floorCfg: 1, floorN: 0, ...(propN === undefined ? {} : { propN }) } })
  }
  if (p.autoHints !== true) for (const id of all) w.hint(id, all)
  return w
}

/**
 * Worker names (from a fixed pool) such that, for partition 0 of `partitions` among `others` plus them, placement
 * ranks them first in the given order.
 */
export function namesRankedFirst(count: number, others: string[], pool = 200, partitions = 1): string[] {
  const cands = Array.from({ length: pool }, (_, i) => `w${i}`)
  for (let i = 0; i < cands.length; i++) {
    for (let j = 0; j < cands.length; j++) {
      if (i === j) continue
      const picked = count === 1 ? [cands[i]!] : [cands[i]!, cands[j]!]
      const rank = placementOf([...others, ...picked], partitions).order(0)
      if (picked.every((name, k) => rank[k] === name)) return picked
      if (count === 1) break
    }
  }
  throw new Error('no names found')
}

/** The ids that hold `partition` right now. */
export function holdersOf(w: World, partition: number): string[] {
  return [...w.nodes.values()].filter((n) => n.up && n.node?.holding(partition, w.local(n))).map((n) => n.id)
}
