// What a peer does with actor bodies from the wire: every field is checked,
// a non-holder answers with a hint, and state copies only move forward.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CATCH_UP_PAGE_MAX, CHANNEL_DELIVER, CHANNEL_STATE_GET, CHANNEL_STATE_LIST, CHANNEL_STATE_PUT, WIRE_VERSION } from '../../src/actors/constants.js'
import { parseStateListReply } from '../../src/actors/wire.js'
import { encodeValue } from '../../src/wire/codec.js'
import type { MemoryMessenger } from '../../src/wire/memory-messenger.js'
import { ActorCluster } from './harness.js'
import { counterActor, newEvents } from './counter.js'

let cluster: ActorCluster
let rogue: MemoryMessenger

beforeEach(async () => {
  const events = newEvents()
  cluster = await ActorCluster.start({ definitions: peer => [counterActor(peer, events)] })
  rogue = cluster.net.messenger('rogue', { logger: { warn: () => {}, debug: () => {} } })
  await rogue.start()
})

afterEach(async () => {
  await rogue.stop()
  await cluster.close()
})

let ids = 0
const deliver = (a: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ v: WIRE_VERSION, a, h: 'add', m: encodeValue(1), q: `rogue.${ids++}`, ...extra })

describe('actors.deliver from the wire', () => {
  it('runs a well-formed ask and answers with the result', async () => {
    const address = cluster.addressOn('a', 'counter')
    expect(await rogue.request('a', CHANNEL_DELIVER, deliver(address, { t: 1000 }))).toEqual({ r: 1 })
    expect(await rogue.request('a', CHANNEL_DELIVER, deliver(address))).toEqual({ ok: 1 })
  })

  it('applies a message once however often it is re-sent, answering re-sends from the record', async () => {
    const address = cluster.addressOn('a', 'counter')
    const body = deliver(address, { t: 1000, q: 'rogue.same' })
    expect(await rogue.request('a', CHANNEL_DELIVER, body)).toEqual({ r: 1 })
    expect(await rogue.request('a', CHANNEL_DELIVER, body)).toEqual({ r: 1 })
    expect(await rogue.request('a', CHANNEL_DELIVER, { ...body, t: undefined })).toEqual({ ok: 1 })
    expect(await rogue.request('a', CHANNEL_DELIVER, deliver(address, { t: 1000 }))).toEqual({ r: 2 })
  })

  it('answers "not the holder" with a hint for a partition it does not hold', async () => {
    const address = cluster.addressOn('b', 'counter')
    expect(await rogue.request('a', CHANNEL_DELIVER, deliver(address, { t: 1000 }))).toEqual({ nh: 1, hint: 'b' })
  })

  it.each([
    ['a wrong version', { v: 99 }],
    ['a bad address', { a: 'nope' }],
    ['a bad handler name', { h: 'not a name' }],
    ['a message that is not bytes', { m: 1 }],
    ['an oversized message', { m: new Uint8Array(1024 * 1024 + 1) }],
    ['a bad wait time', { t: -5 }],
    ['a missing message id', { q: undefined }],
    ['an oversized message id', { q: 'x'.repeat(129) }],
  ])('refuses %s with ProtocolError', async (_what, patch) => {
    const address = cluster.addressOn('a', 'counter')
    await expect(rogue.request('a', CHANNEL_DELIVER, { ...deliver(address), ...patch })).rejects.toMatchObject({ name: 'ProtocolError' })
  })

  it('refuses unknown types and handlers by name', async () => {
    await expect(rogue.request('a', CHANNEL_DELIVER, deliver('ghost/1'))).rejects.toMatchObject({ name: 'UnknownActorError' })
    await expect(rogue.request('a', CHANNEL_DELIVER, deliver(cluster.addressOn('a', 'counter'), { h: 'nope' }))).rejects.toMatchObject({ name: 'UnknownHandlerError' })
  })

  it('answers a message that is not msgpack with a named error, and keeps serving', async () => {
    const address = cluster.addressOn('a', 'counter')
    await expect(rogue.request('a', CHANNEL_DELIVER, deliver(address, { m: new Uint8Array([0x92, 0x01]), t: 1000 }))).rejects.toMatchObject({ name: 'ProtocolError' })
    expect(await rogue.request('a', CHANNEL_DELIVER, deliver(address, { t: 1000 }))).toEqual({ r: 1 })
  })
})

