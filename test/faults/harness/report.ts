// The summary a fault run prints: one row per check, the counts that show
// what the run went through (reruns, refusals, faults), and the first
// violations in full. Markdown tables, so a run can be pasted into the docs.

import type { CheckName, CheckResult } from './types.js'

export const CHECKS: Array<[CheckName, string]> = [
  ['lost', 'tasks lost (enqueue resolved, not done at the end)'],
  ['any-overlap', '"any" tasks with overlapping runs'],
  ['stale-fence-accepted', 'writes under a stale fence accepted'],
  ['all-missing', '"all" tasks missing on a live peer'],
  ['actor-overlap', 'actors with turns on two peers at once'],
  ['actor-update-lost', 'acknowledged actor updates lost'],
  ['actor-update-twice', 'actor updates applied twice'],
  ['peer-crash', 'peer processes that exited on their own'],
]

/** Violations printed in full; the rest are counted. */
export const DETAILS_MAX = 20

export function summaryTable(result: CheckResult): string {
  const s = result.stats
  const rows: Array<[string, string]> = CHECKS.map(([name, label]) => {
    const n = result.violations.filter(v => v.check === name).length
    return [label, n === 0 ? '0' : `**${n}**`]
  })
  const faults = Object.entries(s.faults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
  rows.push(
    ['faults injected', faults],
    ['"any" / "all" tasks enqueued (resolved)', `${s.enqueuedAny} / ${s.enqueuedAll}`],
    ['task runs (reruns; tasks rerun)', `${s.runs} (${s.reruns}; ${s.tasksRerun})`],
    ['"any" tasks completed more than once', String(s.tasksCompletedTwice)],
    ['runs killed / aborted', `${s.runsKilled} / ${s.runsAborted}`],
    ['stale writes refused by the fence', String(s.sinkRefused)],
    ['overlaps after a pause (allowed, fenced)', String(s.overlapsAfterPause)],
    ['actor turns (asks sent / acknowledged)', `${s.actorTurns} (${s.actorMessagesSent} / ${s.actorMessagesAcked})`],
    ['ledger lines cut short', String(s.badLines)],
  )
  const width = Math.max(...rows.map(r => r[0].length))
  return [
    `| ${'check'.padEnd(width)} | result |`,
    `|${'-'.repeat(width + 2)}|--------|`,
    ...rows.map(([a, b]) => `| ${a.padEnd(width)} | ${b} |`),
  ].join('\n')
}

export function violationDetails(result: CheckResult): string {
  const lines = result.violations.slice(0, DETAILS_MAX).map(v => `  ${v.check} ${v.subject}: ${v.detail}`)
  if (result.violations.length > DETAILS_MAX) lines.push(`  ... and ${result.violations.length - DETAILS_MAX} more`)
  return lines.join('\n')
}
