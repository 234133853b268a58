import { describe, expect, it } from 'vitest'
import { checkRecords, decodeGossip } from '../../src/tasks/codec.js'
import { GossipOut } from '../../src/tasks/gossip.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import type { TaskPubSub } from '../../src/tasks/bus.js'
import { finishAttempt, startAttempt } from '../../src/tasks/transitions.js'
import { silentLogger } from '../../src/util/logger.js'
import { SkipClock } from './harness.js'

const rec = (i: number, pad = 0): TaskRecord =>
  newRecord({ id: `t${i}`, name: 'job', scope: 'any', partition: 0, input: { pad: 'x'.repeat(pad) }, priority: 0, runAt: 0, now: 0, self: 'a' })

function recorder(): { pubsub: TaskPubSub, messages: TaskRecord[][] } {
  const messages: TaskRecord[][] = []
  const pubsub: TaskPubSub = {
    subscribe: () => {}, unsubscribe: () => {}, onMessage: () => () => {},
    publish: async (_t, data) => { messages.push(checkRecords(decodeGossip(data), 1).records) },
  }
  return { pubsub, messages }
}

const settle = (): Promise<void> => new Promise(r => setTimeout(r, 5))

describe('outbound gossip', () => {
  it('coalesces records into messages under the byte cap, at the configured pace', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 10_000, lazyMs: 10_000, deferMs: 10_000, bytesMax: 4096, messagesPerSecond: 0.001, queueMax: 1000 })
    out.push(Array.from({ length: 100 }, (_, i) => rec(i, 100)))
    out.push([rec(0, 100)]) // a newer copy replaces the queued one
    await settle()
    expect(messages).toHaveLength(0)
    clock.advance(10_000)
    await settle()
    expect(messages).toHaveLength(1)
    const first = messages[0]!
    expect(first.length).toBeGreaterThan(10)
    expect(first.length).toBeLessThan(100)
    clock.advance(1_000_000) // pace: one message per 1000 s
    await settle()
    expect(messages).toHaveLength(2)
    await out.stop() // flushes the rest at once
    const all = messages.flat().map(r => r.id)
    expect(new Set(all).size).toBe(100)
    expect(all).toHaveLength(100)
  })

  it('tells a record alone when nothing is queued and nothing was spread within coalesceMs', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 10, lazyMs: 100, deferMs: 1000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    expect(out.alone()).toBe(true)
    // Asked again within the window (records coming fast): they would share a message.
    clock.advance(5)
    expect(out.alone()).toBe(false)
    clock.advance(10)
    expect(out.alone()).toBe(true)
    clock.advance(10)
    out.push([rec(1)])
    clock.advance(9)
    expect(out.alone()).toBe(false)
    clock.advance(20)
    await settle()
    expect(messages).toHaveLength(1)
    // Queued, then sent: alone again once the window has passed since the last record.
    clock.advance(10)
    expect(out.alone()).toBe(true)
    await out.stop()
  })

  it('drops a deferred copy of a record that rides (its newer copy went by push)', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 1, lazyMs: 50, deferMs: 100, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    out.defer([rec(1)])
    out.ride([rec(1)])
    clock.advance(200)
    await settle()
    expect(messages).toHaveLength(0)
    await out.stop()
    expect(messages).toHaveLength(0)
  })

  it('drops the oldest records beyond the queue bound (sync repairs them)', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 1, lazyMs: 1, deferMs: 1, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 10 })
    out.push(Array.from({ length: 25 }, (_, i) => rec(i)))
    expect(out.dropped).toBe(15)
    await out.stop()
    expect(messages.flat().map(r => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i + 15}`))
  })

  it('holds lazy records up to lazyMs and sends them along with the next eager message', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 5, lazyMs: 1_000, deferMs: 1_000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    out.push([rec(1), rec(2)], true)
    clock.advance(500)
    await settle()
    expect(messages).toHaveLength(0)
    out.push([rec(3)]) // eager: goes within coalesceMs, and takes the lazy ones with it
    clock.advance(5)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t1', 't2', 't3']])
    out.push([rec(4)], true)
    out.push([rec(5)], true)
    clock.advance(999)
    await settle()
    expect(messages).toHaveLength(1)
    clock.advance(1)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t1', 't2', 't3'], ['t4', 't5']])
    await out.stop()
  })

  it('sends riders only along with a message that leaves within lazyMs, and drops them otherwise', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 5, lazyMs: 1_000, deferMs: 1_000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    out.ride([rec(1), rec(2)])
    clock.advance(5_000)
    await settle()
    // No message of their own.
    expect(messages).toHaveLength(0)
    out.ride([rec(3), rec(4)])
    clock.advance(500)
    out.push([rec(5)]) // a message leaves: the riders still in time (3 and 4, not 1 and 2) go along
    clock.advance(5)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t5', 't3', 't4']])
    expect(out.rides).toEqual({ taken: 2, missed: 2 })
    // A rider that is then pushed goes as a queued record; one that a gossiped copy covers does not go at all.
    out.ride([rec(6), rec(7)])
    out.push([rec(6)], true)
    out.supersede([rec(7)])
    clock.advance(1_000)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t5', 't3', 't4'], ['t6']])
    // A ride of a record already queued replaces the queued copy, which keeps its deadline.
    out.push([rec(8)])
    out.ride([{ ...rec(8), priority: 7 }])
    clock.advance(5)
    await settle()
    expect(messages[2]?.map(r => [r.id, r.priority])).toEqual([['t8', 7]])
    // Past queueMax the oldest riders are dropped.
    out.ride(Array.from({ length: 105 }, (_, i) => rec(100 + i)))
    expect(out.rides.missed).toBe(2 + 5)
    await out.stop()
    expect(out.rides.missed).toBe(2 + 105)
    expect(messages).toHaveLength(3)
  })

  it('holds deferred records deferMs without riding along, and drops those a gossiped copy covers', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 5, lazyMs: 50, deferMs: 1_000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    out.defer([rec(1), rec(2), rec(3)])
    out.push([rec(4)]) // eager: leaves alone, deferred records do not ride along
    clock.advance(5)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t4']])
    // t1 finished on its holder, whose record of it arrived by gossip: ours adds nothing to it and is not sent.
    const done = finishAttempt(startAttempt(rec(1), { self: 'h', now: 1 }, '1.h').record, { self: 'h', now: 2 },
      { key: 'h#0.1', outcome: 'ok', retry: { attempts: 1, backoffMs: 1, backoffFactor: 1, lostMax: 3 }, owner: true })
    // t2's arriving copy is older than ours (ours has an attempt it lacks): ours still goes.
    const ours2 = startAttempt(rec(2), { self: 'a', now: 1 }, '1.a').record
    clock.advance(400)
    out.defer([ours2]) // deferred again, from now
    out.supersede([done, rec(2)])
    expect(out.superseded).toBe(1)
    clock.advance(500)
    await settle()
    expect(messages).toHaveLength(1)
    clock.advance(100) // t3's lazyMs is over, not t2's
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t4'], ['t3']])
    clock.advance(400)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t4'], ['t3'], ['t2']])
    expect(messages[2]![0]!.attempts).toHaveLength(1)
    // A newer copy of a deferred record pushed here (this peer ran it) goes instead, once.
    out.defer([rec(5)])
    out.push([startAttempt(rec(5), { self: 'a', now: 1 }, '1.a').record])
    clock.advance(5)
    await settle()
    expect(messages.at(-1)!.map(r => [r.id, r.attempts.length])).toEqual([['t5', 1]])
    clock.advance(2_000)
    await settle()
    expect(messages.flat().filter(r => r.id === 't5')).toHaveLength(1)
    out.defer([rec(9)])
    await out.stop() // sends deferred records at once
    expect(messages.at(-1)!.map(r => r.id)).toEqual(['t9'])
  })

  it('sends a deferred record at once when its put missed the holder, whether that answer comes after the record was deferred or before', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 5, lazyMs: 50, deferMs: 1_000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
    out.defer([rec(1)])
    out.undefer(['t1', 't2'])
    clock.advance(5)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t1']])
    // The answer came first (before this peer's own commit deferred t3): t3 goes when deferred.
    out.undefer(['t3'])
    out.defer([rec(3)])
    clock.advance(5)
    await settle()
    expect(messages.map(m => m.map(r => r.id))).toEqual([['t1'], ['t3']])
    // Remembered for deferMs only: a record deferred later than that waits as usual.
    out.undefer(['t4'])
    clock.advance(1_500)
    out.defer([rec(4)])
    clock.advance(5)
    await settle()
    expect(messages).toHaveLength(2)
    clock.advance(1_000)
    await settle()
    expect(messages.map(m => m.map(r => r.id)).slice(2)).toEqual([['t4']])
  })
})
