// When a test cluster is "ready": every running peer sees the others alive
// and no stopped peer as alive, all agree on a full voter set of running
// peers, every lease partition has a holder, and no holder changed for a
// quiet spell (after peers join or leave, partitions move to their preferred
// holders for a few seconds; tests that count runs want a still cluster).

import { TimeoutError } from '../errors.js'
import type { Peer } from '../peer/peer.js'
import { poll } from './poll.js'

export interface ReadyTarget {
  running: readonly Peer[]
  stopped: readonly Peer[]
  votersMax: number
}

export interface ReadyOptions {
  timeoutMs: number
  quietMs: number
  signal?: AbortSignal
}

/** The voter count the lease protocol aims for with `n` live peers: odd, at most `votersMax`. */
export function expectedVoters(n: number, votersMax: number): number {
  const target = Math.min(n, votersMax)
  return Math.max(1, target % 2 === 0 ? target - 1 : target)
}

/** Why the cluster is not formed yet, or undefined when it is. */
export function notFormed(t: ReadyTarget): string | undefined {
  const runningIds = new Set(t.running.map(p => p.id))
  const stoppedIds = new Set(t.stopped.map(p => p.id))
  for (const peer of t.running) {
    const members = peer.members()
    const alive = new Set(members.filter(m => m.state === 'alive').map(m => m.id))
    for (const id of runningIds) if (!alive.has(id)) return `${short(peer.id)} does not see ${short(id)} alive`
    const ghost = members.find(m => stoppedIds.has(m.id) && (m.state === 'alive' || m.state === 'suspect'))
    if (ghost !== undefined) return `${short(peer.id)} still sees the stopped ${short(ghost.id)} as ${ghost.state}`
  }
  const voters = t.running.map(p => [...p.leases.status().voters].sort().join(','))
  if (new Set(voters).size !== 1) return 'the peers disagree on the voter set'
  const set = voters[0]!.split(',').filter(v => v !== '')
  if (set.length !== expectedVoters(t.running.length, t.votersMax)) return `${set.length} voters, not ${expectedVoters(t.running.length, t.votersMax)}`
  if (set.some(v => !runningIds.has(v))) return 'a stopped peer is still a voter'
  return undefined
}

/** Who holds each partition, as one string; undefined while some partition has no holder. */
export function placement(running: readonly Peer[]): string | undefined {
  const partitions = running[0]?.leases.partitions ?? 0
  const holders: string[] = []
  for (let p = 0; p < partitions; p++) {
    const holder = running.find(peer => peer.leases.held(p) !== undefined)
    if (holder === undefined) return undefined
    holders.push(holder.id)
  }
  return holders.join(',')
}

/** Resolves once the cluster is formed and placement has not changed for `quietMs`. */
export async function waitReady(target: () => ReadyTarget, options: ReadyOptions): Promise<void> {
  let last: string | undefined
  let since = performance.now()
  let why: string | undefined = 'not looked at yet'
  try {
    await poll(() => {
      const t = target()
      why = notFormed(t)
      const now = why === undefined ? placement(t.running) : undefined
      if (why === undefined && now === undefined) why = 'some partition has no holder'
      if (now !== last) {
        last = now
        since = performance.now()
        if (now !== undefined) why = 'placement is still changing'
        return undefined
      }
      if (now === undefined) return undefined
      const quietForMs = performance.now() - since
      if (quietForMs < options.quietMs) why = `placement changed ${Math.round(quietForMs)} ms ago`
      return quietForMs >= options.quietMs ? true : undefined
    }, { what: 'the cluster to be ready', timeoutMs: options.timeoutMs, signal: options.signal })
  } catch (err) {
    if (err instanceof TimeoutError) throw new TimeoutError(`${err.message}: ${why}`, { cause: err })
    throw err
  }
}

function short(id: string): string {
  return id.slice(-6)
}