describe('state copies from the wire', () => {
  const record = (v: number, f = '1:1'): Record<string, unknown> => ({ v, f, s: encodeValue({ n: v, seen: [] }) })

  it('keeps the newest version and serves it back', async () => {
    const a = 'counter/copied'
    await rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a, r: record(5) })
    await rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a, r: record(3) })
    const got = await rogue.request('c', CHANNEL_STATE_GET, { v: WIRE_VERSION, a }) as { r: { v: number } }
    expect(got.r.v).toBe(5)
    expect(await rogue.request('c', CHANNEL_STATE_GET, { v: WIRE_VERSION, a: 'counter/none' })).toEqual({})
  })

  it('a record from a later tenure (fence) wins over any version of an earlier one', async () => {
    const a = 'counter/tenure'
    await rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a, r: record(2, '1:2') })
    await rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a, r: record(9, '1:1') })
    const got = await rogue.request('c', CHANNEL_STATE_GET, { v: WIRE_VERSION, a }) as { r: { v: number, f: string } }
    expect(got.r).toMatchObject({ v: 2, f: '1:2' })
  })

  it.each([
    ['a zero version', { v: 0 }],
    ['a missing fence', { f: 7 }],
    ['an oversized state', { s: new Uint8Array(1024 * 1024 + 1) }],
  ])('refuses %s', async (_what, patch) => {
    await expect(rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a: 'counter/x', r: { ...record(1), ...patch } })).rejects.toMatchObject({ name: 'ProtocolError' })
  })
})

describe('listing state copies (a new voter catching up)', () => {
  const record = (v: number): Record<string, unknown> => ({ v, f: '1:1', s: encodeValue({ n: v, seen: [] }) })

  it('pages through every saved state in address order, whatever its size', async () => {
    const n = CATCH_UP_PAGE_MAX + 10
    for (let i = 0; i < n; i++) await rogue.request('c', CHANNEL_STATE_PUT, { v: WIRE_VERSION, a: `counter/l${String(i).padStart(4, '0')}`, r: record(i + 1) })
    const seen: string[] = []
    let after: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const reply = await rogue.request('c', CHANNEL_STATE_LIST, after === undefined ? { v: WIRE_VERSION } : { v: WIRE_VERSION, after })
      const page = parseStateListReply(reply, 1024 * 1024)
      seen.push(...page.items.map(([a]) => a))
      if (!page.more) break
      after = seen[seen.length - 1]
    }
    const listed = seen.filter(a => a.startsWith('counter/l'))
    expect(listed).toHaveLength(n)
    expect(listed).toEqual([...listed].sort())
  })

  it.each([
    ['a request with a bad cursor', { v: WIRE_VERSION, after: 7 }],
    ['a request of another version', { v: WIRE_VERSION + 1 }],
  ])('refuses %s', async (_what, body) => {
    await expect(rogue.request('c', CHANNEL_STATE_LIST, body)).rejects.toMatchObject({ name: 'ProtocolError' })
  })

  it.each([
    ['items that are not a list', { items: 1, more: false }],
    ['a page over the limit', { items: Array.from({ length: CATCH_UP_PAGE_MAX + 1 }, () => ['counter/x', record(1)]), more: true }],
    ['a bad address', { items: [['no-slash', record(1)]], more: false }],
    ['a bad record', { items: [['counter/x', { ...record(1), v: -1 }]], more: false }],
    ['a missing more', { items: [] }],
  ])('a reply with %s is refused', (_what, reply) => {
    expect(() => parseStateListReply(reply, 1024 * 1024)).toThrow(expect.objectContaining({ name: 'ProtocolError' }))
  })
})
