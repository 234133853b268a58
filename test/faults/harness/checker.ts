// The fault run's checker: a pure function from what the run left behind
// (ledgers, fault events, sink decisions, enqueued ids, final records, actor
// tallies) to violations and counts. Each check is a promise of
// docs/guarantees.md:
//   lost                   a task whose enqueue resolved is not done at the end, or "any" never ran to ok
//   any-overlap            two runs of one "any" task at once (unless the earlier runner was paused meanwhile)
//   stale-fence-accepted   the sink accepted a fence older than one it had accepted for the task
//   all-missing            an "all" task never ran to ok on a peer that is live at the end
//   actor-overlap          two turns of one actor at once (unless the earlier host was paused meanwhile)
//   actor-update-lost      an actor's final count is below the asks it acknowledged
//   actor-update-twice     an actor's final count is above the asks sent to it
//   peer-crash             a peer process exited without the harness stopping it

import { excusedByPause, groupBy, overlappingPairs, pairRuns, pauseIntervals, type Run } from './runs.js'
import type { CheckInput, CheckResult, CheckStats, Violation } from './types.js'

const ms = (us: number): string => (Number.isFinite(us) ? `${(us / 1000).toFixed(1)} ms` : 'never ended')

export function check(input: CheckInput): CheckResult {
  const runs = pairRuns(input.ledger, input.faults)
  const pauses = pauseIntervals(input.faults)
  const violations: Violation[] = []
  const stats: CheckStats = {
    enqueuedAny: input.enqueued.filter(e => e.scope === 'any').length,
    enqueuedAll: input.enqueued.filter(e => e.scope === 'all').length,
    runs: runs.filter(r => r.kind === 'task').length,
    reruns: 0,
    tasksRerun: 0,
    tasksCompletedTwice: 0,
    runsKilled: runs.filter(r => r.outcome === 'killed').length,
    runsAborted: runs.filter(r => r.outcome === 'aborted').length,
    sinkRefused: input.sink.filter(s => !s.accepted).length,
    overlapsAfterPause: 0,
    actorTurns: runs.filter(r => r.kind === 'actor').length,
    actorMessagesSent: input.actors.reduce((n, a) => n + a.sent, 0),
    actorMessagesAcked: input.actors.reduce((n, a) => n + a.acked, 0),
    faults: countFaults(input),
    badLines: input.badLines ?? 0,
  }
  const taskRuns = groupBy(runs.filter(r => r.kind === 'task'), r => r.subject)
  checkTasks(input, taskRuns, violations, stats)
  checkOverlaps(taskRuns, 'any-overlap', r => r.scope === 'any', pauses, violations, stats)
  checkOverlaps(groupBy(runs.filter(r => r.kind === 'actor'), r => r.subject), 'actor-overlap', () => true, pauses, violations, stats)
  checkSink(input, violations)
  checkActors(input, violations)
  for (const f of input.faults) {
    if (f.kind === 'exit' && f.detail?.startsWith('unexpected') === true) violations.push({ check: 'peer-crash', subject: f.peers.join(','), detail: `process ${f.pid ?? '?'} exited on its own (${f.detail})` })
  }
  return { violations, stats }
}

function countFaults(input: CheckInput): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const f of input.faults) {
    if (f.kind === 'exit' || f.kind === 'start' || f.kind === 'resume' || f.kind === 'heal' || f.kind === 'start-all') continue
    counts[f.kind] = (counts[f.kind] ?? 0) + 1
  }
  return counts
}

function checkTasks(input: CheckInput, taskRuns: Map<string, Run[]>, violations: Violation[], stats: CheckStats): void {
  for (const [, list] of taskRuns) {
    const perRunner = list[0]!.scope === 'all' ? groupBy(list, r => r.peer) : new Map([['', list]])
    let again = 0
    for (const [, rs] of perRunner) again += rs.length - 1
    stats.reruns += again
    if (again > 0) stats.tasksRerun++
    if (list[0]!.scope === 'any' && list.filter(r => r.outcome === 'ok').length > 1) stats.tasksCompletedTwice++
  }
  for (const e of input.enqueued) {
    const final = input.final.get(e.id)
    const rs = taskRuns.get(e.id) ?? []
    const ok = rs.filter(r => r.outcome === 'ok')
    if (final?.state !== 'done') {
      violations.push({ check: 'lost', subject: e.id, detail: `${e.scope} task enqueued on ${e.peer} is ${final === undefined ? 'on no peer' : final.state} at the end; ${rs.length} run(s), ${ok.length} ok` })
    } else if (e.scope === 'any' && ok.length === 0) {
      violations.push({ check: 'lost', subject: e.id, detail: `"any" task is done but no run of it ended ok (${rs.length} run(s))` })
    }
    if (e.scope === 'all') {
      const missing = input.livePeers.filter(p => !ok.some(r => r.peer === p))
      if (missing.length > 0) violations.push({ check: 'all-missing', subject: e.id, detail: `"all" task never ran to ok on live peer(s) ${missing.join(', ')} (record: ${final?.state ?? 'missing'})` })
    }
  }
}

function checkOverlaps(groups: Map<string, Run[]>, name: 'any-overlap' | 'actor-overlap', include: (r: Run) => boolean, pauses: ReturnType<typeof pauseIntervals>, violations: Violation[], stats: CheckStats): void {
  for (const [subject, list] of groups) {
    for (const [a, b] of overlappingPairs(list.filter(include))) {
      if (excusedByPause(a, b, pauses)) {
        stats.overlapsAfterPause++
        continue
      }
      violations.push({
        check: name,
        subject,
        detail: `run on ${a.peer} (fence ${a.fence ?? '-'}, ${a.outcome}) still going ${ms(a.end - b.start)} after a run on ${b.peer} (fence ${b.fence ?? '-'}) started`,
      })
    }
  }
}

function checkSink(input: CheckInput, violations: Violation[]): void {
  const newest = new Map<string, string>()
  for (const s of [...input.sink].sort((a, b) => a.t - b.t)) {
    const seen = newest.get(s.key)
    if (s.accepted && (s.fence === null || (seen !== undefined && s.fence < seen))) {
      violations.push({ check: 'stale-fence-accepted', subject: s.key, detail: `${s.phase} by ${s.peer} under fence ${s.fence ?? 'none'} accepted after fence ${seen ?? '-'}` })
    }
    if (s.accepted && s.fence !== null && (seen === undefined || s.fence > seen)) newest.set(s.key, s.fence)
  }
}

function checkActors(input: CheckInput, violations: Violation[]): void {
  for (const a of input.actors) {
    if (a.final === undefined) {
      violations.push({ check: 'actor-update-lost', subject: a.address, detail: `final read failed (${a.acked} acknowledged updates unverified)` })
    } else if (a.final < a.acked) {
      violations.push({ check: 'actor-update-lost', subject: a.address, detail: `count ${a.final} < ${a.acked} acknowledged updates` })
    } else if (a.final > a.sent) {
      violations.push({ check: 'actor-update-twice', subject: a.address, detail: `count ${a.final} > ${a.sent} updates sent` })
    }
  }
}
