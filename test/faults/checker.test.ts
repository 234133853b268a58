// The fault checker on hand-made ledgers: a clean history passes, and each
// kind of broken history is caught (the checker bites).

import { describe, expect, it } from 'vitest'
import { check } from './harness/checker.js'
import { summaryTable } from './harness/report.js'
import type { ActorTally, CheckInput, Enqueued, FaultEvent, FinalTask, LedgerEntry, SinkEntry } from './harness/types.js'

const PEERS = ['p0', 'p1', 'p2']
const F1 = '00000001.00000000000001.a'
const F2 = '00000001.00000000000002.b'

let n = 0
function run(peer: string, pid: number, start: number, end: number | undefined, more: Partial<LedgerEntry>): LedgerEntry[] {
  const id = `${pid}.${++n}`
  const base = { kind: 'task' as const, run: id, peer, pid, ...more }
  const out: LedgerEntry[] = [{ ...base, event: 'start', t: start }]
  if (end !== undefined) out.push({ ...base, event: 'end', t: end, outcome: more.outcome ?? 'ok' })
  return out
}
const anyRun = (task: string, peer: string, pid: number, start: number, end: number | undefined, fence = F1, outcome: LedgerEntry['outcome'] = 'ok'): LedgerEntry[] =>
  run(peer, pid, start, end, { task, scope: 'any', fence, outcome })
const allRun = (task: string, peer: string, pid: number, start: number, end: number): LedgerEntry[] => run(peer, pid, start, end, { task, scope: 'all' })
const turn = (address: string, peer: string, pid: number, start: number, end: number): LedgerEntry[] => run(peer, pid, start, end, { kind: 'actor', address, fence: F1 })
const sinkOk = (key: string, fence: string, peer: string, t: number): SinkEntry[] => [
  { key, fence, peer, phase: 'start', accepted: true, t },
  { key, fence, peer, phase: 'end', accepted: true, t: t + 10 },
]

/** A clean history: two "any" tasks (one rerun after its runner was killed), one "all" task on every peer, one actor. */
function clean(): CheckInput {
  const ledger = [
    ...anyRun('a1', 'p0', 100, 0, 1_000, F1),
    ...anyRun('a2', 'p1', 101, 0, undefined, F1), // p1's process is killed at 500
    ...anyRun('a2', 'p2', 102, 2_000, 2_500, F2),
    ...allRun('s1', 'p0', 100, 10, 20), ...allRun('s1', 'p1', 101, 10, 20), ...allRun('s1', 'p2', 102, 10, 20),
    ...turn('acct/x', 'p0', 100, 0, 100), ...turn('acct/x', 'p1', 103, 3_000, 3_100),
  ]
  const faults: FaultEvent[] = [{ kind: 'kill', peers: ['p1'], t: 490 }, { kind: 'exit', peers: ['p1'], pid: 101, t: 500 }, { kind: 'start', peers: ['p1'], pid: 103, t: 1_500 }]
  const sink = [...sinkOk('a1', F1, 'p0', 1), { key: 'a2', fence: F1, peer: 'p1', phase: 'start' as const, accepted: true, t: 5 }, ...sinkOk('a2', F2, 'p2', 2_001)]
  const enqueued: Enqueued[] = [{ id: 'a1', scope: 'any', peer: 'p0', t: 0 }, { id: 'a2', scope: 'any', peer: 'p1', t: 0 }, { id: 's1', scope: 'all', peer: 'p2', t: 0 }]
  const final = new Map<string, FinalTask | undefined>([['a1', { state: 'done', okPeers: [] }], ['a2', { state: 'done', okPeers: [] }], ['s1', { state: 'done', okPeers: PEERS }]])
  const actors: ActorTally[] = [{ address: 'acct/x', sent: 3, acked: 2, final: 2 }]
  return { ledger, faults, sink, enqueued, final, actors, livePeers: PEERS }
}

