// Leases across real processes: kill the peer holding the most partitions
// with SIGKILL; the others take every partition over after the lease term. A
// voter that stops gracefully while another is dead is taken out of the voter
// set while it still answers (its vote is needed for that).

import { afterEach, describe, expect, it } from 'vitest'
import { CliPeers, FAST_LEASE_MS, LEASE_CLUSTER_TEST_MS, leaseView, startLeaseCluster, type CliPeer } from '../helpers/cli-peers.js'
import { waitFor } from '../helpers/wait.js'

const LEASE_MS = FAST_LEASE_MS
const cli = new CliPeers()
afterEach(() => cli.cleanup())

type Started = CliPeer

async function heldCount(peers: Started[]): Promise<{ total: number, per: number[] }> {
  const views = await Promise.all(peers.map(leaseView))
  const per = views.map(v => v.held.length)
  return { total: per.reduce((a, b) => a + b, 0), per }
}

describe('lease takeover across processes', () => {
  it('a SIGKILLed holder loses its partitions; the survivors hold all 256 again', async () => {
    const peers = await startLeaseCluster(cli)
    const { per } = await heldCount(peers)
    const victim = peers[per.indexOf(Math.max(...per))]!
    const survivors = peers.filter(p => p !== victim)
    const killedAt = performance.now()
    victim.proc.kill('SIGKILL')
    await victim.proc.exited
    await waitFor('the survivors to hold all 256 partitions', async () => (await heldCount(survivors)).total === 256, 30_000, 100)
    const takeoverMs = performance.now() - killedAt
    // At least the lease term must pass (the victim's grants must expire first).
    expect(takeoverMs).toBeGreaterThan(LEASE_MS * 0.9)
    expect(takeoverMs).toBeLessThan(15_000)
    process.stdout.write(`lease takeover after SIGKILL: ${Math.round(takeoverMs)} ms (lease ${LEASE_MS} ms, dead after 3000 ms)\n`)
  }, LEASE_CLUSTER_TEST_MS)

  it('a voter stopped with SIGTERM while another voter is dead is taken out of the set; the last peer holds all 256', async () => {
    const peers = await startLeaseCluster(cli)
    const [a, b, c] = peers as [Started, Started, Started]
    c.proc.kill('SIGKILL')
    await c.proc.exited
    await waitFor('a and b to see c dead', async () => {
      for (const p of [a, b]) {
        const members = ((await (await fetch(`${p.http}/status`)).json()) as { members: Array<{ id: string, state: string }> }).members
        if (members.find(m => m.id === c.id)?.state !== 'dead') return false
      }
      return true
    }, 20_000, 200)
    // Of the old set {a, b, c} only a and b answer: the change that drops b needs b's own vote, so b waits for it.
    b.proc.kill('SIGTERM')
    expect((await b.proc.exited).code).toBe(0)
    await waitFor('a to be the only voter and hold every partition', async () => {
      const v = await leaseView(a)
      return v.voters.length === 1 && v.voters[0] === a.id && v.held.length === 256
    }, 30_000, 200)
  }, LEASE_CLUSTER_TEST_MS)

  it('troupe status on a peer left without a majority of its voters says so, and names each voter\'s state', async () => {
    const peers = await startLeaseCluster(cli)
    const [a, b, c] = peers as [Started, Started, Started]
    for (const p of [b, c]) p.proc.kill('SIGKILL')
    await Promise.all([b, c].map(p => p.proc.exited))
    const out = await waitFor('status to show the two dead voters', async () => {
      const status = cli.run(['status', '--url', a.http])
      let stdout = ''
      status.proc.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
      expect((await status.exited).code).toBe(0)
      return stdout.includes(`voter ${b.id}: dead`) && stdout.includes(`voter ${c.id}: dead`) ? stdout : undefined
    }, 30_000, 500)
    expect(out).toContain(`voter ${a.id} (this peer)`)
    expect(out).toMatch(/^no majority of the voters is up \(1 of 3, 2 needed\): .* until 1 more is back; start the missing voters on their data folders$/m)
  }, LEASE_CLUSTER_TEST_MS)
})
