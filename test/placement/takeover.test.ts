// Leases across real processes: kill the peer holding the most partitions
// with SIGKILL; the others take every partition over after the lease term.

import { afterEach, describe, expect, it } from 'vitest'
import { CliPeers, type CliPeer } from '../helpers/cli-peers.js'
import { waitFor } from '../helpers/wait.js'

const LEASE_MS = 1_500
const cli = new CliPeers()
afterEach(() => cli.cleanup())

type Started = CliPeer

const startPeer = (opts: { seed?: string, app?: string, env?: Record<string, string> } = {}): Promise<Started> =>
  cli.start({ ...opts, extra: ['--lease-ms', String(LEASE_MS)] })

interface LeaseView { cfg: number, voters: string[], held: Array<{ partition: number }> }

async function leases(peer: Started): Promise<LeaseView> {
  return (await (await fetch(`${peer.http}/status`)).json() as { leases: LeaseView }).leases
}

async function heldCount(peers: Started[]): Promise<{ total: number, per: number[] }> {
  const views = await Promise.all(peers.map(leases))
  const per = views.map(v => v.held.length)
  return { total: per.reduce((a, b) => a + b, 0), per }
}

describe('lease takeover across processes', () => {
  it('a SIGKILLed holder loses its partitions; the survivors hold all 256 again', async () => {
    const a = await startPeer()
    const b = await startPeer({ seed: a.p2p })
    const c = await startPeer({ seed: a.p2p })
    const peers = [a, b, c]
    await waitFor('3 voters and all partitions held, spread over the peers', async () => {
      const views = await Promise.all(peers.map(leases))
      const { total, per } = await heldCount(peers)
      return views.every(v => v.voters.length === 3) && total === 256 && per.every(n => n > 0)
    }, 30_000, 200)
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
  })
})
