// The meters each plane is handed: small interfaces (src/tasks/meter.ts,
// src/placement/meter.ts, src/actors/meter.ts) backed by the tallies of this
// peer's metrics (metrics.ts), which the registry folds in at each scrape. A
// tally's cell is looked up once per label value and kept, so a count is an
// addition; label values are task names, actor types and fixed words, all
// bounded by the app's definitions.

import type { ActorMeter } from '../actors/meter.js'
import type { LeaseMeter } from '../placement/meter.js'
import type { TaskEvent, TaskMeter } from '../tasks/meter.js'
import type { HistogramSeries, LabelledHistogram } from './histogram.js'
import { TASK_EVENTS, type Metrics, type Tally, type TallyCell } from './metrics.js'

/** `tally.cell(value)`, looked up once per value. */
function cells(tally: Tally): (value: string) => TallyCell {
  const cache = new Map<string, TallyCell>()
  return (value) => {
    let cell = cache.get(value)
    if (cell === undefined) cache.set(value, cell = tally.cell(value))
    return cell
  }
}

/** `histogram.labels({ task, outcome })`, looked up once per pair. */
function durations(histogram: LabelledHistogram<'task' | 'outcome'>): (task: string, outcome: string) => HistogramSeries {
  const cache = new Map<string, Map<string, HistogramSeries>>()
  return (task, outcome) => {
    let byOutcome = cache.get(task)
    if (byOutcome === undefined) cache.set(task, byOutcome = new Map())
    let series = byOutcome.get(outcome)
    if (series === undefined) byOutcome.set(outcome, series = histogram.labels({ task, outcome }))
    return series
  }
}

export function taskMeter(m: Metrics): TaskMeter {
  const c = m.counts
  const events = Object.fromEntries(TASK_EVENTS.map(e => [e, cells(c.tasks[e])])) as Record<TaskEvent, (task: string) => TallyCell>
  const duration = durations(m.taskDuration)
  const gossipMessages = cells(c.gossipMessages)
  const gossipBytes = cells(c.gossipBytes)
  const rejected = cells(c.gossipRejected)
  const ignored = cells(c.gossipIgnored)
  const syncOk = c.syncRounds.cell('ok')
  const syncError = c.syncRounds.cell('error')
  const pulled = c.syncRecords.cell('pulled')
  const pushed = c.syncRecords.cell('pushed')
  return {
    task: (name, event) => { events[event](name).n++ },
    attempt: (name, outcome, seconds) => { duration(name, outcome).observe(seconds) },
    gossip: (direction, bytes) => {
      gossipMessages(direction).n++
      gossipBytes(direction).n += bytes
    },
    gossipDropped: (verdict, reason) => { (verdict === 'reject' ? rejected : ignored)(reason).n++ },
    sync: (ok, nPulled, nPushed) => {
      (ok ? syncOk : syncError).n++
      pulled.n += nPulled
      pushed.n += nPushed
    },
  }
}

export function leaseMeter(m: Metrics): LeaseMeter {
  const c = m.counts
  const rounds = c.leaseRounds.cell()
  const entries = c.leaseRoundEntries.cell()
  const acquired = c.leaseAcquired.cell()
  const lost = cells(c.leaseHandovers)
  return {
    rounds: (count) => { rounds.n += count },
    proposed: (n) => { entries.n += n },
    acquired: () => { acquired.n++ },
    lost: (reason) => { lost(reason).n++ },
  }
}

export function actorMeter(m: Metrics): ActorMeter {
  return {
    messages: (type) => {
      const cell = m.counts.actorMessages.cell(type)
      return () => { cell.n++ }
    },
  }
}
