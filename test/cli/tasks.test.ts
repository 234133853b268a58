// `troupe enqueue` and `troupe tasks ...` as a user runs them: two real peers
// of the default app (actors/), tasks enqueued on one and inspected on the
// other, server errors as one line. Real processes (dist/cli/main.js).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports.js'
import { runCli, type PeerProcess } from '../helpers/process.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

interface Leases { cfg: number, voters: string[], held: Array<{ partition: number }> }

const running: PeerProcess[] = []
const cleanups: Array<() => Promise<void>> = []

async function startPeer(seed?: string): Promise<{ http: string, p2p: string }> {
  const data = await tempDir()
  cleanups.push(data.remove)
  const proc = runCli(['start', '--port', String(await freePort()), '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--data', data.path,
    '--log-level', 'warn', '--lease-ms', '1500', '--suspect-after-ms', '2000', '--dead-after-ms', '3000', ...(seed === undefined ? [] : ['--seed', seed])])
  running.push(proc)
  const [, p2p] = await proc.waitFor(/p2p:\s+(\S+)/)
  const [, http] = await proc.waitFor(/http: (\S+)/)
  return { http: http!, p2p: p2p! }
}

async function cli(args: string[]): Promise<{ code: number | null, stdout: string, out: string }> {
  const proc = runCli(args)
  let stdout = ''
  proc.proc.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const { code } = await proc.exited
  return { code, stdout, out: proc.output() }
}

async function leases(http: string): Promise<Leases> {
  return ((await (await fetch(`${http}/status`)).json()) as { leases: Leases }).leases
}

/** Asserts a failure printed exactly one line, without a stack. */
function oneLine(out: string): string {
  const lines = out.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(out).not.toMatch(/\n\s+at /)
  return lines[0]!
}

describe('troupe enqueue and troupe tasks, without a peer', () => {
  it('--help on each command and subcommand; usage mistakes exit 2 with one line', async () => {
    const pauseHelp = await cli(['tasks', 'pause', '--help'])
    expect(pauseHelp).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: troupe tasks pause \[options\][\s\S]*keeps\nthe partitions it holds/) })
    const [tasksHelp, listHelp, showHelp, enqueueHelp, unknown, bare, badJson, badState, both, unzoned, badTimeout, noSuchDay] = await Promise.all([
      cli(['tasks', '--help']), cli(['tasks', 'list', '--help']), cli(['tasks', 'show', '--help']), cli(['enqueue', '--help']),
      cli(['tasks', 'frobnicate']), cli(['tasks']), cli(['enqueue', 'tally', '{key:']), cli(['tasks', 'list', '--state', 'asleep']),
      cli(['enqueue', 'tally', '--delay-ms', '5', '--run-at', '2026-12-24T18:00:00Z']), cli(['enqueue', 'tally', '--run-at', '2026-12-24 18:00']),
      cli(['enqueue', 'tally', '--task-timeout-ms', '0']), cli(['enqueue', 'tally', '--run-at', '2026-02-30T00:00:00Z']),
    ])
    expect(tasksHelp).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: troupe tasks <subcommand>/) })
    expect(listHelp).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: troupe tasks list[\s\S]*--state <s>/) })
    expect(showHelp).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: troupe tasks show <id>/) })
    expect(enqueueHelp).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: troupe enqueue <task> \[<json input>\][\s\S]*--idempotency-key/) })
    expect(unknown.code).toBe(2)
    expect(oneLine(unknown.out)).toBe('troupe: unknown tasks subcommand "frobnicate"; try troupe tasks --help')
    expect(bare.code).toBe(2)
    expect(bare.out).toMatch(/^Usage: troupe tasks/)
    expect(badJson.code).toBe(2)
    expect(oneLine(badJson.out)).toMatch(/^troupe: the input is not valid JSON \(/)
    expect(badState.code).toBe(2)
    expect(oneLine(badState.out)).toBe('troupe: --state must be one of pending, running, done, failed, cancelled, got "asleep"')
    expect(both.code).toBe(2)
    expect(oneLine(both.out)).toBe('troupe: give --delay-ms or --run-at, not both')
    expect(unzoned.code).toBe(2)
    expect(oneLine(unzoned.out)).toMatch(/^troupe: --run-at must be an ISO 8601 time with its zone/)
    expect(badTimeout.code).toBe(2)
    expect(oneLine(badTimeout.out)).toBe('troupe: --task-timeout-ms must be a whole number of at least 1, got "0"')
    expect(noSuchDay.code).toBe(2)
    expect(oneLine(noSuchDay.out)).toMatch(/^troupe: --run-at must be an ISO 8601 time/)
  })
})

