// A real peer serves its operator routes: metrics, the OpenAPI document, the docs page.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createPeer, defineAction, defineApp, type Peer } from '../../src/index.js'
import { silentLogger } from '../../src/util/logger.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

let peer: Peer
let removeDir: () => Promise<void>

beforeAll(async () => {
  const dir = await tempDir()
  removeDir = dir.remove
  const echo = defineAction({ name: 'echo', input: z.object({ text: z.string() }), run: (_ctx, input) => ({ text: input.text }) })
  peer = await createPeer({ app: defineApp({ name: 'ops-test', actions: [echo] }), listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0 }, dataDir: dir.path, logger: silentLogger })
})

afterAll(async () => {
  await peer.stop()
  await removeDir()
})

describe('operator routes on a peer', () => {
  it('/metrics counts action requests and members', async () => {
    for (let i = 0; i < 3; i++) await fetch(`${peer.httpUrl}/api/echo?text=hi`)
    const text = await (await fetch(`${peer.httpUrl}/metrics`)).text()
    const line = text.split('\n').find(l => l.startsWith('troupe_http_request_duration_seconds_count') && l.includes('action="echo"') && l.includes('status="200"'))
    expect(line).toBeDefined()
    expect(Number(line!.split(' ').pop())).toBe(3)
    expect(text).toMatch(/troupe_members\{state="alive"\} 1/)
  })

  it('/metrics counts wire frames once another peer talks to this one', async () => {
    const dir = await tempDir()
    const other = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: false, dataDir: dir.path, logger: silentLogger, seeds: [peer.multiaddrs[0]!] })
    try {
      await waitFor('the second peer to be seen', () => peer.members().some(m => m.id === other.id && m.state === 'alive'))
      const text = await (await fetch(`${peer.httpUrl}/metrics`)).text()
      for (const direction of ['in', 'out']) {
        const line = text.split('\n').find(l => l.startsWith(`troupe_wire_frames_total{direction="${direction}"}`))
        expect(Number(line?.split(' ').pop())).toBeGreaterThan(0)
      }
    } finally {
      await other.stop()
      await dir.remove()
    }
  })

  it('/openapi.json documents the actions, /docs shows them', async () => {
    const doc = await (await fetch(`${peer.httpUrl}/openapi.json`)).json() as { openapi: string, paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\.1/)
    expect(Object.keys(doc.paths)).toContain('/api/echo')
    const page = await fetch(`${peer.httpUrl}/docs`)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('echo')
  })
})
