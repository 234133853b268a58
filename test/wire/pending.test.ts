import { describe, expect, it } from 'vitest'
import { AbortedError, TimeoutError } from '../../src/errors.js'
import type { Clock, TimerHandle, Timers } from '../../src/util/clock.js'
import { PendingRequests } from '../../src/wire/pending.js'

/** Virtual time: timers fire in deadline order when `advance` passes them. */
class FakeTime implements Clock, Timers {
  t = 0
  private seq = 0
  readonly armed = new Map<number, { at: number, fn: () => void }>()

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq
    this.armed.set(id, { at: this.t + ms, fn })
    return { id }
  }

  clearTimeout(handle: TimerHandle): void {
    this.armed.delete(handle.id as number)
  }

  /** Runs every timer due by now + ms, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = [...this.armed.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.armed.delete(due[0])
      this.t = Math.max(this.t, due[1].at)
      due[1].fn()
    }
    this.t = end
  }
}

function outcome(p: Promise<unknown>): { state: string, value?: unknown } {
  const o: { state: string, value?: unknown } = { state: 'pending' }
  p.then((v) => { o.state = 'resolved'; o.value = v }, (err: unknown) => { o.state = 'rejected'; o.value = err })
  return o
}

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('PendingRequests deadlines', () => {
  it('times every request out at its own deadline with one sweep timer for in-order deadlines', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const a = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'a' }))
    time.advance(10)
    const b = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'b' }))
    // Both in the ordered queue: one timer for the earliest deadline.
    expect(time.armed.size).toBe(1)
    time.advance(89)
    await flush()
    expect([a.state, b.state]).toEqual(['pending', 'pending'])
    time.advance(1)
    await flush()
    expect(a.state).toBe('rejected')
    expect(a.value).toBeInstanceOf(TimeoutError)
    expect(b.state).toBe('pending')
    time.advance(9)
    await flush()
    expect(b.state).toBe('pending')
    time.advance(1)
    await flush()
    expect(b.state).toBe('rejected')
    expect(pending.size).toBe(0)
    expect(time.armed.size).toBe(0)
  })

  it('gives an out-of-order (earlier) deadline a timer of its own, so it is not late', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const long = outcome(pending.add(pending.allocateId(), { timeoutMs: 1000, label: 'long' }))
    const short = outcome(pending.add(pending.allocateId(), { timeoutMs: 50, label: 'short' }))
    expect(time.armed.size).toBe(2)
    time.advance(50)
    await flush()
    expect(short.state).toBe('rejected')
    expect(long.state).toBe('pending')
    time.advance(950)
    await flush()
    expect(long.state).toBe('rejected')
  })

  it('re-arms the sweep for the next deadline after the earliest request is answered', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const first = pending.allocateId()
    const a = outcome(pending.add(first, { timeoutMs: 100, label: 'a' }))
    time.advance(30)
    const b = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'b' }))
    expect(pending.resolve(first, 'ok')).toBe(true)
    time.advance(70) // the sweep armed for a's deadline fires, finds b not due
    await flush()
    expect(a).toEqual({ state: 'resolved', value: 'ok' })
    expect(b.state).toBe('pending')
    time.advance(29)
    await flush()
    expect(b.state).toBe('pending')
    time.advance(1)
    await flush()
    expect(b.state).toBe('rejected')
  })

  it('keeps the sweep armed when nothing is left to time (one late wake-up), and settles each request once', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const id = pending.allocateId()
    const controller = new AbortController()
    const a = outcome(pending.add(id, { timeoutMs: 100, label: 'a', signal: controller.signal }))
    expect(pending.resolve(id, 1)).toBe(true)
    expect(time.armed.size).toBe(1)
    controller.abort()
    expect(pending.reject(id, new Error('late'))).toBe(false)
    time.advance(200)
    await flush()
    expect(a).toEqual({ state: 'resolved', value: 1 })
    expect(time.armed.size).toBe(0)
  })

  it('re-arms a kept sweep for a new request due before it, so that request is not late', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const first = pending.allocateId()
    pending.add(first, { timeoutMs: 1_000, label: 'long' }).catch(() => {})
    expect(pending.resolve(first, 'ok')).toBe(true)
    const short = outcome(pending.add(pending.allocateId(), { timeoutMs: 50, label: 'short' }))
    expect(time.armed.size).toBe(1)
    time.advance(49)
    await flush()
    expect(short.state).toBe('pending')
    time.advance(1)
    await flush()
    expect(short.state).toBe('rejected')
  })

  it('rejectAll drops the sweep', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const a = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'a' }))
    pending.rejectAll(new Error('closed'))
    await flush()
    expect(a.state).toBe('rejected')
    expect(time.armed.size).toBe(0)
  })

  it('rejects on abort and on rejectAll', async () => {
    const time = new FakeTime()
    const pending = new PendingRequests(time, time)
    const controller = new AbortController()
    const a = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'a', signal: controller.signal }))
    const b = outcome(pending.add(pending.allocateId(), { timeoutMs: 100, label: 'b' }))
    controller.abort()
    await flush()
    expect(a.value).toBeInstanceOf(AbortedError)
    pending.rejectAll(new Error('closed'))
    await flush()
    expect(b.state).toBe('rejected')
    expect((b.value as Error).message).toBe('closed')
    expect(pending.size).toBe(0)
    expect(time.armed.size).toBe(0)
  })
})

describe('PendingRequests onIdle', () => {
  it('is called each time the last pending request settles, whether answered, timed out, aborted or rejected', async () => {
    const time = new FakeTime()
    let idle = 0
    const pending = new PendingRequests(time, time, () => { idle++ })
    const a = pending.allocateId()
    const pa = pending.add(a, { timeoutMs: 100, label: 'a' })
    const b = pending.allocateId()
    const pb = pending.add(b, { timeoutMs: 50, label: 'b' })
    expect(pending.resolve(a, 'x')).toBe(true)
    expect(idle).toBe(0)
    time.advance(50)
    await expect(pb).rejects.toBeInstanceOf(TimeoutError)
    expect(await pa).toBe('x')
    expect(idle).toBe(1)
    const controller = new AbortController()
    const pc = pending.add(pending.allocateId(), { timeoutMs: 100, label: 'c', signal: controller.signal })
    controller.abort()
    await expect(pc).rejects.toBeInstanceOf(AbortedError)
    expect(idle).toBe(2)
    const pd = pending.add(pending.allocateId(), { timeoutMs: 100, label: 'd' })
    pending.rejectAll(new Error('closed'))
    await expect(pd).rejects.toThrow('closed')
    expect(idle).toBe(3)
    // A reply to nothing pending settles nothing.
    expect(pending.resolve(99, 'late')).toBe(false)
    expect(idle).toBe(3)
  })
})
