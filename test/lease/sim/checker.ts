// The oracle. It sees TRUE time, which no node does, and checks:
//  I1 never two holders of a partition at one instant (holder = a node whose
//     own view says it holds and whose local clock reads < validUntil);
//  I2 fences strictly increase, per partition, in the true order of acquisitions;
//  I3 the fenced resource never accepts a write from an older tenure once a
//     newer one has written, and never rejects the newest tenure;
//  L  after faults heal and a quiet period, every partition is held.

import { compareFences, type Fence } from '../../../src/lease/index.js'

export interface Violation {
  kind: 'I1' | 'I2' | 'I3' | 'liveness' | 'invalid' | 'assert'
  t: number
  detail: string
}

export class Checker {
  readonly violations: Violation[] = []
  private lastFence = new Map<number, Fence>()
  /** True time of each tenure's acquisition, keyed `partition/fence` (one ballot may win several partitions). */
  private acquiredAt = new Map<string, number>()
  private stored = new Map<number, Fence>()
  acquisitions = 0
  writesAccepted = 0
  writesRejected = 0

  report(kind: Violation['kind'], t: number, detail: string): void {
    if (this.violations.length < 20) this.violations.push({ kind, t, detail })
  }

  get failed(): boolean {
    return this.violations.length > 0
  }

  onAcquired(node: string, p: number, fence: Fence, t: number): void {
    this.acquisitions++
    const last = this.lastFence.get(p)
    if (last !== undefined && compareFences(fence, last) <= 0) this.report('I2', t, `p${p}: ${node} acquired fence ${fence} after ${last}`)
    this.lastFence.set(p, fence)
    if (!this.acquiredAt.has(`${p}/${fence}`)) this.acquiredAt.set(`${p}/${fence}`, t)
  }

  /** Called right after a node stepped: `holders` are the nodes holding `p` at this true instant. */
  checkExclusive(p: number, holders: string[], t: number): void {
    if (holders.length > 1) this.report('I1', t, `p${p}: held by ${holders.join(' and ')} at once`)
  }

  /** A write carrying `fence` arrives at the fenced resource. */
  onWrite(p: number, fence: Fence, t: number): void {
    const stored = this.stored.get(p)
    const accept = stored === undefined || compareFences(fence, stored) >= 0
    const mine = this.acquiredAt.get(`${p}/${fence}`) ?? -1
    if (accept) {
      this.writesAccepted++
      const theirs = stored === undefined ? -1 : this.acquiredAt.get(`${p}/${stored}`) ?? -1
      if (mine < theirs) this.report('I3', t, `p${p}: resource accepted stale fence ${fence} after ${stored}`)
      this.stored.set(p, fence)
    } else {
      this.writesRejected++
      if (this.lastFence.get(p) === fence) this.report('I3', t, `p${p}: resource rejected the newest tenure ${fence} (stored ${stored})`)
    }
  }
}
