// A new cluster from one seed list shared by every peer (each peer named in it,
// its own entry skipped): real processes, ids made beforehand with `troupe id`.
// Nobody founds while a peer the list names is missing; once all are up, the
// smallest id founds the cluster and the others join it.

import { afterEach, describe, expect, it } from 'vitest'
import { CliPeers, FAST_LEASE_MS, leaseView, type CliPeer } from '../helpers/cli-peers.js'
import { freePort } from '../helpers/ports.js'
import { waitFor } from '../helpers/wait.js'
import { foundingVerdict, type FoundingMember } from '../../src/peer/founding.js'

const cli = new CliPeers()
afterEach(() => cli.cleanup())

interface Planned { data: string, id: string, port: number, seed: string }

async function plan(): Promise<Planned> {
  const data = await cli.dir()
  const proc = cli.run(['id', '--data', data])
  const [, id] = await proc.waitFor(/^(12D3\S+)$/m)
  expect((await proc.exited).code).toBe(0)
  const port = await freePort()
  return { data, id: id!, port, seed: `/ip4/127.0.0.1/tcp/${port}/p2p/${id!}` }
}

describe('foundingVerdict', () => {
  const up = (id: string, cfg = 0): FoundingMember => ({ id, alive: true, cfg })
  const list = ['b', 'a', 'c']

  it('founds on the smallest id the list names once every peer it names is up with no cluster', () => {
    expect(foundingVerdict('a', list, [up('a'), up('b'), up('c')], 0)).toEqual({ found: true })
    expect(foundingVerdict('b', list, [up('a'), up('b'), up('c')], 0)).toEqual({ found: false, why: 'a founds the cluster (the smallest id the seed list names)' })
    // Members the list does not name do not count (nor block), unless they are in a cluster.
    expect(foundingVerdict('a', list, [up('a'), up('b'), up('c'), up('0')], 0)).toEqual({ found: true })
  })

  it('waits for a named peer that is missing, suspect or has not said whether it is in a cluster (an older version)', () => {
    for (const c of [undefined, { id: 'c', alive: false, cfg: 0 }, { id: 'c', alive: true, cfg: undefined }]) {
      const verdict = foundingVerdict('a', list, [up('a'), up('b'), ...(c === undefined ? [] : [c])], 0)
      expect(verdict).toEqual({ found: false, why: 'waiting for 1 of the 2 other peers the seed list names to be up, with no cluster: c' })
    }
  })

  it('never founds beside a cluster: a member in one, or this peer in one', () => {
    expect(foundingVerdict('a', list, [up('a'), up('b'), up('c', 4)], 0)).toMatchObject({ found: false, why: 'c is in a cluster: this peer joins it' })
    expect(foundingVerdict('a', list, [up('a'), up('b'), up('c'), up('z', 2)], 0)).toMatchObject({ found: false, why: 'z is in a cluster: this peer joins it' })
    expect(foundingVerdict('a', list, [up('a'), up('b'), up('c')], 3)).toMatchObject({ found: false })
  })

  it('never founds from a list that does not name this peer, or names only it', () => {
    expect(foundingVerdict('a', ['b', 'c'], [up('a'), up('b'), up('c')], 0)).toEqual({ found: false, why: 'the seed list does not name this peer' })
    expect(foundingVerdict('a', ['a'], [up('a')], 0)).toEqual({ found: false, why: 'the seed list names only this peer' })
    expect(foundingVerdict('a', ['a', 'a'], [up('a')], 0)).toEqual({ found: false, why: 'the seed list names only this peer' })
  })
})

describe('founding a cluster from a shared seed list', () => {
  it('waits for every peer the list names, then the smallest id founds it and the others join', async () => {
    const planned = await Promise.all([plan(), plan(), plan()])
    expect(new Set(planned.map(p => p.id)).size).toBe(3)
    const seeds = planned.flatMap(p => ['--seed', p.seed])
    const start = (p: Planned): Promise<CliPeer> => cli.start({ data: p.data, extra: ['--listen', `/ip4/127.0.0.1/tcp/${p.port}`, '--lease-ms', String(FAST_LEASE_MS), ...seeds] })
    // `troupe id` made the key the peer then runs with.
    const first = await Promise.all(planned.slice(0, 2).map(start))
    expect(first.map(p => p.id)).toEqual(planned.slice(0, 2).map(p => p.id))
    // Two of the three see each other, and neither founds: the third might be in a cluster of its own.
    await waitFor('the first two to see each other', async () => {
      const members = await Promise.all(first.map(async p => (await (await fetch(`${p.http}/status`)).json() as { members: Array<{ id: string, state: string }> }).members))
      return members.every(ms => ms.filter(m => m.state === 'alive').length === 2)
    }, 20_000, 100)
    await new Promise(resolve => setTimeout(resolve, 1_500))
    for (const view of await Promise.all(first.map(leaseView))) expect(view.voters).toEqual([])
    // /status says why.
    for (const p of first) {
      const status = await (await fetch(`${p.http}/status`)).json() as { founding?: string }
      expect(status.founding).toBe(`waiting for 1 of the 2 other peers the seed list names to be up, with no cluster: ${planned[2]!.id}`)
    }
    const third = await start(planned[2]!)
    const peers = [...first, third]
    await waitFor('3 voters and every partition held, spread over the peers', async () => {
      const views = await Promise.all(peers.map(leaseView))
      return views.every(v => v.voters.length === 3) && views.reduce((n, v) => n + v.held.length, 0) === 256 && views.every(v => v.held.length > 0)
    }, 40_000, 200)
    // One cluster: every peer is at the same config, whose voters are the three.
    const views = await Promise.all(peers.map(leaseView))
    expect(new Set(views.map(v => v.cfg)).size).toBe(1)
    expect([...views[0]!.voters].sort()).toEqual(planned.map(p => p.id).sort())
    for (const p of peers) expect(await (await fetch(`${p.http}/status`)).json()).not.toHaveProperty('founding')
  })
})
