// createTestCluster on the default app (actors/): three real peers in this
// process, real libp2p and HTTP on 127.0.0.1. Every helper is checked against
// what a client sees: actions over HTTP, a task's final record, actor answers,
// and a stopped peer leaving while the others keep answering.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadApp } from '../../src/app/load.js'
import { ActionCallError, createTestCluster, type TestCluster } from '../../src/index.js'
import { UnavailableError } from '../../src/errors.js'

let cluster: TestCluster

beforeAll(async () => {
  cluster = await createTestCluster({ peers: 3, app: await loadApp('actors') })
}, 60_000)

afterAll(async () => {
  await cluster?.close()
})

describe('createTestCluster, 3 peers of the default app', () => {
  it('is formed when it resolves: every peer sees 3 members alive and 3 voters, over real HTTP', async () => {
    expect(cluster.peers).toHaveLength(3)
    for (const peer of cluster.peers) {
      expect(peer.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const status = await (await fetch(`${peer.httpUrl}/status`)).json() as { members: Array<{ state: string }>, leases: { voters: string[] } }
      expect(status.members.filter(m => m.state === 'alive')).toHaveLength(3)
      expect(status.leases.voters).toHaveLength(3)
    }
  })

  it('runs an action on the peer asked, and reports an error status as ActionCallError', async () => {
    const answer = await cluster.action<{ greeting: string, peer: string }>('hello', { name: 'ann' }, { peer: 2 })
    expect(answer).toEqual({ greeting: 'hello, ann', peer: cluster.peers[2]!.id })
    expect(await cluster.action('add', { a: 2, b: 3 })).toEqual({ sum: 5 })
    const refused = await cluster.action('add', { a: 'x' }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(ActionCallError)
    expect(refused).toMatchObject({ status: 422, code: 'ERR_VALIDATION', action: 'add' })
    expect((refused as ActionCallError).body.fields?.map(f => f.path)).toContainEqual(['a'])
    await expect(cluster.action('nope')).rejects.toMatchObject({ status: 404 })
  })

  it('runs a task to completion and resolves with its final record; the task changed an actor', async () => {
    const record = await cluster.runTask('tally', { key: 'runs', by: 5 }, { peer: 1 })
    expect(record).toMatchObject({ name: 'tally', state: 'done', input: { key: 'runs', by: 5 } })
    expect(record.attempts.at(-1)?.outcome).toBe('ok')
    expect(cluster.peers.map(p => p.id)).toContain(record.attempts.at(-1)?.peer)
    expect(await cluster.ask('counter/runs', 'get', undefined, { peer: 0 })).toBe(5)
  })

  it('awaits a task an action enqueued', async () => {
    const { task } = await cluster.action<{ task: string }>('tally', { key: 'later', by: 2 }, { peer: 0 })
    const record = await cluster.awaitTask(task, { peer: 2 })
    expect(record.state).toBe('done')
    expect(await cluster.action('counter', { key: 'later' }, { peer: 1 })).toEqual({ key: 'later', count: 2 })
  })

  it('asks and tells actors from any peer: one activation answers them all', async () => {
    expect(await cluster.ask('counter/shared', 'add', 1, { peer: 0 })).toBe(1)
    await cluster.tell('counter/shared', 'add', 10, { peer: 1 })
    expect(await cluster.ask('counter/shared', 'add', 100, { peer: 2 })).toBe(111)
    expect(await cluster.ask('room/testing', 'post', { from: 'ann', text: 'hi', at: 'now' })).toBe(1)
    expect(await cluster.ask('room/testing', 'read', undefined, { peer: 2 })).toEqual([{ from: 'ann', text: 'hi', at: 'now' }])
  })

  it('a stopped peer leaves; the other two settle and still answer actions, tasks and actors', async () => {
    const gone = cluster.peers[1]!
    await cluster.stop(1)
    expect(cluster.running).toEqual([cluster.peers[0], cluster.peers[2]])
    expect(cluster.peers[0]!.members().find(m => m.id === gone.id)?.state).toBe('left')
    expect(() => cluster.peer(1)).toThrow(UnavailableError)
    await expect(cluster.action('hello', {}, { peer: 1 })).rejects.toThrow(/stopped/)
    await cluster.ready()
    for (const peer of cluster.running) expect(peer.leases.status().voters).not.toContain(gone.id)
    expect(await cluster.action('hello', { name: 'bob' }, { peer: 2 })).toMatchObject({ peer: cluster.peers[2]!.id })
    expect(await cluster.ask('counter/shared', 'get', undefined, { peer: 2 })).toBe(111)
    expect((await cluster.runTask('tally', { key: 'runs', by: 1 }, { peer: 2 })).state).toBe('done')
    expect(await cluster.ask('counter/runs', 'get')).toBe(6)
  })
})
