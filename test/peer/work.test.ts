// Tasks and actors on real peers: libp2p on 127.0.0.1, the real lease
// protocol placing partitions, real stores, real HTTP.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineActor } from '../../src/actors/index.js'
import { createTestCluster, defineAction, defineApp, type Peer, type TestCluster } from '../../src/index.js'
import { TroupeError } from '../../src/errors.js'
import { defineTask } from '../../src/tasks/index.js'
import { fuzzRuns } from '../helpers/fuzz.js'
import { waitFor } from '../helpers/wait.js'

/** Every run of the "any" task, seen from outside the peers: [taskId, peerId]. */
const runs: Array<[string, string]> = []
/** Every peer that ran each "all" task. */
const allRuns: Array<[string, string]> = []

const counter = defineActor({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  handlers: {
    add: (ctx, by: unknown) => { ctx.state.n += Number(by); return ctx.state.n },
    get: ctx => ctx.state.n,
  },
})

const bump = defineTask({
  name: 'bump',
  scope: 'any',
  input: z.object({ key: z.string() }),
  run: async (ctx, input) => {
    runs.push([ctx.taskId, ctx.peer.id])
    await ctx.actors.tell(`counter/${input.key}`, 'add', 1)
  },
})

const everywhere = defineTask({
  name: 'everywhere',
  scope: 'all',
  input: z.object({}),
  run: ctx => { allRuns.push([ctx.taskId, ctx.peer.id]) },
})

const add = defineAction({
  name: 'add',
  input: z.object({ key: z.string(), by: z.number().int() }),
  run: (ctx, input) => ctx.actors.ask(`counter/${input.key}`, 'add', input.by),
})

const later = defineAction({
  name: 'later',
  input: z.object({ key: z.string() }),
  run: async (ctx, input) => ({ id: await ctx.tasks.enqueue('bump', { key: input.key }) }),
})

/** Handlers that throw what a record could not hold or a failure path could not describe. */
const circular: Record<string, unknown> = { a: 1 }
circular.self = circular
const throwers = {
  loud: () => new Error('x'.repeat(3_000_000)),
  odd: () => ({ toString: 1, valueOf: 1 }),
  looped: () => new TroupeError('looped', { code: 'E_LOOP', details: circular }),
  bulky: () => new TroupeError('bulky', { code: 'E_BULK', details: { blob: 'y'.repeat(10_000) } }),
  small: () => new TroupeError('small', { code: 'E_SMALL', details: { n: 1 } }),
}
const throwing = Object.entries(throwers).map(([name, thrown]) => defineTask({ name, scope: 'any', input: z.object({}), retry: { attempts: 2, backoffMs: 1 }, run: () => { throw thrown() } }))

/** Holds a bigint, which msgpack carries and JSON cannot. */
const big = defineTask({ name: 'big', scope: 'any', input: z.object({ n: z.bigint() }), run: () => {} })

const app = defineApp({ name: 'work-test', actions: [add, later], tasks: [bump, everywhere, big, ...throwing], actors: [counter] })

let cluster: TestCluster
let peers: readonly Peer[]

// Formed (3 members, 3 voters, every partition held) and placement settled:
// the counts below measure a cluster where nothing moves.
beforeAll(async () => {
  cluster = await createTestCluster({ peers: 3, app })
  peers = cluster.peers
}, 60_000)

afterAll(async () => {
  await cluster?.close()
})

async function post(peer: Peer, path: string, body: unknown): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${peer.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: await res.json() }
}

