// The meters each plane is handed: small interfaces (src/tasks/meter.ts,
// src/placement/meter.ts, src/actors/meter.ts) backed by this peer's
// registry. Label children are looked up once per label value and kept, so a
// count costs a Map lookup and an add; label values are task names, actor
// types and fixed words, all bounded by the app's definitions.

import type { Counter, Histogram } from 'prom-client'
import type { ActorMeter } from '../actors/meter.js'
import type { LeaseMeter } from '../placement/meter.js'
import type { TaskEvent, TaskMeter } from '../tasks/meter.js'
import { TASK_EVENTS, type Metrics } from './metrics.js'

/** `counter.labels(value)`, created once per value. */
function children(counter: Counter<string>): (value: string) => Counter.Internal {
  const cache = new Map<string, Counter.Internal>()
  return (value) => {
    let child = cache.get(value)
    if (child === undefined) cache.set(value, child = counter.labels(value))
    return child
  }
}

/** `histogram.labels(task, outcome)`, created once per pair. */
function durations(histogram: Histogram<'task' | 'outcome'>): (task: string, outcome: string) => Histogram.Internal<'task' | 'outcome'> {
  const cache = new Map<string, Map<string, Histogram.Internal<'task' | 'outcome'>>>()
  return (task, outcome) => {
    let byOutcome = cache.get(task)
    if (byOutcome === undefined) cache.set(task, byOutcome = new Map())
    let child = byOutcome.get(outcome)
    if (child === undefined) byOutcome.set(outcome, child = histogram.labels(task, outcome))
    return child
  }
}

export function taskMeter(m: Metrics): TaskMeter {
  const events = Object.fromEntries(TASK_EVENTS.map(e => [e, children(m.tasks[e])])) as Record<TaskEvent, (task: string) => Counter.Internal>
  const duration = durations(m.taskDuration)
  const gossipMessages = children(m.gossipMessages)
  const gossipBytes = children(m.gossipBytes)
  const rejected = children(m.gossipRejected)
  const ignored = children(m.gossipIgnored)
  const syncRounds = children(m.syncRounds)
  const pulled = m.syncRecords.labels('pulled')
  const pushed = m.syncRecords.labels('pushed')
  return {
    task: (name, event) => { events[event](name).inc() },
    attempt: (name, outcome, seconds) => { duration(name, outcome).observe(seconds) },
    gossip: (direction, bytes) => {
      gossipMessages(direction).inc()
      gossipBytes(direction).inc(bytes)
    },
    gossipDropped: (verdict, reason) => { (verdict === 'reject' ? rejected : ignored)(reason).inc() },
    sync: (ok, nPulled, nPushed) => {
      syncRounds(ok ? 'ok' : 'error').inc()
      if (nPulled > 0) pulled.inc(nPulled)
      if (nPushed > 0) pushed.inc(nPushed)
    },
  }
}

export function leaseMeter(m: Metrics): LeaseMeter {
  const lost = children(m.leaseHandovers)
  return {
    rounds: (count) => { m.leaseRounds.inc(count) },
    proposed: (entries) => { m.leaseRoundEntries.inc(entries) },
    acquired: () => { m.leaseAcquired.inc() },
    lost: (reason) => { lost(reason).inc() },
  }
}

export function actorMeter(m: Metrics): ActorMeter {
  return {
    messages: (type) => {
      const child = m.actorMessages.labels(type)
      return () => { child.inc() }
    },
  }
}
