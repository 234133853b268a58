// Ledger lines paired into runs: a start and its end, or, when the process
// died first, the start closed by that process's `exit` (the run cannot have
// gone on after it). A run whose end is nowhere stays open (end = Infinity).

import type { FaultEvent, LedgerEntry } from './types.js'

export interface Run {
  kind: 'task' | 'actor'
  /** Task id or actor address. */
  subject: string
  scope: 'any' | 'all' | undefined
  peer: string
  pid: number
  fence: string | undefined
  start: number
  end: number
  outcome: 'ok' | 'aborted' | 'refused' | 'killed' | 'open'
}

export function pairRuns(ledger: readonly LedgerEntry[], faults: readonly FaultEvent[]): Run[] {
  const starts = new Map<string, LedgerEntry>()
  const ends = new Map<string, LedgerEntry>()
  for (const e of ledger) (e.event === 'start' ? starts : ends).set(`${e.peer}/${e.run}`, e)
  const exits = faults.filter(f => f.kind === 'exit' && f.pid !== undefined).sort((a, b) => a.t - b.t)
  const runs: Run[] = []
  for (const [key, s] of starts) {
    const e = ends.get(key)
    let end = e?.t
    let outcome: Run['outcome'] = e?.outcome ?? 'ok'
    if (e === undefined) {
      const exit = exits.find(x => x.pid === s.pid && x.t >= s.t)
      end = exit?.t ?? Infinity
      outcome = exit === undefined ? 'open' : 'killed'
    }
    runs.push({
      kind: s.kind,
      subject: (s.kind === 'task' ? s.task : s.address) ?? '?',
      scope: s.scope,
      peer: s.peer,
      pid: s.pid,
      fence: s.fence,
      start: s.t,
      end: end!,
      outcome,
    })
  }
  return runs.sort((a, b) => a.start - b.start)
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const g = groups.get(k)
    if (g === undefined) groups.set(k, [item])
    else g.push(item)
  }
  return groups
}

/** Each peer's SIGSTOP intervals, from the harness's pause and resume events. */
export function pauseIntervals(faults: readonly FaultEvent[]): Map<string, Array<[number, number]>> {
  const open = new Map<string, number>()
  const intervals = new Map<string, Array<[number, number]>>()
  const add = (peer: string, from: number, to: number): void => {
    const list = intervals.get(peer) ?? []
    list.push([from, to])
    intervals.set(peer, list)
  }
  for (const f of [...faults].sort((a, b) => a.t - b.t)) {
    for (const peer of f.peers) {
      if (f.kind === 'pause') open.set(peer, f.t)
      else if (f.kind === 'resume' && open.has(peer)) {
        add(peer, open.get(peer)!, f.t)
        open.delete(peer)
      }
    }
  }
  for (const [peer, from] of open) add(peer, from, Infinity)
  return intervals
}

/** Pairs of runs (earlier first) whose time spans intersect. Runs must be sorted by start. */
export function overlappingPairs(runs: readonly Run[]): Array<[Run, Run]> {
  const pairs: Array<[Run, Run]> = []
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length && runs[j]!.start < runs[i]!.end; j++) pairs.push([runs[i]!, runs[j]!])
  }
  return pairs
}

/** The earlier run's peer was paused between the earlier start and the later one: its lease may have ended unseen. */
export function excusedByPause(earlier: Run, later: Run, pauses: ReadonlyMap<string, Array<[number, number]>>): boolean {
  return (pauses.get(earlier.peer) ?? []).some(([from, to]) => from < later.start && to > earlier.start)
}
