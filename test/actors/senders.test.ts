// An actor's ctx has the same senders as actions and tasks: it enqueues tasks
// (`ctx.tasks`) and schedules messages to other actors (`ctx.actors.schedule`),
// across a real 3-peer cluster.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestCluster, defineActor, defineApp, defineTask, type TestCluster } from '../../src/index.js'
import { waitFor } from '../helpers/wait.js'

const ran: Array<{ id: string, from: string }> = []

const note = defineTask({
  name: 'note',
  scope: 'any',
  input: z.object({ from: z.string() }),
  run: (ctx, input) => { ran.push({ id: ctx.taskId, from: input.from }) },
})

const inbox = defineActor({
  type: 'inbox',
  initialState: () => ({ got: [] as string[] }),
  handlers: {
    put: (ctx, text: string) => { ctx.state.got.push(text) },
    list: ctx => ctx.state.got,
  },
})

const planner = defineActor({
  type: 'planner',
  initialState: () => ({}),
  handlers: {
    /** Enqueues a task from inside a turn; answers with its id. */
    enqueue: ctx => ctx.tasks.enqueue('note', { from: ctx.address }),
    /** Schedules a message to an inbox, due `ms` from now; answers with the delivery task's id. */
    remind: (ctx, m: { to: string, text: string, ms: number }) => ctx.actors.schedule(m.to, 'put', m.text, { delayMs: m.ms }),
  },
})

let cluster: TestCluster

beforeAll(async () => {
  cluster = await createTestCluster({ peers: 3, app: defineApp({ name: 'senders', tasks: [note], actors: [inbox, planner] }) })
}, 60_000)

afterAll(async () => {
  await cluster?.close()
})

describe('an actor sends to tasks and schedules messages', () => {
  it('enqueues a task from a turn; the task runs once', async () => {
    const id = await cluster.ask<string>('planner/a', 'enqueue', undefined, { peer: 1 })
    const record = await cluster.awaitTask(id, { peer: 2 })
    expect(record.state).toBe('done')
    expect(ran.filter(r => r.id === id)).toEqual([{ id, from: 'planner/a' }])
  })

  it('schedules a message to another actor; it arrives after the delay, not before', async () => {
    const id = await cluster.ask<string>('planner/b', 'remind', { to: 'inbox/b', text: 'later', ms: 800 }, { peer: 0 })
    expect(typeof id).toBe('string')
    expect(await cluster.ask('inbox/b', 'list', undefined, { peer: 2 })).toEqual([])
    await waitFor('the scheduled message to arrive', async () => (await cluster.ask<string[]>('inbox/b', 'list', undefined, { peer: 1 })).length === 1, 20_000, 100)
    expect(await cluster.ask('inbox/b', 'list')).toEqual(['later'])
  })
})