describe('actors and tasks across real peers', () => {
  it('actions on different peers change the same actor consistently', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(peers[i % 3]!, '/api/add', { key: 'shared', by: 1 })))
    expect(results.every(r => r.status === 200)).toBe(true)
    // Each ask saw a distinct count: turns were serialized on one activation.
    expect(new Set(results.map(r => r.json)).size).toBe(30)
    expect(await peers[2]!.actors.ask('counter/shared', 'get')).toBe(30)
  })

  it('"any" tasks enqueued across peers each run exactly once, and message an actor', async () => {
    const ids: string[] = []
    for (let i = 0; i < 60; i++) {
      const { status, json } = await post(peers[i % 3]!, '/api/later', { key: 'tasks' })
      expect(status).toBe(200)
      ids.push((json as { id: string }).id)
    }
    await waitFor('60 task runs', () => ids.every(id => peers[0]!.tasks.get(id)?.state === 'done'), 20_000)
    const ran = runs.filter(([id]) => ids.includes(id))
    expect(ran).toHaveLength(60)
    expect(new Set(ran.map(([id]) => id)).size).toBe(60)
    await waitFor('the counter to reach 60', async () => (await peers[1]!.actors.ask('counter/tasks', 'get')) === 60)
  })

  it('an "all" task runs once on every peer', async () => {
    const id = await peers[1]!.tasks.enqueue('everywhere', {})
    await waitFor('all 3 peers to run it', () => allRuns.filter(([t]) => t === id).length === 3, 15_000)
    expect(new Set(allRuns.filter(([t]) => t === id).map(([, p]) => p))).toEqual(new Set(peers.map(p => p.id)))
  })

  it('a message scheduled for an actor is delivered once, no earlier than asked', async () => {
    const start = Date.now()
    const id = await peers[0]!.actors.schedule('counter/later', 'add', 7, { delayMs: 600 })
    await waitFor('the scheduled delivery to finish', () => peers[2]!.tasks.get(id)?.state === 'done', 15_000)
    expect(peers[2]!.tasks.get(id)!.attempts[0]!.startedAt - start).toBeGreaterThanOrEqual(590)
    expect(await peers[1]!.actors.ask('counter/later', 'get')).toBe(7)
  })

  it('task control over HTTP: enqueue, show, refuse bad input', async () => {
    const created = await post(peers[2]!, '/tasks', { name: 'bump', input: { key: 'http' } })
    expect(created.status).toBe(202)
    const id = (created.json as { id: string }).id
    await waitFor('the task to finish', async () => {
      const res = await fetch(`${peers[0]!.httpUrl}/tasks/${id}`)
      return res.status === 200 && ((await res.json()) as { state: string }).state === 'done'
    })
    const bad = await post(peers[0]!, '/tasks', { name: 'bump', input: { key: 42 } })
    expect(bad.status).toBe(422)
    expect((bad.json as { error: { fields: Array<{ path: string[] }> } }).error.fields[0]!.path).toEqual(['key'])
    const unknown = await post(peers[0]!, '/tasks', { name: 'nope', input: {} })
    expect(unknown.status).toBe(404)
    // POST /tasks/pause and /tasks/resume share one parameter route: any other verb there is no route, and a GET
    // of /tasks/pause asks for a task of that id.
    const verb = await post(peers[0]!, `/tasks/${id}`, {})
    expect(verb).toMatchObject({ status: 404, json: { error: { name: 'NotFoundError', message: 'no such route' } } })
    const byId = await fetch(`${peers[0]!.httpUrl}/tasks/pause`)
    expect({ status: byId.status, json: await byId.json() }).toMatchObject({ status: 404, json: { error: { name: 'TaskNotFoundError' } } })
    const paused = await post(peers[0]!, '/tasks/pause', {})
    expect(paused).toEqual({ status: 200, json: { paused: true } })
    expect(await post(peers[0]!, '/tasks/resume', {})).toEqual({ status: 200, json: { paused: false } })
  })

  it("a peer's routes fit Hono's RegExpRouter: one route it cannot hold would send every action through the slower TrieRouter", async () => {
    const router = (peers[0]!.http as unknown as { router: { activeRouter: { name: string } } }).router
    expect((await fetch(`${peers[0]!.httpUrl}/health`)).status).toBe(200)
    expect(router.activeRouter.name).toBe('RegExpRouter')
  })

  it('task batches over HTTP: an array is one enqueueMany; a bad item is named and nothing is stored', async () => {
    const batch = await post(peers[1]!, '/tasks', [{ name: 'bump', input: { key: 'batch' } }, { name: 'bump', input: { key: 'batch' }, idempotencyKey: 'b-1' }, { name: 'bump', input: { key: 'batch' }, idempotencyKey: 'b-1' }])
    expect(batch.status).toBe(202)
    const ids = (batch.json as { ids: string[] }).ids
    expect(ids).toHaveLength(3)
    expect(ids[1]).toBe(ids[2])
    await waitFor('the batch to finish', () => ids.every(id => peers[0]!.tasks.get(id)?.state === 'done'))
    const bad = await post(peers[0]!, '/tasks', [{ name: 'bump', input: { key: 'ok' }, idempotencyKey: 'b-2' }, { name: 'bump', input: { key: 7 } }, 'x'])
    expect(bad.status).toBe(422)
    expect((bad.json as { error: { fields: Array<{ path: unknown[] }> } }).error.fields.map(f => f.path)).toEqual([[1, 'input', 'key'], [2]])
    expect(peers[0]!.tasks.list({ limit: 1000 }).filter(r => r.idempotencyKey === 'b-2')).toEqual([])
  })

  it('POST /tasks names every field it would not honour, reads its body within a limit, and stores nothing it refused', async () => {
    const fieldsOf = (r: { json: unknown }): Array<{ path: unknown[], message: string }> => (r.json as { error: { fields: Array<{ path: unknown[], message: string }> } }).error.fields
    const stored = (key: string): number => peers[0]!.tasks.list({ limit: 1000 }).filter(r => r.idempotencyKey === key).length
    // An option of the wrong type was once dropped: a delay given as a string ran the task at once.
    const typed = await post(peers[0]!, '/tasks', { name: 'bump', input: { key: 'strict' }, delayMs: '60000', idempotencyKey: 's-1' })
    expect(typed.status).toBe(422)
    expect(fieldsOf(typed).map(f => f.path)).toEqual([['delayMs']])
    const typo = await post(peers[0]!, '/tasks', { name: 'bump', input: { key: 'strict' }, delay: 60_000, idempotencyKey: 's-1' })
    expect(typo.status).toBe(422)
    expect(fieldsOf(typo)[0]).toMatchObject({ path: ['delay'], message: expect.stringContaining('delayMs') as unknown })
    const nested = await post(peers[0]!, '/tasks', { name: 'bump', input: { key: 'strict' }, options: { delayMs: 60_000 }, idempotencyKey: 's-1' })
    expect(fieldsOf(nested)[0]).toMatchObject({ path: ['options'], message: expect.stringContaining('beside name and input') as unknown })
    const batch = await post(peers[0]!, '/tasks', [{ name: 'bump', input: { key: 'strict' }, idempotencyKey: 's-2' }, { name: 'bump', input: { key: 'strict' }, priority: 'high' }])
    expect(batch.status).toBe(422)
    expect(fieldsOf(batch).map(f => f.path)).toEqual([[1, 'priority']])
    expect(stored('s-1') + stored('s-2')).toBe(0)
    // An explicit null input is the schema's to judge, not read as {}.
    const nullInput = await post(peers[0]!, '/tasks', { name: 'everywhere', input: null, idempotencyKey: 's-3' })
    expect(nullInput.status).toBe(422)
    expect(stored('s-3')).toBe(0)
    // taskTimeoutMs reaches the record.
    const timed = await post(peers[0]!, '/tasks', { name: 'bump', input: { key: 'strict' }, taskTimeoutMs: 4_321, delayMs: 3_600_000 })
    expect(timed.status).toBe(202)
    expect(peers[0]!.tasks.get((timed.json as { id: string }).id)?.timeoutMs).toBe(4_321)
    // The body is read as an action's: malformed JSON is a 400, and a body past TASKS_BODY_BYTES_MAX a 413 before it is all read.
    const malformed = await fetch(`${peers[0]!.httpUrl}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' })
    expect(malformed.status).toBe(400)
    const huge = await fetch(`${peers[0]!.httpUrl}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bump', input: { key: 'x'.repeat(5 * 1024 * 1024) } }) })
    expect(huge.status).toBe(413)
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('ERR_PAYLOAD_TOO_LARGE')
    expect((await fetch(`${peers[0]!.httpUrl}/health`)).status).toBe(200)
    for (const query of ['limit=abc', 'limit=0', 'limit=1.5', 'limit=', 'state=asleep']) {
      const res = await fetch(`${peers[0]!.httpUrl}/tasks?${query}`)
      expect({ status: res.status, path: ((await res.json()) as { error: { fields: Array<{ path: string[] }> } }).error.fields[0]!.path }).toEqual({ status: 422, path: [query.split('=')[0]] })
    }
    // An id longer than any task id is not echoed whole.
    const long = await post(peers[0]!, `/tasks/${'x'.repeat(5_000)}/cancel`, {})
    expect(long).toMatchObject({ status: 404, json: { error: { name: 'TaskNotFoundError', message: `no task with id ${'x'.repeat(128 - '… (5000 characters)'.length)}… (5000 characters)` } } })
    const capped = await fetch(`${peers[0]!.httpUrl}/tasks?limit=5000`)
    expect(capped.status).toBe(200)
  })

  it('POST /tasks answers any JSON body with a named status, never a 500, and keeps answering', async () => {
    const json = fc.jsonValue({ maxDepth: 3 })
    const field = fc.constantFrom('name', 'input', 'delayMs', 'runAt', 'idempotencyKey', 'priority', 'taskTimeoutMs', 'options', 'delay', '__proto__', 'constructor')
    const task = fc.record({ name: fc.constantFrom('bump', 'big', 'everywhere', 'nope'), input: fc.oneof(json, fc.record({ key: fc.string() })) })
      .chain(t => fc.dictionary(field, fc.oneof(json, fc.constant(3_600_000)), { maxKeys: 4 }).map(extra => ({ ...t, ...extra })))
    const body = fc.oneof(json, task, fc.array(fc.oneof(task, json), { maxLength: 4 }))
    const seen = new Set<number>()
    await fc.assert(fc.asyncProperty(body, async (b) => {
      // Anything that would run is pushed an hour out, so the property only stores records.
      const later = (x: unknown): unknown => typeof x === 'object' && x !== null && !Array.isArray(x) && !('runAt' in x) ? { delayMs: 3_600_000, ...x } : x
      const delayed = Array.isArray(b) ? b.map(later) : later(b)
      const res = await post(peers[0]!, '/tasks', delayed)
      seen.add(res.status)
      expect([202, 400, 404, 422]).toContain(res.status)
      if (res.status !== 202) expect((res.json as { error: { name: string, message: string } }).error.message.length).toBeGreaterThan(0)
    }), { numRuns: fuzzRuns({ bodies: 60 }).bodies })
    expect(seen.has(422)).toBe(true)
    expect((await fetch(`${peers[0]!.httpUrl}/health`)).status).toBe(200)
  })

  it('a failed task stores a bounded, describable error, and every peer gets the same failed record', async () => {
    const ids = Object.fromEntries(await Promise.all(Object.keys(throwers).map(async name => [name, await peers[0]!.tasks.enqueue(name, {})] as const)))
    await waitFor('every thrower failed on every peer', () => Object.values(ids).every(id => peers.every(p => p.tasks.get(id)?.state === 'failed')), 15_000)
    for (const p of peers) {
      const error = (name: string): Record<string, unknown> => p.tasks.get(ids[name]!)!.error as unknown as Record<string, unknown>
      expect(p.tasks.get(ids.loud!)!.attempts).toHaveLength(2)
      expect((error('loud').message as string).length).toBeLessThanOrEqual(1_024)
      expect(error('loud').message).toMatch(/^x+… \(3000000 characters\)$/)
      expect(error('odd')).toMatchObject({ name: 'Error', message: 'a thrown object' })
      expect(error('looped')).toMatchObject({ code: 'E_LOOP', details: { dropped: expect.stringMatching(/^details msgpack cannot encode/) as unknown } })
      expect(error('bulky')).toMatchObject({ code: 'E_BULK', details: { dropped: expect.stringMatching(/^\d+ bytes of details, over TASK_ERROR_DETAILS_BYTES_MAX/) as unknown } })
      expect(error('small')).toMatchObject({ code: 'E_SMALL', details: { n: 1 } })
    }
  })

  it('task records whose input holds a bigint are shown over HTTP, the bigint as a string, on every peer', async () => {
    const id = await peers[0]!.tasks.enqueue('big', { n: 2n ** 60n }, { delayMs: 3_600_000 })
    await waitFor('the task on every peer', () => peers.every(p => p.tasks.get(id) !== undefined))
    for (const p of peers) {
      const one = await fetch(`${p.httpUrl}/tasks/${id}`)
      expect(one.status).toBe(200)
      expect(((await one.json()) as { input: unknown }).input).toEqual({ n: '1152921504606846976' })
      const listed = await fetch(`${p.httpUrl}/tasks?name=big`)
      expect(listed.status).toBe(200)
      expect(((await listed.json()) as { tasks: Array<{ id: string }> }).tasks.map(t => t.id)).toContain(id)
    }
    const cancelled = await post(peers[1]!, `/tasks/${id}/cancel`, {})
    expect(cancelled).toMatchObject({ status: 200, json: { id, state: 'cancelled', input: { n: '1152921504606846976' } } })
    expect((await fetch(`${peers[2]!.httpUrl}/dashboard/state`)).status).toBe(200)
  })
})
