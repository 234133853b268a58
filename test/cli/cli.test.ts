// The CLI as a user runs it: real processes, real sockets, real data folders.

import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports.js'
import { CliPeers, type CliPeer, type CliPeerOptions } from '../helpers/cli-peers.js'
import { runCli } from '../helpers/process.js'
import { waitFor } from '../helpers/wait.js'

const peers = new CliPeers()
afterEach(() => peers.cleanup())

const dataDir = (): Promise<string> => peers.dir()
const startPeer = (opts: CliPeerOptions = {}): Promise<CliPeer> => peers.start(opts)

async function memberStates(http: string): Promise<Record<string, string>> {
  const status = await (await fetch(`${http}/status`)).json() as { members: Array<{ id: string, state: string }> }
  return Object.fromEntries(status.members.map(m => [m.id, m.state]))
}

async function expectRefusal(args: string[], pattern: RegExp): Promise<void> {
  const proc = runCli(args)
  const { code } = await proc.exited
  expect(code).toBe(2)
  const out = proc.output().trim()
  expect(out).toMatch(pattern)
  expect(out.split('\n')).toHaveLength(1)
  expect(out).not.toMatch(/\n\s+at /)
}

describe('troupe CLI', () => {
  it('prints help and version', async () => {
    const help = runCli(['--help'])
    expect((await help.exited).code).toBe(0)
    expect(help.output()).toMatch(/Usage: troupe <command>/)
    const startHelp = runCli(['start', '--help'])
    expect((await startHelp.exited).code).toBe(0)
    expect(startHelp.output()).toMatch(/--seed <ma>/)
    const unknown = runCli(['frobnicate'])
    expect((await unknown.exited).code).toBe(2)
    expect(unknown.output()).toMatch(/unknown command "frobnicate"/)
  })

  it('two peers started from the command line see each other in /status', async () => {
    const a = await startPeer()
    const b = await startPeer({ seed: a.p2p })
    expect(a.p2p).toMatch(new RegExp(`/p2p/${a.id}$`))
    for (const peer of [a, b]) {
      await waitFor(`${peer.http} to list both peers`, async () => {
        const states = await memberStates(peer.http)
        return states[a.id] === 'alive' && states[b.id] === 'alive'
      })
    }
    const hello = await (await fetch(`${b.http}/api/hello?name=troupe`)).json() as { greeting: string, peer: string }
    expect(hello).toEqual({ greeting: 'hello, troupe', peer: b.id })
  })

  it('a peer killed with SIGKILL is declared dead; restarted, it rejoins with the same peer id', async () => {
    const a = await startPeer()
    const b = await startPeer({ seed: a.p2p })
    const c = await startPeer({ seed: a.p2p })
    await waitFor('3 alive members on a and b', async () => {
      const [sa, sb] = await Promise.all([memberStates(a.http), memberStates(b.http)])
      return [a, b, c].every(p => sa[p.id] === 'alive' && sb[p.id] === 'alive')
    })
    const killedAt = performance.now()
    c.proc.kill('SIGKILL')
    await c.proc.exited
    await waitFor('c declared dead on a and b', async () => {
      const [sa, sb] = await Promise.all([memberStates(a.http), memberStates(b.http)])
      return sa[c.id] === 'dead' && sb[c.id] === 'dead'
    }, 10_000, 100)
    const detectedMs = performance.now() - killedAt
    // --dead-after-ms 3000, plus a tick and the polling interval.
    expect(detectedMs).toBeGreaterThan(2_000)
    expect(detectedMs).toBeLessThan(5_000)

    const again = await startPeer({ seed: b.p2p, data: c.data })
    expect(again.id).toBe(c.id)
    await waitFor('c alive again on a and b', async () => {
      const [sa, sb] = await Promise.all([memberStates(a.http), memberStates(b.http)])
      return sa[c.id] === 'alive' && sb[c.id] === 'alive'
    })
  })

  it('a peer whose process is paused for 2 s (SIGSTOP) is never declared dead with the default timings', async () => {
    const defaults = ['--suspect-after-ms', '3000', '--dead-after-ms', '8000']
    const a = await startPeer({ extra: defaults })
    const b = await startPeer({ seed: a.p2p, extra: defaults })
    await waitFor('a to see b', async () => (await memberStates(a.http))[b.id] === 'alive')
    const seen = new Set<string>()
    const watch = setInterval(() => {
      memberStates(a.http).then(s => { seen.add(s[b.id] ?? 'missing') }, (err: unknown) => { seen.add(`error: ${(err as Error).message}`) })
    }, 100)
    try {
      b.proc.kill('SIGSTOP')
      await new Promise(resolve => setTimeout(resolve, 2_000))
      b.proc.kill('SIGCONT')
      await new Promise(resolve => setTimeout(resolve, 3_000))
    } finally {
      clearInterval(watch)
    }
    expect(seen.has('dead')).toBe(false)
    expect((await memberStates(a.http))[b.id]).toBe('alive')
  })

  it('warns loudly when the cluster is open, and not when it has a secret', async () => {
    const open = await startPeer()
    await open.proc.waitFor(/the cluster is open/)
    const port = await freePort()
    const closed = peers.run(['start', '--port', String(port), '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--data', await dataDir(), '--log-level', 'warn'], { TROUPE_CLUSTER_SECRET: 'a secret that is long enough' })
    await closed.waitFor(/http: /)
    expect(closed.output()).not.toMatch(/the cluster is open/)
  })

  it('SIGTERM stops a peer gracefully: the others see it leave at once', async () => {
    const a = await startPeer()
    const b = await startPeer({ seed: a.p2p })
    await waitFor('a to see b', async () => (await memberStates(a.http))[b.id] === 'alive')
    b.proc.kill('SIGTERM')
    expect((await b.proc.exited).code).toBe(0)
    const states = await memberStates(a.http)
    expect(states[b.id]).toBe('left')
  })

  describe('bad configuration stops the start with one clear line', () => {
    it('an unparsable seed', async () => {
      await expectRefusal(['start', '--port', '0', '--data', await dataDir(), '--seed', 'not-a-multiaddr'], /^troupe: invalid configuration: seeds\.0: not-a-multiaddr is not a multiaddr/)
    })

    it('an HTTP port in use', async () => {
      const port = await freePort()
      const blocker: Server = createServer()
      await new Promise<void>(resolve => blocker.listen(port, '127.0.0.1', resolve))
      peers.onCleanup(() => new Promise(resolve => blocker.close(() => resolve())))
      await expectRefusal(['start', '--port', String(port), '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--data', await dataDir()], new RegExp(`port ${port} .*in use|${port}.*in use`))
    })

    it('a libp2p port in use', async () => {
      const p2p = await freePort()
      const blocker: Server = createServer()
      await new Promise<void>(resolve => blocker.listen(p2p, '127.0.0.1', resolve))
      peers.onCleanup(() => new Promise(resolve => blocker.close(() => resolve())))
      await expectRefusal(['start', '--port', '0', '--listen', `/ip4/127.0.0.1/tcp/${p2p}`, '--data', await dataDir()], /cannot listen on .*: the port is in use/)
    })

    it('a data folder that is not a folder', async () => {
      const file = join(await dataDir(), 'a-file')
      await writeFile(file, 'x')
      await expectRefusal(['start', '--port', '0', '--data', file], /^troupe: the data folder .*a-file is not usable/)
    })

    it('a data folder in use by another peer', async () => {
      const a = await startPeer()
      await expectRefusal(['start', '--port', '0', '--data', a.data], /in use by another peer/)
    })

    it('an app folder that does not load', async () => {
      const app = await dataDir()
      await mkdir(app, { recursive: true })
      await writeFile(join(app, 'index.js'), 'throw new Error("boom at load")\n')
      await expectRefusal(['start', '--port', '0', '--data', await dataDir(), '--app', app], /^troupe: the app in .* does not load: Error: boom at load$/)
    })

    it('an app folder without an app', async () => {
      await expectRefusal(['start', '--port', '0', '--data', await dataDir(), '--app', await dataDir()], /^troupe: no app in .*: expected one of index\.ts/)
    })

    it('a cluster secret file that cannot be read', async () => {
      await expectRefusal(['start', '--port', '0', '--data', await dataDir(), '--secret-file', '/nonexistent/secret'], /^troupe: cannot read the cluster secret file \/nonexistent\/secret/)
    })

    it('a cluster secret that is too short, or given on the command line', async () => {
      const proc = runCli(['start', '--port', '0', '--data', await dataDir()], { TROUPE_CLUSTER_SECRET: 'short' })
      expect((await proc.exited).code).toBe(2)
      expect(proc.output().trim()).toBe('troupe: the cluster secret must be at least 16 characters')
      await expectRefusal(['start', '--secret', 'on-the-command-line-is-refused'], /^troupe: .*--secret/)
    })

    it('a bad flag', async () => {
      await expectRefusal(['start', '--port', 'eighty'], /^troupe: --port must be a port number/)
    })
  })
})
