// What the lease shell reports for metrics, as a small port (the peer passes
// one backed by its Prometheus registry). Counted in the shell from the
// effects the pure protocol returns; the protocol itself knows nothing of it.

import type { LossReason } from '../lease/index.js'

export interface LeaseMeter {
  /** This peer ran `count` more lease rounds as proposer (an acquisition's accept phase or a renewal; one round covers many partitions). */
  rounds(count: number): void
  /** Those rounds carried `entries` partition entries in all (one per partition proposed or renewed): keys per round = entries / rounds. */
  proposed(entries: number): void
  /** This peer acquired a partition. */
  acquired(): void
  /** This peer stopped holding a partition: `released` is a handover (placement moved it, or the peer left), the others are losses. */
  lost(reason: LossReason): void
}

export const noLeaseMeter: LeaseMeter = {
  rounds() {},
  proposed() {},
  acquired() {},
  lost() {},
}
