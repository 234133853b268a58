// One picture of the cluster as this peer sees it, for `GET /dashboard/state`.

import type { TaskRecord } from '../tasks/record.js'
import type { TaskOverview } from '../tasks/store.js'
import { clusterLeases, fetchStatus } from './leases.js'
import type { Throughput } from './throughput.js'
import type { DashboardSources, DashboardState, TaskRow } from './types.js'

/** Rows in the recent-runs and failures tables. */
export const ROWS = 15

export async function snapshot(s: DashboardSources, throughput: Throughput): Promise<DashboardState> {
  const status = s.status()
  const cluster = await clusterLeases(status, s.partitions, s.fetchStatus ?? fetchStatus)
  const voters = new Set(status.leases.voters)
  return {
    at: s.clock.wallNow(),
    self: { id: status.peer.id, incarnation: status.peer.incarnation, app: status.app, version: status.version, uptimeMs: status.uptimeMs, httpUrl: status.peer.httpUrl },
    members: status.members.map(m => ({
      id: m.id, state: m.state, self: m.self, incarnation: m.incarnation, httpUrl: m.httpUrl, stateForMs: m.stateForMs,
      voter: voters.has(m.id), held: cluster.held.get(m.id) ?? null, version: m.version,
    })).sort((a, b) => (a.self === b.self ? a.id.localeCompare(b.id) : a.self ? -1 : 1)),
    leases: { partitions: s.partitions, cfg: status.leases.cfg, voters: [...status.leases.voters], holders: cluster.holders },
    tasks: taskSummary(s.tasks.overview(ROWS)),
    actors: Object.entries(s.actors()).map(([type, stats]) => ({ type, ...stats })).sort((a, b) => a.type.localeCompare(b.type)),
    throughput: { bucketMs: throughput.bucketMs, points: throughput.points() },
  }
}

export function taskSummary(o: TaskOverview): DashboardState['tasks'] {
  return { counts: o.counts, total: o.total, recent: o.recent.slice(0, ROWS).map(row), failures: o.failures.slice(0, ROWS).map(row) }
}

function row(r: TaskRecord): TaskRow {
  const last = r.attempts.reduce<TaskRecord['attempts'][number] | undefined>((a, b) => (a === undefined || b.startedAt >= a.startedAt ? b : a), undefined)
  const error = r.error ?? last?.error
  return {
    id: r.id, name: r.name, scope: r.scope, state: r.state, round: r.round, attempts: r.attempts.length,
    peer: last?.peer ?? null, updatedAt: r.updatedAt, error: error === undefined ? null : `${error.name}: ${error.message}`,
  }
}
