// A damaged data folder stops `troupe start` with exit 2 and one line naming
// the file and what to do, and the damaged file is left exactly as it was
// (never recreated, never deleted). Real processes on real folders.

import { randomBytes } from 'node:crypto'
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliPeers } from '../helpers/cli-peers.js'

const peers = new CliPeers()
let original: string
let originalId: string

beforeAll(async () => {
  // A data folder a peer has run on and stopped cleanly.
  const peer = await peers.start()
  expect((await fetch(`${peer.http}/health`)).status).toBe(200)
  peer.proc.kill('SIGTERM')
  expect((await peer.proc.exited).code).toBe(0)
  original = peer.data
  originalId = peer.id
}, 30_000)
afterAll(() => peers.cleanup(), 30_000)

/** A copy of the good folder with `damage` done to it. */
async function damaged(damage: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(await peers.dir(), 'data')
  await cp(original, dir, { recursive: true })
  await damage(dir)
  return dir
}

async function startOn(dir: string): Promise<{ code: number | null, out: string }> {
  const proc = peers.run(['start', '--port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--data', dir, '--log-level', 'warn'])
  const { code } = await proc.exited
  return { code, out: proc.output().trim() }
}

const dataFile = (dir: string): string => join(dir, 'store', 'data.mdb')
const keyFile = (dir: string): string => join(dir, 'peer.key')

describe('a damaged data folder', () => {
  it('refuses to start on a store file that is garbage, truncated or empty, naming the file and leaving it as it was', async () => {
    const size = (await readFile(dataFile(original))).length
    const cases: Array<[string, (dir: string) => Promise<void>, RegExp]> = [
      ['overwritten with garbage', d => writeFile(dataFile(d), randomBytes(size)), /no LMDB header at its start/],
      ['truncated to its header pages', d => truncate(dataFile(d), 8192), /it is truncated: 8192 bytes, its header says \d+/],
      ['truncated inside its first page', d => truncate(dataFile(d), 100), /it is truncated to 100 bytes/],
      ['empty', d => truncate(dataFile(d), 0), /it is empty/],
    ]
    const dirs = await Promise.all(cases.map(([, damage]) => damaged(damage)))
    const before = await Promise.all(dirs.map(d => readFile(dataFile(d))))
    const results = await Promise.all(dirs.map(startOn))
    for (const [i, [what, , why]] of cases.entries()) {
      const { code, out } = results[i]!
      expect(code, what).toBe(2)
      expect(out.split('\n'), what).toHaveLength(1)
      expect(out, what).toMatch(new RegExp(`^troupe: the store file ${dataFile(dirs[i]!)} is corrupt \\(`))
      expect(out, what).toMatch(why)
      expect(out, what).toMatch(/Restore .* from a backup, or move it away to start with an empty store/)
      expect(await readFile(dataFile(dirs[i]!)), what).toEqual(before[i])
    }
  }, 40_000)

  it('refuses to start on a peer key that is damaged or empty, naming the file and leaving it as it was', async () => {
    const key = await readFile(keyFile(original))
    const flipped = Buffer.from(key)
    flipped.fill(0x5a, 10, 20)
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a flipped run of bytes', flipped, /its private and public halves do not match/],
      ['garbage', randomBytes(key.length), /is corrupt \(/],
      ['empty', Buffer.alloc(0), /the file is empty/],
    ]
    const dirs = await Promise.all(cases.map(([, bytes]) => damaged(d => writeFile(keyFile(d), bytes))))
    const results = await Promise.all(dirs.map(startOn))
    for (const [i, [what, bytes, why]] of cases.entries()) {
      const { code, out } = results[i]!
      expect(code, what).toBe(2)
      expect(out.split('\n'), what).toHaveLength(1)
      expect(out, what).toMatch(new RegExp(`^troupe: the peer identity ${keyFile(dirs[i]!)} is corrupt`))
      expect(out, what).toMatch(why)
      expect(out, what).toMatch(/restore it from a backup .* or move the whole data folder away/)
      expect(await readFile(keyFile(dirs[i]!)), what).toEqual(bytes)
    }
  }, 40_000)

  it('a copy of the untouched folder starts, with the same peer id (the damage, not the copying, is refused)', async () => {
    const peer = await peers.start({ data: await damaged(async () => {}) })
    expect(peer.id).toBe(originalId)
  }, 30_000)

  it('refuses to start on a value damaged inside a data page (a flipped byte the LMDB structure cannot see), naming the sub-database', async () => {
    const peer = await peers.start({ app: 'actors' })
    const marker = `MARKER-${randomBytes(6).toString('hex')}`
    const res = await fetch(`${peer.http}/api/post`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room: 'lobby', from: 'test', text: marker }) })
    expect(res.status).toBe(200)
    peer.proc.kill('SIGTERM')
    expect((await peer.proc.exited).code).toBe(0)
    const bytes = await readFile(dataFile(peer.data))
    const at = bytes.indexOf(marker)
    expect(at).toBeGreaterThan(0)
    bytes[at] = 'N'.charCodeAt(0)
    await writeFile(dataFile(peer.data), bytes)
    const { code, out } = await startOn(peer.data)
    expect(code).toBe(2)
    expect(out.split('\n')).toHaveLength(1)
    expect(out).toMatch(/^troupe: the store in .* is damaged: sub-database "actors", .*does not match its checksum/)
    expect(await readFile(dataFile(peer.data))).toEqual(bytes)
  }, 40_000)

  it('refuses a store written without value checksums (no format marker) with one line saying what to do', async () => {
    const dir = await damaged(d => rm(join(d, 'store', 'troupe-store-format')))
    const { code, out } = await startOn(dir)
    expect(code).toBe(2)
    expect(out.split('\n')).toHaveLength(1)
    expect(out).toMatch(/was written by an older Troupe \(values without checksums\).*Move the folder away/)
  }, 30_000)
})
