// Request ids: a per-incarnation random prefix and a counter.
import { describe, expect, it } from 'vitest'
import { REQUEST_ID_PATTERN } from '../../src/http/constants.js'
import { idGenerator } from '../../src/http/ids.js'
import { createHttpApp } from '../../src/http/index.js'

describe('idGenerator', () => {
  it('gives distinct ids a client could send back, and another prefix per incarnation', () => {
    const a = idGenerator()
    const ids = Array.from({ length: 10_000 }, a)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids.slice(0, 50)) expect(id).toMatch(REQUEST_ID_PATTERN)
    const prefix = (id: string): string => id.slice(0, id.indexOf('-'))
    expect(prefix(idGenerator()())).not.toBe(prefix(ids[0]!))
  })

  it('takes the prefix from the injected random source', () => {
    const next = idGenerator(n => new Uint8Array(n).fill(0xab))
    expect([next(), next()]).toEqual(['abababababab-0', 'abababababab-1'])
  })

  it('is what an app answers with when the client sent no id', async () => {
    const app = createHttpApp({ actions: [], peer: { id: 'p' }, version: '0', status: () => ({}) })
    const first = (await app.request('/status')).headers.get('x-request-id')
    const second = (await app.request('/status')).headers.get('x-request-id')
    expect(first).toMatch(/^[0-9a-f]{12}-0$/)
    expect(second).toMatch(/^[0-9a-f]{12}-1$/)
  })
})