describe('troupe enqueue and troupe tasks on two peers', () => {
  let a: { http: string, p2p: string }
  let b: { http: string, p2p: string }

  beforeAll(async () => {
    a = await startPeer()
    b = await startPeer(a.p2p)
    // Settled: both peers see the same lease config (2 peers elect 1 voter: voter sets are odd)
    // and together hold all 256 partitions, each exactly once.
    await waitFor('both peers to agree on the voters and hold all 256 partitions between them', async () => {
      const [la, lb] = await Promise.all([leases(a.http), leases(b.http)])
      const held = [...la.held, ...lb.held].map(h => h.partition)
      return la.cfg === lb.cfg && la.voters.join() === lb.voters.join() && la.voters.length >= 1 && held.length === 256 && new Set(held).size === 256
    }, 20_000, 200)
  }, 30_000)

  afterAll(async () => {
    for (const p of running.splice(0)) {
      p.kill('SIGKILL')
      await p.exited
    }
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('a task enqueued on one peer runs once and is shown done on the other', async () => {
    const enqueued = await cli(['enqueue', 'tally', '{"key":"k","by":3}', '--url', b.http])
    expect(enqueued.code).toBe(0)
    const id = enqueued.stdout.trim()
    expect(id).toMatch(/^\S+$/)

    const shown = await waitFor(`task ${id} done on ${a.http}`, async () => {
      const r = await cli(['tasks', 'show', id, '--url', a.http])
      return r.code === 0 && /^ {2}state: {5}done$/m.test(r.stdout) ? r.stdout : undefined
    }, 15_000, 250)
    expect(shown).toMatch(new RegExp(`^task ${id}\n {2}name: {6}tally \\(any\\)\n`))
    expect(shown).toMatch(/^ {2}input: {5}\{"key":"k","by":3\}$/m)
    expect(shown).toMatch(/^1 attempt:\nROUND\s+PEER\s+FENCE\s+STARTED\s+DURATION\s+OUTCOME\s+ERROR\n0\.1\s+\S{8}\s+\S+\s+\S+ ago\s+\d+(ms|s)\s+ok\s+-$/m)

    const listed = await cli(['tasks', 'list', '--state', 'done', '--name', 'tally', '--url', a.http])
    expect(listed.code).toBe(0)
    const lines = listed.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+NAME\s+SCOPE\s+STATE\s+ATTEMPTS\s+LAST PEER\s+UPDATED$/)
    expect(lines.find(l => l.startsWith(id))).toMatch(new RegExp(`^${id}\\s+tally\\s+any\\s+done\\s+1\\s+\\S{8}\\s+\\S+ ago$`))

    const asJson = await cli(['tasks', 'list', '--state', 'done', '--json', '--url', b.http])
    expect((JSON.parse(asJson.stdout) as { tasks: Array<{ id: string }> }).tasks.map(t => t.id)).toContain(id)

    for (const peer of [a, b]) {
      const counter = await (await fetch(`${peer.http}/api/counter?key=k`)).json() as { count: number }
      expect(counter).toEqual({ key: 'k', count: 3 })
    }

    const cancel = await cli(['tasks', 'cancel', id, '--url', a.http])
    expect(cancel.code).toBe(1)
    expect(oneLine(cancel.out)).toMatch(new RegExp(`^troupe: cannot cancel task ${id}: .*only a pending or running task can be cancelled \\(TaskStateError, 409\\)$`))
  })

  it('server errors are one line and exit 1: invalid input names the field, an unknown task or id is named', async () => {
    const [invalid, unknownTask, unknownId] = await Promise.all([
      cli(['enqueue', 'tally', '{"key":"k","by":"three"}', '--url', a.http]),
      cli(['enqueue', 'no-such-task', '--url', a.http]),
      cli(['tasks', 'show', 'no-such-id', '--url', b.http]),
    ])
    expect(invalid.code).toBe(1)
    expect(oneLine(invalid.out)).toMatch(/^troupe: cannot enqueue tally: invalid input: by: .* \(ValidationError, 422\)$/)
    expect(unknownTask.code).toBe(1)
    expect(oneLine(unknownTask.out)).toBe('troupe: cannot enqueue no-such-task: no task is defined with the name "no-such-task" (UnknownTaskError, 404)')
    expect(unknownId.code).toBe(1)
    expect(oneLine(unknownId.out)).toMatch(/^troupe: cannot show task no-such-id: .* \(TaskNotFoundError, 404\)$/)
  })

  it('retry and delete a task; --json prints the record', async () => {
    const enqueued = await cli(['enqueue', 'tally', '{"key":"later","by":1}', '--delay-ms', '60000', '--idempotency-key', 'once', '--json', '--url', a.http])
    expect(enqueued.code).toBe(0)
    const { id } = JSON.parse(enqueued.stdout) as { id: string }
    const again = await cli(['enqueue', 'tally', '{"key":"later","by":1}', '--delay-ms', '60000', '--idempotency-key', 'once', '--url', a.http])
    expect(again.stdout.trim()).toBe(id)
    const at = await cli(['enqueue', 'tally', '{"key":"later","by":1}', '--run-at', '2099-01-01T00:00:00+01:00', '--task-timeout-ms', '4321', '--json', '--url', a.http])
    expect(at.code).toBe(0)
    const shown = await cli(['tasks', 'show', (JSON.parse(at.stdout) as { id: string }).id, '--json', '--url', a.http])
    expect(JSON.parse(shown.stdout)).toMatchObject({ runAt: Date.parse('2098-12-31T23:00:00Z'), timeoutMs: 4321 })

    const retry = await cli(['tasks', 'retry', id, '--url', a.http])
    expect(retry.code).toBe(1)
    expect(oneLine(retry.out)).toMatch(/only a failed or cancelled task can be retried \(TaskStateError, 409\)$/)
    const cancelled = await cli(['tasks', 'cancel', id, '--json', '--url', a.http])
    expect(cancelled.code).toBe(0)
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id, state: 'cancelled' })
    const retried = await cli(['tasks', 'retry', id, '--url', a.http])
    expect(retried).toMatchObject({ code: 0, stdout: `retried task ${id} (tally): now pending\n` })
    const deleted = await cli(['tasks', 'delete', id, '--url', a.http])
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted task ${id} (tally): now deleted\n` })
  })

  it('pause and resume: paused peers store a new task and start it only once resumed', async () => {
    const paused = await Promise.all([a, b].map(p => cli(['tasks', 'pause', '--url', p.http])))
    for (const r of paused) expect(r).toMatchObject({ code: 0, stdout: 'paused: this peer starts no task until troupe tasks resume\n' })
    const status = await (await fetch(`${a.http}/status`)).json() as { tasks: { paused: boolean } }
    expect(status.tasks.paused).toBe(true)
    const enqueued = await cli(['enqueue', 'tally', '{"key":"paused","by":2}', '--url', a.http])
    expect(enqueued.code).toBe(0)
    const id = enqueued.stdout.trim()
    // On both peers, and still pending a while later: neither may start it.
    await waitFor(`task ${id} pending on both peers`, async () => {
      const shown = await Promise.all([a, b].map(p => cli(['tasks', 'show', id, '--json', '--url', p.http])))
      return shown.every(r => r.code === 0 && (JSON.parse(r.stdout) as { state: string }).state === 'pending')
    }, 10_000, 100)
    await new Promise(resolve => setTimeout(resolve, 500))
    for (const p of [a, b]) expect(JSON.parse((await cli(['tasks', 'show', id, '--json', '--url', p.http])).stdout)).toMatchObject({ state: 'pending', attempts: [] })
    const resumed = await Promise.all([a, b].map(p => cli(['tasks', 'resume', '--json', '--url', p.http])))
    for (const r of resumed) expect(r.code).toBe(0)
    expect(resumed.map(r => JSON.parse(r.stdout) as unknown)).toEqual([{ paused: false }, { paused: false }])
    await waitFor(`task ${id} done`, async () => (JSON.parse((await cli(['tasks', 'show', id, '--json', '--url', b.http])).stdout) as { state: string }).state === 'done', 15_000, 200)
    const counter = await (await fetch(`${a.http}/api/counter?key=paused`)).json() as { count: number }
    expect(counter).toEqual({ key: 'paused', count: 2 })
  })

  it('troupe status shows the lease view', async () => {
    const { code, stdout } = await cli(['status', '--url', a.http])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^leases: config \d+, 1 voter \(this peer (votes|does not vote)\), this peer holds \d+ partitions?$/m)
    expect(stdout).toMatch(/^ {2}voter 12D3\S+/m)
  })
})
