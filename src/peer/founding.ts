// Founding a new cluster from a seed list that every peer shares. A peer
// started with no seed founds one at once (its first voter); a shared list
// names every peer, so none starts with no seed. Such peers found one when
// the list's peers all see each other and none has a cluster yet: the one with
// the smallest id founds it, the others join it. Two peers whose lists both
// name both of them can never both found (each is the smallest of its list);
// peers with lists that do not name each other can, which is why a list that
// does not name this peer itself never founds anything.

import type { Logger } from '../util/logger.js'

/** What founding looks at of a member: its id, whether it is alive, and its lease config (0: none; undefined: not said). */
export interface FoundingMember {
  id: string
  alive: boolean
  cfg: number | undefined
}

/** Why this peer founds a cluster now, or does not (a line for the log and `/status`). */
export type FoundingVerdict =
  | { found: true }
  | { found: false, why: string }

/**
 * Should `self` found a new cluster now? `listed` is every peer id the seed list names (this peer's own included
 * when the list names it); `ownCfg` this peer's lease config (0: none yet).
 */
export function foundingVerdict(self: string, listed: readonly string[], members: readonly FoundingMember[], ownCfg: number): FoundingVerdict {
  if (ownCfg !== 0) return { found: false, why: 'this peer is in a cluster' }
  if (!listed.includes(self)) return { found: false, why: 'the seed list does not name this peer' }
  const others = [...new Set(listed)].filter(id => id !== self)
  if (others.length === 0) return { found: false, why: 'the seed list names only this peer' }
  const inCluster = members.find(m => m.alive && m.id !== self && m.cfg !== undefined && m.cfg > 0)
  if (inCluster !== undefined) return { found: false, why: `${inCluster.id} is in a cluster: this peer joins it` }
  const byId = new Map(members.map(m => [m.id, m]))
  const waiting = others.filter(id => byId.get(id)?.alive !== true || byId.get(id)?.cfg !== 0)
  if (waiting.length > 0) return { found: false, why: `waiting for ${waiting.length} of the ${others.length} other peers the seed list names to be up, with no cluster: ${waiting.join(', ')}` }
  const first = others.reduce((min, id) => (id < min ? id : min), self)
  if (first !== self) return { found: false, why: `${first} founds the cluster (the smallest id the seed list names)` }
  return { found: true }
}

export interface FounderComponents {
  self: string
  /** The peer ids the seeds as given name (this peer's own included when named). */
  listed: readonly string[]
  members: () => readonly FoundingMember[]
  /** This peer's lease config (0: none). */
  cfg: () => number
  /** Founds the cluster (the lease service's `found`). */
  found: () => void
  logger: Logger
}

/** Asks foundingVerdict whenever a member joins or changes, until this peer has founded a cluster or is in one. */
export class Founder {
  /** 'done' once founded or in a cluster, else the last reason not to (logged once each). */
  private state: 'done' | string = ''

  constructor(private readonly c: FounderComponents) {
    if (c.listed.length === 0) this.state = 'done'
  }

  /** Why this peer has not founded a cluster from its seed list yet; undefined once it is in one, or if its list does not name it. */
  get waiting(): string | undefined {
    return this.state === 'done' || this.state === '' || !this.c.listed.includes(this.c.self) || this.c.cfg() > 0 ? undefined : this.state
  }

  consider(): void {
    if (this.state === 'done') return
    const verdict = foundingVerdict(this.c.self, this.c.listed, this.c.members(), this.c.cfg())
    if (verdict.found) {
      this.state = 'done'
      this.c.found()
      return
    }
    if (this.c.cfg() > 0) {
      this.state = 'done'
      return
    }
    if (verdict.why === this.state) return
    this.state = verdict.why
    // A list that does not name this peer is the usual case (a seed to join through): nothing to say.
    if (this.c.listed.includes(this.c.self)) this.c.logger.info('not founding a cluster yet', { why: verdict.why })
  }
}
