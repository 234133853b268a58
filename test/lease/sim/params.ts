// Protocol parameters for simulation: the production relations at a smaller
// scale (M = 1 s) and a large drift bound (rho = 2%), so the drift margin
// 2*rho*M = 40 ms is wide enough for random runs to exercise it.

import type { LeaseParams } from '../../../src/lease/index.js'

export const simParams: Partial<LeaseParams> = {
  partitions: 8,
  leaseMs: 1000,
  driftRho: 0.02,
  slackMs: 5,
  renewIntervalMs: 300,
  roundTimeoutMs: 150,
  backoffJitterMs: 30,
  busyRetryMaxMs: 300,
  tickMaxMs: 100,
  fallbackRanks: 1,
  fallbackDelayMs: 500,
  handoffStableMs: 600,
  votersMax: 5,
  voterDeadReplaceMs: 3000,
  configStableMs: 500,
  configRetryMs: 300,
  floorReserve: 10,
}

export const SIM_RHO = 0.02
