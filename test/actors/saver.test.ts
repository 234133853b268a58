// Saving: local commit and replication run together, replication rounds are
// coalesced (one in flight per actor), and every save resolves once a round
// carrying its version or a newer one has settled.
import { describe, expect, it } from 'vitest'
import type { Replicas } from '../../src/actors/replicas.js'
import { Saver } from '../../src/actors/saver.js'
import type { StateStore } from '../../src/actors/state-store.js'
import type { StateRecord } from '../../src/actors/wire.js'
import { silentLogger } from '../../src/util/logger.js'

function fakes(targets: string[], needed = 0, acks = targets.length): { store: StateStore, replicas: Replicas, rounds: number[], release: () => void, local: number[] } {
  const rounds: number[] = []
  const local: number[] = []
  let pending: Array<() => void> = []
  const store = { put: async (_a: string, r: StateRecord) => { local.push(r.v); return true } } as unknown as StateStore
  const replicas = {
    targets: () => targets,
    needed: () => needed,
    put: (_p: number, _a: string, r: StateRecord) => new Promise<number>((resolve) => {
      rounds.push(r.v)
      pending.push(() => resolve(acks))
    }),
  } as unknown as Replicas
  const release = (): void => {
    const now = pending
    pending = []
    for (const r of now) r()
  }
  return { store, replicas, rounds, release, local }
}

const rec = (v: number): StateRecord => ({ v, f: '0:1', s: new Uint8Array([v]) })
const tick = (): Promise<void> => new Promise(r => setTimeout(r, 0))

describe('Saver', () => {
  it('coalesces saves made while a round is in flight into one round with the newest record', async () => {
    const f = fakes(['b', 'c'])
    const saver = new Saver('counter/1', 0, f.store, f.replicas, silentLogger)
    const settled: number[] = []
    const saves = [1, 2, 3, 4, 5].map(v => saver.save(rec(v)).then(() => settled.push(v)))
    await tick()
    expect(f.local).toEqual([1, 2, 3, 4, 5])
    expect(f.rounds).toEqual([1])
    f.release()
    await tick()
    expect(settled).toEqual([1])
    expect(f.rounds).toEqual([1, 5])
    f.release()
    await Promise.all(saves)
    expect(settled).toEqual([1, 2, 3, 4, 5])
  })

  it('with a quorum, acknowledges a change only once enough copies acked, and rejects it otherwise', async () => {
    const short = fakes(['b', 'c', 'd', 'e'], 2, 1)
    const saver = new Saver('counter/1', 0, short.store, short.replicas, silentLogger)
    const saved = saver.save(rec(1))
    await tick()
    short.release()
    await expect(saved).rejects.toMatchObject({ name: 'UnavailableError', retryable: true })
    const enough = fakes(['b', 'c', 'd', 'e'], 2, 2)
    const ok = new Saver('counter/2', 0, enough.store, enough.replicas, silentLogger).save(rec(1))
    await tick()
    enough.release()
    await expect(ok).resolves.toBeUndefined()
  })

  it('resolves after the local commit alone when there are no replica targets', async () => {
    const f = fakes([])
    const saver = new Saver('counter/1', 0, f.store, f.replicas, silentLogger)
    await saver.save(rec(1))
    expect(f.local).toEqual([1])
    expect(f.rounds).toEqual([])
  })

  it('rejects when the local commit fails', async () => {
    const f = fakes(['b'])
    const store = { put: () => Promise.reject(new Error('disk full')) } as unknown as StateStore
    const saver = new Saver('counter/1', 0, store, f.replicas, silentLogger)
    const failed = expect(saver.save(rec(1))).rejects.toThrow('disk full')
    await tick()
    f.release()
    await failed
  })
})
