// The helpers' failure paths and clean-up, on a small inline app: a task that
// always fails, one that never ends, actions without an HTTP port, readiness
// that cannot be reached, and data folders removed on close.

import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ActionCallError, createTestCluster, defineAction, defineApp, defineTask, TaskFailedError, type TestCluster } from '../../src/index.js'
import { AbortedError, TimeoutError } from '../../src/errors.js'

const echo = defineAction({ name: 'echo', input: z.object({ text: z.string() }), run: (ctx, input) => ({ text: input.text, peer: ctx.peer.id }) })
const broken = defineTask({
  name: 'broken',
  scope: 'any',
  input: z.object({}),
  retry: { attempts: 2, backoffMs: 50 },
  run: () => { throw new Error('the mail server said no') },
})
const endless = defineTask({
  name: 'endless',
  scope: 'any',
  input: z.object({}),
  timeoutMs: 60_000,
  run: ctx => new Promise<void>(resolve => ctx.signal.addEventListener('abort', () => resolve(), { once: true })),
})
const app = defineApp({ name: 'testing-helpers', actions: [echo], tasks: [broken, endless] })

let cluster: TestCluster

beforeAll(async () => {
  cluster = await createTestCluster({ peers: 2, app, http: false })
}, 60_000)

afterAll(async () => {
  await cluster?.close()
})

describe('test cluster helpers', () => {
  it('runs actions through the peer\'s app when there is no HTTP port', async () => {
    expect(cluster.peers.map(p => p.httpUrl)).toEqual([null, null])
    expect(await cluster.action('echo', { text: 'hi' }, { peer: 1 })).toEqual({ text: 'hi', peer: cluster.peers[1]!.id })
    await expect(cluster.action('echo', {})).rejects.toSatisfy(err => err instanceof ActionCallError && err.status === 422 && err.code === 'ERR_VALIDATION')
  })

  it('rejects with TaskFailedError holding the final record when a task fails', async () => {
    const err = await cluster.runTask('broken', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TaskFailedError)
    const { record } = err as TaskFailedError
    expect(record.state).toBe('failed')
    expect(record.attempts.map(a => a.outcome)).toEqual(['error', 'error'])
    expect((err as Error).message).toMatch(/broken .* ended failed after 2 attempt\(s\): Error: the mail server said no/)
  })

  it('rejects with a TimeoutError naming the task\'s state when it does not end in time', async () => {
    const started = performance.now()
    const err = await cluster.runTask('endless', {}, { timeoutMs: 500 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as Error).message).toMatch(/task endless \(\S+\) still (pending|running) after \d attempt\(s\) 500 ms after it was awaited/)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('ready() rejects when aborted, and with a TimeoutError saying what is missing', async () => {
    await expect(cluster.ready({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError)
    // Placement cannot stay quiet for a minute within 300 ms.
    await expect(cluster.ready({ timeoutMs: 300, quietMs: 60_000 })).rejects.toThrow(/timed out after 300 ms waiting for the cluster to be ready: (placement changed \d+ ms ago|placement is still changing|some partition has no holder)/)
  })

  it('refuses unknown peers', async () => {
    await expect(cluster.action('echo', { text: 'x' }, { peer: 7 })).rejects.toBeInstanceOf(RangeError)
  })
})

describe('test cluster lifecycle', () => {
  it('an aborted start rejects with AbortedError', async () => {
    await expect(createTestCluster({ peers: 2, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError)
  })

  it('await using closes the cluster and removes its data folders', async () => {
    let dir: string
    {
      await using one = await createTestCluster({ peers: 1, http: false })
      dir = one.peers[0]!.config.dataDir
      expect(existsSync(dir)).toBe(true)
      expect(one.peers[0]!.leases.status().voters).toEqual([one.peers[0]!.id])
    }
    expect(existsSync(dir)).toBe(false)
  })
})
