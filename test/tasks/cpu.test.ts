// `cpu: true` tasks run in worker threads: a peer started through the CLI
// keeps answering HTTP while a handler spins, a handler that ignores its signal
// loses its thread and the pool carries on, errors and cancellation cross the
// thread boundary, and handlers reach the peer's senders from the worker.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPeer, defineApp, defineTask, type Peer } from '../../src/index.js'
import { silentLogger } from '../../src/util/logger.js'
import { CliPeers, type CliPeer } from '../helpers/cli-peers.js'
import { setEnv } from '../helpers/env.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { z } from 'zod'

interface Entry { event: string, task: string, isMainThread: boolean, threadId: number, child?: string, reason?: string }

const cli = new CliPeers()
let ledger = ''
let peer: CliPeer
const entries = async (): Promise<Entry[]> => (await readFile(ledger, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(l => JSON.parse(l) as Entry)

async function enqueue(name: string, input: object): Promise<string> {
  const res = await fetch(`${peer.http}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, input }) })
  expect(res.status).toBe(202)
  return (await res.json() as { id: string }).id
}

async function record(id: string): Promise<{ state: string, attempts: Array<{ outcome?: string, error?: { name: string, message: string } }> }> {
  return await (await fetch(`${peer.http}/tasks/${id}`)).json() as never
}

beforeAll(async () => {
  ledger = join(await cli.dir(), 'ledger.jsonl')
  peer = await cli.start({ app: 'test/fixtures/cpu-app', env: { LEDGER_FILE: ledger } })
}, 60_000)
afterAll(() => cli.cleanup())

describe('cpu tasks in worker threads (peer process)', () => {
  it('a spinning handler runs off the main thread; the peer answers HTTP meanwhile', async () => {
    const id = await enqueue('spin', { ms: 3_000 })
    await waitFor('the handler to start', async () => (await entries()).some(e => e.task === id && e.event === 'start'), 20_000, 50)
    // While the handler spins, the peer's own thread is free.
    const health = await fetch(`${peer.http}/health`)
    expect(health.status).toBe(200)
    expect((await entries()).some(e => e.task === id && e.event === 'end')).toBe(false)
    await waitFor('the task to be done', async () => (await record(id)).state === 'done', 20_000)
    const start = (await entries()).find(e => e.task === id && e.event === 'start')!
    expect(start.isMainThread).toBe(false)
  }, 40_000)

  it('a handler that never returns times out, loses its thread, and the next cpu task runs on a new one', async () => {
    const stuck = await enqueue('stuck', {})
    await waitFor('the stuck task to fail', async () => (await record(stuck)).state === 'failed', 20_000)
    expect((await record(stuck)).attempts[0]?.outcome).toBe('timeout')
    const stuckThread = (await entries()).find(e => e.task === 'stuck')!.threadId
    const next = await enqueue('spin', { ms: 10 })
    await waitFor('the next cpu task to be done', async () => (await record(next)).state === 'done', 20_000)
    const ran = (await entries()).find(e => e.task === next && e.event === 'start')!
    expect(ran.threadId).not.toBe(stuckThread)
    expect(ran.isMainThread).toBe(false)
  }, 40_000)

  it('a handler error reaches the record with its name and message', async () => {
    const id = await enqueue('boom', {})
    await waitFor('the task to fail', async () => (await record(id)).state === 'failed', 20_000)
    expect((await record(id)).attempts[0]?.error).toMatchObject({ name: 'RangeError', message: 'out of range in a worker' })
  }, 30_000)

  it('cancelling a running cpu task fires its signal inside the worker', async () => {
    const id = await enqueue('patient', {})
    await waitFor('the handler to start', async () => (await entries()).some(e => e.task === id && e.event === 'start'), 20_000, 50)
    const res = await fetch(`${peer.http}/tasks/${id}/cancel`, { method: 'POST' })
    expect(res.status).toBe(200)
    const aborted = await waitFor('the handler to see its signal', async () => (await entries()).find(e => e.task === id && e.event === 'aborted'), 10_000, 50)
    expect(aborted.reason).toBe('TaskCancelledError')
    await waitFor('the record to say cancelled', async () => (await record(id)).state === 'cancelled', 10_000)
  }, 30_000)

  it('a handler enqueues another task through ctx.tasks from its worker', async () => {
    const id = await enqueue('spin', { ms: 1, then: 'spin' })
    const line = await waitFor('the child task to be enqueued', async () => (await entries()).find(e => e.task === id && e.event === 'enqueued'), 20_000, 50)
    await waitFor('the child task to run', async () => (await entries()).some(e => e.task === line.child && e.event === 'mark'), 20_000, 50)
    expect((await entries()).find(e => e.task === line.child)!.isMainThread).toBe(true)
  }, 30_000)
})

describe('cpu tasks in an embedded peer', () => {
  let embedded: Peer | undefined
  let remove: (() => Promise<void>) | undefined
  afterAll(async () => {
    await embedded?.stop()
    await remove?.()
  })

  it('an app given as an object, with cpu tasks and no module, is refused at start with a clear error', async () => {
    const app = defineApp({ tasks: [defineTask({ name: 'heavy', scope: 'any', cpu: true, input: z.object({}), run: () => {} })] })
    await expect(createPeer({ app, http: false, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, dataDir: '/nonexistent/never-used' }))
      .rejects.toThrow(/heavy are cpu: true.*appModule/)
  })

  it('runs cpu tasks from the app module given as appModule (TypeScript through tsx)', async () => {
    const dir = await tempDir()
    remove = dir.remove
    const appModule = fileURLToPath(new URL('../fixtures/cpu-app/index.ts', import.meta.url))
    const ledgerFile = join(dir.path, 'ledger.jsonl')
    const restoreEnv = setEnv({ LEDGER_FILE: ledgerFile })
    let id: string
    try {
      const { loadApp } = await import('../../src/index.js')
      const app = await loadApp(fileURLToPath(new URL('../fixtures/cpu-app', import.meta.url)))
      embedded = await createPeer({ app, appModule, cpuWorkers: 2, http: false, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, dataDir: dir.path })
      id = await embedded.tasks.enqueue('spin', { ms: 5 })
      await waitFor('the task to be done', () => embedded!.tasks.get(id)?.state === 'done', 20_000)
    } finally {
      restoreEnv()
    }
    const lines = (await readFile(ledgerFile, 'utf8')).split('\n').filter(Boolean).map(l => JSON.parse(l) as Entry)
    expect(lines.find(e => e.task === id)?.isMainThread).toBe(false)
  }, 40_000)
})
