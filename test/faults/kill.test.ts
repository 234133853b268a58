// SIGKILL across real processes: an actor's host and a task's runner die
// without a word; the work moves to another peer and nothing is lost.

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { partitionOf } from '../../src/lease/index.js'
import { CliPeers, FAST_LEASE_MS, LEASE_CLUSTER_TEST_MS, leaseView, placementQuiet, startLeaseCluster, type CliPeer } from '../helpers/cli-peers.js'
import { waitFor } from '../helpers/wait.js'

const cli = new CliPeers()
afterEach(() => cli.cleanup())

type Started = CliPeer
const startCluster = (opts: { app?: string, env?: Record<string, string> } = {}): Promise<Started[]> => startLeaseCluster(cli, opts)

/** The peer holding `partition`, waited for: placement may still be handing partitions over, and a handover leaves one unheld for a moment. */
async function holderOf(peers: Started[], partition: number): Promise<Started> {
  return waitFor(`a holder of partition ${partition}`, async () => {
    const views = await Promise.all(peers.map(leaseView))
    const i = views.findIndex(v => v.held.some(h => h.partition === partition))
    return i < 0 ? undefined : peers[i]
  }, 10_000, 100)
}

describe('SIGKILL of the peer doing the work', () => {
  it('an actor reactivates on another peer with its last saved state', async () => {
    const peers = await startCluster()
    const address = 'counter/survivor'
    const first = await (await fetch(`${peers[0]!.http}/api/counter?key=survivor&by=5`)).json() as { count: number }
    expect(first.count).toBe(5)
    const host = await holderOf(peers, partitionOf(address, 256))
    host.proc.kill('SIGKILL')
    await host.proc.exited
    const survivors = peers.filter(p => p !== host)
    const after = await waitFor('the counter to answer again from a survivor', async () => {
      const res = await fetch(`${survivors[0]!.http}/api/counter?key=survivor&by=1`)
      return res.status === 200 ? await res.json() as { count: number } : undefined
    }, 30_000, 250)
    expect(after.count).toBe(6)
    expect(await holderOf(survivors, partitionOf(address, 256))).not.toBe(host)
  }, LEASE_CLUSTER_TEST_MS)

  it('a task whose runner dies mid-run runs again on another peer, never two at once', async () => {
    const ledger = join(await cli.dir(), 'ledger.jsonl')
    const peers = await startCluster({ app: 'test/fixtures/ledger-app', env: { LEDGER_FILE: ledger } })
    const res = await fetch(`${peers[1]!.http}/api/enqueue-slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 3_000 }) })
    const { id } = await res.json() as { id: string }
    type Entry = { event: string, task: string, peer: string, fence: string, at: number }
    const entries = async (): Promise<Entry[]> => (await readFile(ledger, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(l => JSON.parse(l) as Entry)
    const started = await waitFor('the task to start', async () => (await entries()).find(e => e.task === id && e.event === 'start'), 20_000)
    const runner = peers.find(p => p.id === started.peer)!
    runner.proc.kill('SIGKILL')
    await runner.proc.exited
    const killedAt = performance.timeOrigin + performance.now()
    const done = await waitFor('the task to finish elsewhere', async () => (await entries()).find(e => e.task === id && e.event === 'end'), 40_000, 200)
    expect(done.peer).not.toBe(runner.id)
    // At least once: the killed run, then one or more reruns (a partition can
    // move again while the survivors settle placement; each move aborts the
    // run and the next holder starts it again, counted here, not hidden).
    const starts = (await entries()).filter(e => e.task === id && e.event === 'start').sort((x, y) => x.at - y.at)
    expect(starts.length).toBeGreaterThanOrEqual(2)
    expect(starts[1]!.at).toBeGreaterThan(killedAt)
    // Every rerun runs under a newer fence than the run before it; the run that finished holds the newest.
    for (let i = 1; i < starts.length; i++) expect(starts[i]!.fence > starts[i - 1]!.fence).toBe(true)
    expect(done.fence).toBe(starts[starts.length - 1]!.fence)
    if (starts.length > 2) process.stdout.write(`task ${id} ran ${starts.length} times (reruns after partition moves)\n`)
    const survivor = peers.find(p => p !== runner)!
    await waitFor('the record to say done', async () => ((await (await fetch(`${survivor.http}/tasks/${id}`)).json()) as { state: string }).state === 'done')
  }, LEASE_CLUSTER_TEST_MS)
})

describe('a handler that kills its own peer (a poison task)', () => {
  type Entry = { event: string, task: string, peer: string, at: number }
  interface Attempt { peer: string, outcome?: string, error?: { code: string, message: string } }
  interface Record { state: string, error?: { code: string, message: string }, attempts: Attempt[] }
  const entries = async (ledger: string): Promise<Entry[]> => (await readFile(ledger, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(l => JSON.parse(l) as Entry)
  const record = async (peer: Started, id: string): Promise<Record | undefined> => {
    const res = await fetch(`${peer.http}/tasks/${id}`)
    return res.status === 200 ? await res.json() as Record : undefined
  }
  async function enqueue(peer: Started, name: string): Promise<string> {
    const res = await fetch(`${peer.http}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, input: {} }) })
    expect(res.status).toBe(202)
    return (await res.json() as { id: string }).id
  }

  it('"any": the next holder finds the attempt unended and, past retry.lostMax (0), fails the task instead of running it', async () => {
    const dir = await cli.dir()
    const ledger = join(dir, 'ledger.jsonl')
    const gate = join(dir, 'doom')
    const peers = await startCluster({ app: 'test/fixtures/ledger-app', env: { LEDGER_FILE: ledger, DOOM_GATE: gate } })
    // A partition moved while the handler runs would end its attempt `lost` by its own runner (not counted) and
    // start it on the next holder, whose handler would kill that peer too: start once placement is still.
    await placementQuiet(peers)
    const id = await enqueue(peers[0]!, 'doomed')
    const started = await waitFor('the task to start', async () => (await entries(ledger)).find(e => e.task === id && e.event === 'start'), 20_000)
    const victim = peers.find(p => p.id === started.peer)!
    const survivors = peers.filter(p => p !== victim)
    // The handler kills its own peer once the others have its start (on a loaded machine that can take longer
    // than the handler's 400 ms; before it spreads, a kill leaves no trace: docs/tasks.md).
    await waitFor('the start (an unended attempt of the victim) to reach the other peers', async () => {
      const records = await Promise.all(survivors.map(p => record(p, id)))
      return records.every(r => r?.attempts.some(a => a.peer === victim.id && a.outcome === undefined))
    }, 20_000, 50)
    await writeFile(gate, '')
    expect((await victim.proc.exited).signal).toBe('SIGKILL')
    const failed = await waitFor('the task to fail on every survivor', async () => {
      const records = await Promise.all(survivors.map(p => record(p, id)))
      return records.every(r => r?.state === 'failed') ? records[0] : undefined
    }, 40_000, 200)
    expect(failed!.error?.code).toBe('ERR_TASK_LOST_TOO_OFTEN')
    expect(failed!.error?.message).toContain('retry.lostMax (0)')
    expect(failed!.attempts.map(a => [a.peer, a.outcome, a.error?.code])).toEqual([[victim.id, 'lost', 'ERR_RUNNER_GONE']])
    // Not run again: the victim's was the only start, and the survivors are still up.
    expect((await entries(ledger)).filter(e => e.task === id && e.event === 'start')).toHaveLength(1)
    for (const p of survivors) expect((await fetch(`${p.http}/status`)).status).toBe(200)
  }, LEASE_CLUSTER_TEST_MS)

  it('a handler that kills its peer at once leaves no trace; restarted, the peer writes each start first, so the next kill is counted', async () => {
    const ledger = join(await cli.dir(), 'ledger.jsonl')
    const extra = ['--lease-ms', String(FAST_LEASE_MS)]
    const start = (data?: string): Promise<Started> => cli.start({ app: 'test/fixtures/ledger-app', extra, data, env: { LEDGER_FILE: ledger } })
    const peer = await start()
    await waitFor('every partition held', async () => (await leaseView(peer)).held.length === 256, 30_000, 100)
    // The handler kills its peer 20 ms into the run: on a loaded machine that can come before the enqueue's answer
    // is written (the socket closes with nothing read). The task's id is then the one its only start wrote.
    const answered = await enqueue(peer, 'doomed-fast').catch((err: unknown) => {
      if (err instanceof TypeError && err.message === 'fetch failed') return undefined
      throw err
    })
    expect((await peer.proc.exited).signal).toBe('SIGKILL')
    const first = (await entries(ledger)).filter(e => e.event === 'start')
    expect(first).toHaveLength(1)
    const id = answered ?? first[0]!.task
    expect(first[0]!.task).toBe(id)
    const starts = async (): Promise<number> => (await entries(ledger)).filter(e => e.task === id && e.event === 'start').length
    expect(await starts()).toBe(1)
    // Restarted after a crash: it warns, and runs the task again (it left no trace), its start written first.
    const again = await start(peer.data)
    await again.proc.waitFor(/did not stop gracefully/)
    expect((await again.proc.exited).signal).toBe('SIGKILL')
    expect(await starts()).toBe(2)
    // This time the attempt was on disk, unended: past lostMax (0), the task fails instead of running a third time.
    const last = await start(peer.data)
    const failed = await waitFor('the task to fail', async () => {
      const r = await record(last, id)
      return r?.state === 'failed' ? r : undefined
    }, 30_000, 200)
    expect(failed.error?.code).toBe('ERR_TASK_LOST_TOO_OFTEN')
    expect(failed.attempts.map(a => [a.outcome, a.error?.code])).toEqual([['lost', 'ERR_RUNNER_GONE']])
    expect(await starts()).toBe(2)
    expect((await fetch(`${last.http}/status`)).status).toBe(200)
  }, LEASE_CLUSTER_TEST_MS)

  it('"all": a peer restarted after its handler killed it gives up its own share instead of running it again', async () => {
    const ledger = join(await cli.dir(), 'ledger.jsonl')
    const extra = ['--lease-ms', String(FAST_LEASE_MS)]
    const app = 'test/fixtures/ledger-app'
    const a = await cli.start({ app, extra, env: { LEDGER_FILE: ledger } })
    const b = await cli.start({ app, extra, seed: a.p2p, env: { LEDGER_FILE: ledger } })
    const victim = await cli.start({ app, extra, seed: a.p2p, env: { LEDGER_FILE: ledger, DOOM: '1' } })
    await waitFor('3 voters', async () => (await Promise.all([a, b, victim].map(leaseView))).every(v => v.voters.length === 3), 40_000, 200)
    const id = await enqueue(a, 'doomed-all')
    expect((await victim.proc.exited).signal).toBe('SIGKILL')
    const starts = async (peer: string): Promise<number> => (await entries(ledger)).filter(e => e.task === id && e.event === 'start' && e.peer === peer).length
    expect(await starts(victim.id)).toBe(1)
    await waitFor('a and b to run it', async () => (await entries(ledger)).filter(e => e.task === id && e.event === 'end').length === 2, 20_000, 100)
    // Restarted on its data folder (same identity), not deadly any more: it finds its own attempt unended.
    const again = await cli.start({ app, extra, data: victim.data, seed: a.p2p, env: { LEDGER_FILE: ledger } })
    expect(again.id).toBe(victim.id)
    const mine = await waitFor('the restarted peer to mark its attempt', async () => {
      const r = await record(again, id)
      const own = r?.attempts.filter(x => x.peer === victim.id) ?? []
      return own.length > 0 && own.every(x => x.outcome !== undefined) ? own : undefined
    }, 30_000, 200)
    expect(mine!.map(x => [x.outcome, x.error?.code])).toEqual([['lost', 'ERR_RUNNER_GONE']])
    // Given up, not run: a and b see the same, and the task is settled (failed while the victim counts as a member;
    // done if the others settled it while it was dead).
    await waitFor('a and b to see the victim\'s attempt marked', async () => {
      const rs = await Promise.all([a, b].map(p => record(p, id)))
      return rs.every(r => r?.attempts.some(x => x.peer === victim.id && x.error?.code === 'ERR_RUNNER_GONE') && ['failed', 'done'].includes(r.state))
    }, 30_000, 200)
    expect(await starts(victim.id)).toBe(1)
  }, LEASE_CLUSTER_TEST_MS)
})