describe('the fault checker', () => {
  it('passes a clean history and counts its rerun and killed run', () => {
    const result = check(clean())
    expect(result.violations).toEqual([])
    expect(result.stats).toMatchObject({ enqueuedAny: 2, enqueuedAll: 1, reruns: 1, tasksRerun: 1, runsKilled: 1, actorTurns: 2, faults: { kill: 1 } })
    expect(summaryTable(result)).toContain('| tasks lost (enqueue resolved, not done at the end)')
  })

  it('reports a resolved task that is not done, or done without an ok run', () => {
    const input = clean()
    input.enqueued.push({ id: 'a3', scope: 'any', peer: 'p0', t: 0 })
    input.final = new Map(input.final).set('a1', { state: 'pending', okPeers: [] }).set('a2', undefined).set('a3', { state: 'done', okPeers: [] })
    const lost = check(input).violations.filter(v => v.check === 'lost').map(v => v.subject)
    expect(lost.sort()).toEqual(['a1', 'a2', 'a3'])
  })

  it('reports two runs of one "any" task at once', () => {
    const input = clean()
    input.ledger.push(...anyRun('a1', 'p2', 102, 900, 1_200, F2))
    const v = check(input).violations
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ check: 'any-overlap', subject: 'a1' })
  })

  it('reports a run still open when the process it ran in never exited', () => {
    const input = clean()
    input.faults = input.faults.filter(f => f.kind !== 'exit')
    expect(check(input).violations.map(v => v.check)).toEqual(['any-overlap'])
  })

  it('allows an overlap after the earlier runner was paused, and counts it', () => {
    const input = clean()
    input.ledger.push(...anyRun('a1', 'p2', 102, 900, 1_200, F2))
    input.faults.push({ kind: 'pause', peers: ['p0'], t: 200 }, { kind: 'resume', peers: ['p0'], t: 950 })
    const result = check(input)
    expect(result.violations).toEqual([])
    expect(result.stats.overlapsAfterPause).toBe(1)
  })

  it('reports a sink that accepted a stale fence or no fence', () => {
    const input = clean()
    input.sink = [...input.sink,
      { key: 'a2', fence: F1, peer: 'p1', phase: 'end', accepted: true, t: 3_000 },
      { key: 'a9', fence: null, peer: 'p1', phase: 'start', accepted: true, t: 3_000 },
      { key: 'a2', fence: F1, peer: 'p1', phase: 'end', accepted: false, t: 3_001 }]
    const result = check(input)
    expect(result.violations.map(v => [v.check, v.subject])).toEqual([['stale-fence-accepted', 'a2'], ['stale-fence-accepted', 'a9']])
    expect(result.stats.sinkRefused).toBe(1)
  })

  it('reports an "all" task that never ran to ok on a live peer', () => {
    const input = clean()
    input.ledger = input.ledger.filter(e => !(e.task === 's1' && e.peer === 'p1' && e.event === 'end'))
    input.livePeers = [...PEERS, 'p3']
    const v = check(input).violations
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ check: 'all-missing', subject: 's1' })
    expect(v[0]!.detail).toContain('p1, p3')
  })

  it('reports actor turns on two peers at once', () => {
    const input = clean()
    input.ledger.push(...turn('acct/x', 'p2', 102, 50, 150))
    expect(check(input).violations.map(v => [v.check, v.subject])).toEqual([['actor-overlap', 'acct/x']])
  })

  it('reports a peer process that exited on its own', () => {
    const input = clean()
    input.faults.push({ kind: 'exit', peers: ['p2'], pid: 102, t: 4_000, detail: 'unexpected code 1' })
    expect(check(input).violations.map(v => [v.check, v.subject])).toEqual([['peer-crash', 'p2']])
  })

  it('reports acknowledged actor updates lost, applied twice, or unreadable', () => {
    const input = clean()
    input.actors = [{ address: 'acct/a', sent: 5, acked: 4, final: 3 }, { address: 'acct/b', sent: 2, acked: 2, final: 3 }, { address: 'acct/c', sent: 1, acked: 1, final: undefined }]
    expect(check(input).violations.map(v => [v.check, v.subject])).toEqual([['actor-update-lost', 'acct/a'], ['actor-update-twice', 'acct/b'], ['actor-update-lost', 'acct/c']])
  })
})
