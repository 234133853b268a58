// A (nearly) full disk under a real peer process: the data folder sits on a
// small tmpfs, and a filler file eats its space. Enqueue answers 507
// ERR_STORE_FULL while the disk is below the reserve, works again once space
// is freed, nothing acknowledged is lost across a restart, and a start below
// the reserve exits 2 with one line. Needs root (mount); skipped otherwise.

import { execFileSync } from 'node:child_process'
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliPeers } from '../helpers/cli-peers.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const MIB = 1024 * 1024
const RESERVE = 8 * MIB

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const mountPoint = await tempDir('troupe-full-')
const mounted = process.platform === 'linux' && process.getuid?.() === 0 && tryMount(mountPoint.path)
if (!mounted) console.log('full-disk test skipped: cannot mount a tmpfs (needs root on Linux)')

const peers = new CliPeers()
const data = join(mountPoint.path, 'data')
const filler = join(mountPoint.path, 'filler')

afterAll(async () => {
  await peers.cleanup()
  if (mounted) execFileSync('umount', [mountPoint.path])
  await mountPoint.remove()
}, 30_000)

/** Leaves `bytes` free on the tmpfs. */
async function fillUntil(bytes: number): Promise<void> {
  const s = await statfs(mountPoint.path)
  await writeFile(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - bytes)))
}

async function enqueue(http: string, key: string): Promise<{ status: number, body: { id: string, [key: string]: unknown } }> {
  const res = await fetch(`${http}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tally', input: { key, by: 1 }, delayMs: 3_600_000 }) })
  return { status: res.status, body: await res.json() as { id: string } }
}

async function taskIds(http: string): Promise<string[]> {
  return ((await (await fetch(`${http}/tasks`)).json()) as { tasks: Array<{ id: string }> }).tasks.map(t => t.id)
}

describe.skipIf(!mounted)('a full disk under a running peer', () => {
  beforeAll(async () => { await mkdir(data) })

  it('refuses enqueues with 507 while below the reserve, accepts them again when space is freed, and loses nothing acknowledged', async () => {
    const extra = ['--store-free-bytes-min', String(RESERVE)]
    const peer = await peers.start({ data, extra })
    const first = await enqueue(peer.http, 'before')
    expect(first.status).toBe(202)

    await fillUntil(2 * MIB)
    // Free space is measured every second: enqueues in between are still accepted, and must not be lost.
    const acknowledged: string[] = [first.body.id]
    const refused = await waitFor('enqueue refused for a full disk', async () => {
      const r = await enqueue(peer.http, 'during')
      if (r.status === 202) acknowledged.push(r.body.id)
      return r.status === 202 ? undefined : r
    }, 5_000, 100)
    expect(refused).toMatchObject({ status: 507, body: { error: { name: 'StoreFullError', code: 'ERR_STORE_FULL', retryable: true, message: expect.stringMatching(/free, less than the 8\.0 MiB reserve/) } } })
    await peer.proc.waitFor(/"level":50.*the disk holding .* writes are refused until space is freed/)
    expect(acknowledged.length).toBeLessThan(15)
    expect((await taskIds(peer.http)).sort()).toEqual([...acknowledged].sort())
    expect((await fetch(`${peer.http}/health`)).status).toBe(200)

    await rm(filler)
    const second = await waitFor('enqueue accepted again', async () => {
      const r = await enqueue(peer.http, 'after')
      return r.status === 202 ? r : undefined
    }, 5_000, 100)

    expect((await fetch(`${peer.http}/health`)).status).toBe(200)
    peer.proc.kill('SIGTERM')
    expect((await peer.proc.exited).code).toBe(0)
    const again = await peers.start({ data, extra })
    acknowledged.push(second.body.id)
    expect((await taskIds(again.http)).sort()).toEqual([...acknowledged].sort())
    again.proc.kill('SIGTERM')
    expect((await again.proc.exited).code).toBe(0)
  }, 60_000)

  it('starts no task while below the reserve (its outcome could not be written), and runs a due one once space is freed', async () => {
    const dir = join(mountPoint.path, 'due')
    const extra = ['--store-free-bytes-min', String(RESERVE)]
    const peer = await peers.start({ data: dir, extra })
    const post = async (delayMs: number): Promise<string> => {
      const res = await fetch(`${peer.http}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tally', input: { key: 'due', by: 1 }, delayMs }) })
      expect(res.status).toBe(202)
      return ((await res.json()) as { id: string }).id
    }
    const stateOf = async (id: string): Promise<{ state: string, attempts: unknown[] }> => await (await fetch(`${peer.http}/tasks/${id}`)).json() as { state: string, attempts: unknown[] }
    // A task run first: the peer holds its partitions and its runner starts tasks.
    const first = await post(0)
    await waitFor('a first task done', async () => (await stateOf(first)).state === 'done', 15_000, 100)
    const id = await post(2_500)
    const state = (): Promise<{ state: string, attempts: unknown[] }> => stateOf(id)
    try {
      await fillUntil(2 * MIB)
      await peer.proc.waitFor(/no task starts here until it accepts them/, 10_000)
      // Past its due time by two seconds: still pending, and its handler never ran into a refused write (it once
      // reran every 100 ms, each run's outcome refused).
      await new Promise(resolve => setTimeout(resolve, 4_000))
      expect((await state()).state).toBe('pending')
      expect(peer.proc.output()).not.toMatch(/failed to record/)
    } finally {
      await rm(filler)
    }
    const done = await waitFor('the task done once space is freed', async () => { const s = await state(); return s.state === 'done' ? s : undefined }, 10_000, 100)
    expect(done.attempts).toHaveLength(1)
    peer.proc.kill('SIGTERM')
    expect((await peer.proc.exited).code).toBe(0)
  }, 60_000)

  it('does not start below the reserve: exit 2 and one line', async () => {
    await fillUntil(2 * MIB)
    try {
      const proc = peers.run(['start', '--port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--data', data, '--log-level', 'warn', '--store-free-bytes-min', String(RESERVE)])
      const { code } = await proc.exited
      expect(code).toBe(2)
      const out = proc.output().trim()
      expect(out.split('\n')).toHaveLength(1)
      expect(out).toMatch(new RegExp(`^troupe: cannot start: the disk holding ${data} has \\d+\\.\\d MiB free, less than the 8\\.0 MiB reserve \\(storeFreeBytesMin\\)`))
    } finally {
      await rm(filler)
    }
  }, 30_000)
})
