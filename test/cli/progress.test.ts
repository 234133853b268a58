// The progress lines of `troupe start` on fake time: what each reporter
// writes, and how often on a terminal and in a log.

import { describe, expect, it } from 'vitest'
import { reportJoining, reportStopping, type JoinFacts, type ProgressDeps, type StopFacts } from '../../src/cli/progress.js'
import { fakeTime } from '../helpers/fake-time.js'

function fakeDeps(tty: boolean): ProgressDeps & { lines: string[], advance(ms: number): void, pending(): number } {
  const time = fakeTime()
  const lines: string[] = []
  return {
    tty,
    lines,
    write: line => { lines.push(`${time.clock.now()} ${line}`) },
    clock: time.clock,
    timers: time.timers,
    advance: ms => time.advance(ms),
    pending: () => time.pending(),
  }
}

describe('joining progress', () => {
  const waiting: JoinFacts = { seeds: 1, membersAlive: 1, joined: false, voters: 0 }

  it('on a terminal: a line every 2 s while no other member is alive, then one "joined" line once the voters are known', () => {
    const t = fakeDeps(true)
    let facts = waiting
    let onNews: (() => void) | undefined
    reportJoining(t, () => facts, check => { onNews = check; return () => { onNews = undefined } })
    t.advance(6_100)
    expect(t.lines).toEqual(['2000 joining: dialing 1 seed... (2s)', '4000 joining: dialing 1 seed... (4s)', '6000 joining: dialing 1 seed... (6s)'])
    facts = { seeds: 1, membersAlive: 2, joined: true, voters: 0 }
    onNews?.()
    t.advance(600)
    expect(t.lines).toHaveLength(3)
    facts = { seeds: 1, membersAlive: 3, joined: true, voters: 3 }
    onNews?.()
    expect(t.lines.at(-1)).toBe('6700 joined: 3 members alive, 3 voters')
    expect(onNews).toBeUndefined()
    expect(t.pending()).toBe(0)
  })

  it('in a log: the first line, then one every 10 s; joined without voters after 3 s', () => {
    const t = fakeDeps(false)
    let facts = waiting
    reportJoining(t, () => facts, () => () => undefined)
    t.advance(25_000)
    expect(t.lines.map(l => l.split(' ')[0])).toEqual(['2000', '12000', '22000'])
    facts = { seeds: 2, membersAlive: 2, joined: true, voters: 0 }
    t.advance(3_500)
    expect(t.lines.at(-1)).toBe('28500 joined: 2 members alive, voters not known yet')
    expect(t.pending()).toBe(0)
  })

  it('says once that a peer without seeds is the first, and stops when asked', () => {
    const first = fakeDeps(true)
    reportJoining(first, () => ({ ...waiting, seeds: 0, voters: 1 }), () => { throw new Error('a first peer needs no news') })
    first.advance(10_000)
    expect(first.lines).toEqual(['0 joining: no seeds, so this is the first peer; others join it with --seed'])
    // Its only seed was itself, and it has no lease state: no cluster started.
    const alone = fakeDeps(true)
    reportJoining(alone, () => ({ ...waiting, seeds: 0, voters: 0 }), () => { throw new Error('no news') })
    expect(alone.lines).toEqual(['0 joining: no seed but this peer itself, and no lease state: waiting for another member to reach it (see the warning above)'])
    const stopped = fakeDeps(true)
    reportJoining(stopped, () => waiting, () => () => undefined).stop()
    stopped.advance(10_000)
    expect(stopped.lines).toEqual([])
    expect(stopped.pending()).toBe(0)
  })
})

describe('stopping progress', () => {
  it('on a terminal: every second, tasks with the time left before they are aborted, then actors with their own deadline, then "stopped"', () => {
    const t = fakeDeps(true)
    let facts: StopFacts = { tasksRunning: 2, actorsActive: 1 }
    const report = reportStopping(t, () => facts, 10_000)
    t.advance(2_000)
    facts = { tasksRunning: 1, actorsActive: 1 }
    t.advance(1_000)
    facts = { tasksRunning: 0, actorsActive: 1 }
    t.advance(1_000)
    facts = { tasksRunning: 0, actorsActive: 0 }
    t.advance(1_500)
    report.end('stopped')
    expect(t.lines).toEqual([
      '1000 stopping: 2 tasks still running, 1 actor active (9s left)',
      '2000 stopping: 2 tasks still running, 1 actor active (8s left)',
      '3000 stopping: 1 task still running, 1 actor active (7s left)',
      // The tasks ended between 3 s and 4 s: the actors' deadline is counted from 3 s.
      '4000 stopping: 1 actor deactivating (9s left)',
      '5000 stopping: leaving the cluster',
      '5500 stopped (5s)',
    ])
    expect(t.pending()).toBe(0)
  })

  it('in a log: the first line after 1 s, then every 5 s, and the last; a second signal or a failure ends it too', () => {
    const t = fakeDeps(false)
    const report = reportStopping(t, () => ({ tasksRunning: 1, actorsActive: 0 }), 15_000)
    t.advance(12_000)
    report.end('stopped')
    expect(t.lines.map(l => l.split(' ')[0])).toEqual(['1000', '6000', '11000', '12000'])
    const forced = fakeDeps(false)
    reportStopping(forced, () => ({ tasksRunning: 1, actorsActive: 0 }), 1_000).end('forced')
    expect(forced.lines).toEqual(['0 stopping: cut short by a second signal after 0ms; work still running is abandoned'])
    const failed = fakeDeps(true)
    reportStopping(failed, () => ({ tasksRunning: 1, actorsActive: 0 }), 1_000).end('failed')
    failed.advance(5_000)
    expect(failed.lines).toEqual([])
    expect(failed.pending()).toBe(0)
  })

  it('says when the time is up', () => {
    const t = fakeDeps(true)
    reportStopping(t, () => ({ tasksRunning: 3, actorsActive: 0 }), 1_000)
    t.advance(2_000)
    expect(t.lines).toEqual(['1000 stopping: 3 tasks still running (time is up)', '2000 stopping: 3 tasks still running (time is up)'])
  })
})
