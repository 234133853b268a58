import { describe, expect, it } from 'vitest'
import { decodeGossip } from '../../src/tasks/codec.js'
import { GossipOut } from '../../src/tasks/gossip.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import type { TaskPubSub } from '../../src/tasks/bus.js'
import { silentLogger } from '../../src/util/logger.js'
import { SkipClock } from './harness.js'

const rec = (i: number, pad = 0): TaskRecord =>
  newRecord({ id: `t${i}`, name: 'job', scope: 'any', partition: 0, input: { pad: 'x'.repeat(pad) }, priority: 0, runAt: 0, now: 0, self: 'a' })

function recorder(): { pubsub: TaskPubSub, messages: TaskRecord[][] } {
  const messages: TaskRecord[][] = []
  const pubsub: TaskPubSub = {
    subscribe: () => {}, unsubscribe: () => {}, onMessage: () => () => {},
    publish: async (_t, data) => { messages.push(decodeGossip(data)!.records as TaskRecord[]) },
  }
  return { pubsub, messages }
}

const settle = (): Promise<void> => new Promise(r => setTimeout(r, 5))

describe('outbound gossip', () => {
  it('coalesces records into messages under the byte cap, at the configured pace', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 10_000, lazyMs: 10_000, bytesMax: 4096, messagesPerSecond: 0.001, queueMax: 1000 })
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

  it('drops the oldest records beyond the queue bound (sync repairs them)', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 1, lazyMs: 1, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 10 })
    out.push(Array.from({ length: 25 }, (_, i) => rec(i)))
    expect(out.dropped).toBe(15)
    await out.stop()
    expect(messages.flat().map(r => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i + 15}`))
  })

  it('holds lazy records up to lazyMs and sends them along with the next eager message', async () => {
    const clock = new SkipClock()
    const { pubsub, messages } = recorder()
    const out = new GossipOut(pubsub, clock, clock, silentLogger, { topic: 't', coalesceMs: 5, lazyMs: 1_000, bytesMax: 65536, messagesPerSecond: 1000, queueMax: 100 })
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
})
