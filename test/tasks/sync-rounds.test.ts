// When a peer syncs (src/tasks/sync-rounds.ts), on a fake clock: every member
// at start and again once the start has settled, one random member per
// interval, and a round with every member for partitions just acquired,
// whose tasks are released when it ends, or after handoverSyncMs if a peer
// does not answer.
import { describe, expect, it } from 'vitest'
import { Background } from '../../src/tasks/background.js'
import { SYNC_ALL_DEBOUNCE_MS, SYNC_RETRY_MS, SyncRounds } from '../../src/tasks/sync-rounds.js'
import { silentLogger } from '../../src/util/logger.js'
import { seededRandom } from '../../src/util/random.js'
import { fakeTime } from '../helpers/fake-time.js'

const tick = (): Promise<void> => new Promise(r => setImmediate(r))

function rounds(answer: (peer: string) => Promise<void> = async () => {}, members: () => readonly string[] = () => ['a', 'b', 'c'], intervalMs = 1_000) {
  const t = fakeTime()
  const synced: Array<{ peer: string, fresh: readonly number[] }> = []
  const released: number[][] = []
  const r = new SyncRounds({
    self: 'a', members, random: seededRandom(1), timers: t.timers, logger: silentLogger, background: new Background(silentLogger),
    syncWith: async (peer, { fresh }) => { synced.push({ peer, fresh }); await answer(peer); return { partitions: 0, pulled: 0, pushed: 0 } },
    release: ps => { released.push(ps) }, signal: new AbortController().signal,
    syncIntervalMs: intervalMs, syncSettleMs: 300, handoverSyncMs: 2_000,
  })
  return { t, r, synced, released }
}

describe('sync rounds', () => {
  it('syncs with every member at start and once the start has settled, then with one member per interval', () => {
    const { t, r, synced } = rounds()
    r.start()
    t.advance(SYNC_ALL_DEBOUNCE_MS)
    expect(synced.map(s => s.peer).sort()).toEqual(['b', 'c'])
    t.advance(300)
    expect(synced.map(s => s.peer).sort()).toEqual(['b', 'b', 'c', 'c'])
    t.advance(1_000 - 310)
    expect(synced).toHaveLength(5)
    expect(['b', 'c']).toContain(synced[4]!.peer)
    r.stop()
    t.advance(5_000)
    expect(synced).toHaveLength(5)
    expect(t.pending()).toBe(0)
  })

  it('releases partitions acquired together after one round with every member, or after handoverSyncMs without an answer', async () => {
    let answerC!: () => void
    const { t, r, synced, released } = rounds(peer => peer === 'c' ? new Promise<void>((resolve) => { answerC = resolve }) : Promise.resolve())
    r.start()
    t.advance(SYNC_ALL_DEBOUNCE_MS)
    answerC()
    await tick()
    synced.length = 0
    released.length = 0
    r.acquired(3)
    r.acquired(7)
    t.advance(SYNC_ALL_DEBOUNCE_MS)
    expect(synced).toEqual([{ peer: 'b', fresh: [3, 7] }, { peer: 'c', fresh: [3, 7] }])
    await tick()
    // c has not answered: nothing released until handoverSyncMs has passed.
    expect(released).toEqual([])
    t.advance(2_000)
    expect(released).toEqual([[3, 7]])
  })

  it('tries a peer whose exchange failed again soon, waiting twice as long after each failure, until one works or it leaves', async () => {
    let failing = 3
    let members = ['a', 'b', 'c']
    // The random round is far off: only the retries can bring c's exchanges back.
    const { t, r, synced } = rounds(async (peer) => {
      if (peer === 'c' && failing > 0) {
        failing--
        throw new Error('timed out')
      }
    }, () => members, 600_000)
    r.start()
    t.advance(SYNC_ALL_DEBOUNCE_MS)
    await tick()
    const toC = (): number => synced.filter(s => s.peer === 'c').length
    expect(toC()).toBe(1) // failed at 10 ms: a retry is due at 510 ms
    t.advance(300)
    await tick()
    expect(toC()).toBe(2) // the start's settled round (310 ms) failed too: the retry already due stays the only one
    t.advance(SYNC_RETRY_MS - 301)
    await tick()
    expect(toC()).toBe(2)
    t.advance(1)
    await tick()
    expect(toC()).toBe(3) // 510 ms: failed again, next in twice the wait
    t.advance(2 * SYNC_RETRY_MS - 1)
    await tick()
    expect(toC()).toBe(3)
    t.advance(1)
    await tick()
    expect(toC()).toBe(4)
    expect(failing).toBe(0)
    // It worked: no more tries until a round asks for one.
    t.advance(60_000)
    await tick()
    expect(toC()).toBe(4)
    const afterThird = toC()
    // A peer that fails and then leaves the members is not tried again.
    failing = 1
    r.catchUp('c')
    await tick()
    members = ['a', 'b']
    t.advance(60_000)
    await tick()
    expect(toC()).toBe(afterThird + 1)
    r.stop()
    expect(t.pending()).toBe(0)
  })
})
