// `troupe start` shows its long waits on stderr: joining a seed that is not
// up yet, and a graceful stop waiting for a running task. Real processes,
// real sockets; the test's pipes are not terminals, so the lines are the quiet
// ones of a log.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CliPeers, FAST_MEMBERSHIP_FLAGS, type CliPeer } from '../helpers/cli-peers.js'
import { freePort } from '../helpers/ports.js'
import { waitFor } from '../helpers/wait.js'

const peers = new CliPeers()
afterEach(() => peers.cleanup())

/** What the process writes to stderr from now on. */
function stderrOf(peer: CliPeer): () => string {
  let err = ''
  peer.proc.proc.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return () => err
}

interface LedgerEntry { event: 'start' | 'end', task: string }

async function ledgerEntries(file: string): Promise<LedgerEntry[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw err
  })
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as LedgerEntry)
}

/** A ledger-app peer running one slow task of `ms`; resolves once the task has started. */
async function peerRunningSlowTask(ms: number): Promise<{ peer: CliPeer, ledger: string, id: string, stderr: () => string }> {
  const ledger = join(await peers.dir(), 'ledger.jsonl')
  const peer = await peers.start({ app: 'test/fixtures/ledger-app', env: { LEDGER_FILE: ledger } })
  const stderr = stderrOf(peer)
  const res = await fetch(`${peer.http}/api/enqueue-slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) })
  expect(res.status).toBe(200)
  const { id } = await res.json() as { id: string }
  await waitFor('the slow task to start', async () => (await ledgerEntries(ledger)).some(e => e.event === 'start' && e.task === id), 20_000, 50)
  return { peer, ledger, id, stderr }
}

describe('troupe start progress', () => {
  it('shows that it is dialing a seed that is not up yet, then one "joined" line once it is', async () => {
    const seedPort = await freePort()
    const late = await peers.start({ seed: `/ip4/127.0.0.1/tcp/${seedPort}` })
    const stderr = stderrOf(late)
    await late.proc.waitFor(/joining: dialing 1 seed\.\.\. \(\d+s\)/, 10_000)
    expect(late.proc.output()).not.toMatch(/joined:/)

    const seed = peers.run(['start', '--port', String(await freePort()), '--listen', `/ip4/127.0.0.1/tcp/${seedPort}`, '--data', await peers.dir(), '--log-level', 'warn', ...FAST_MEMBERSHIP_FLAGS])
    await seed.waitFor(/joining: no seeds, so this is the first peer/)
    await late.proc.waitFor(/joined: 2 members alive, (1 voter|2 voters|voters not known yet)\n/, 20_000)
    // Nothing more about joining after that, and all of it on stderr (stdout keeps the banner).
    await new Promise(resolve => setTimeout(resolve, 2_500))
    const after = late.proc.output().split(/joined: .*\n/)[1] ?? ''
    expect(after).not.toMatch(/joining:/)
    expect(stderr()).toMatch(/joined: 2 members alive/)
    expect(seed.output()).not.toMatch(/joining: dialing/)

    late.proc.kill('SIGTERM')
    expect((await late.proc.exited).code).toBe(0)
    expect(stderr()).toMatch(/\nstopped \(\d+(ms|s)\)\n$/)
  }, 60_000)

  it('on SIGTERM, shows the running task it waits for, then exits 0 once the task has ended', async () => {
    const { peer, ledger, id, stderr } = await peerRunningSlowTask(4_000)
    peer.proc.kill('SIGTERM')
    await peer.proc.waitFor(/stopping: 1 task still running \(\d+s left\)/, 5_000)
    // The line came while the task still ran.
    expect((await ledgerEntries(ledger)).some(e => e.event === 'end' && e.task === id)).toBe(false)
    expect((await peer.proc.exited).code).toBe(0)
    expect((await ledgerEntries(ledger)).some(e => e.event === 'end' && e.task === id)).toBe(true)
    const lines = stderr().trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/^stopped \(\d+s\)$/)
    expect(lines.findIndex(l => l.startsWith('stopping: 1 task still running'))).toBeGreaterThanOrEqual(0)
  }, 60_000)

  it('a second signal cuts the stop short: exit 130 at once, the task abandoned', async () => {
    const { peer, ledger, id, stderr } = await peerRunningSlowTask(15_000)
    peer.proc.kill('SIGTERM')
    await peer.proc.waitFor(/stopping: 1 task still running/, 5_000)
    const secondAt = performance.now()
    peer.proc.kill('SIGTERM')
    expect((await peer.proc.exited).code).toBe(130)
    expect(performance.now() - secondAt).toBeLessThan(3_000)
    expect(stderr()).toMatch(/stopping: cut short by a second signal after \d+(ms|s); work still running is abandoned\n$/)
    expect((await ledgerEntries(ledger)).some(e => e.event === 'end' && e.task === id)).toBe(false)
  }, 60_000)
})
