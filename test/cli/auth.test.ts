// The admin token through the CLI, as a user runs it (dist/cli/main.js): a
// peer started with TROUPE_ADMIN_TOKEN or --admin-token-file, `troupe
// enqueue` and `troupe tasks` with and without the token, and bad token
// settings that stop `troupe start` with one line and exit 2.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CliPeers } from '../helpers/cli-peers.js'
import { runCli } from '../helpers/process.js'

const TOKEN = 'cli-admin-token-0123456789'
const peers = new CliPeers()
afterAll(() => peers.cleanup(), 30_000)

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, out: string }> {
  const proc = runCli(args, { TROUPE_ADMIN_TOKEN: '', ...env })
  let stdout = ''
  proc.proc.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const { code } = await proc.exited
  return { code, stdout, out: proc.output() }
}

function oneLine(out: string): string {
  const lines = out.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(out).not.toMatch(/\n\s+at /)
  return lines[0]!
}

describe('troupe enqueue and troupe tasks against a peer with an admin token', () => {
  it('fail with one line without the token or with a wrong one, and work with it from the environment or a file', async () => {
    const peer = await peers.start({ env: { TROUPE_ADMIN_TOKEN: TOKEN } })
    const url = ['--url', peer.http]

    const refused = await cli(['enqueue', 'tally', '{"key":"k","by":1}', ...url])
    expect(refused.code).toBe(1)
    expect(oneLine(refused.out)).toMatch(/^troupe: cannot enqueue tally: .*admin token.* \(UnauthorizedError, 401\); set TROUPE_ADMIN_TOKEN or --admin-token-file$/)
    const wrong = await cli(['tasks', 'list', ...url], { TROUPE_ADMIN_TOKEN: 'not-the-token-0123456789' })
    expect(wrong.code).toBe(1)
    expect(oneLine(wrong.out)).toMatch(/\(UnauthorizedError, 401\); the token sent was refused$/)

    const enqueued = await cli(['enqueue', 'tally', '{"key":"k","by":1}', '--delay-ms', '60000', ...url], { TROUPE_ADMIN_TOKEN: TOKEN })
    expect(enqueued.code).toBe(0)
    const id = enqueued.stdout.trim()
    expect(id).toMatch(/^\S+$/)

    const file = join(await peers.dir(), 'admin.token')
    await writeFile(file, `${TOKEN}\n`, { mode: 0o600 })
    const listed = await cli(['tasks', 'list', '--json', '--admin-token-file', file, ...url])
    expect(listed.code).toBe(0)
    expect((JSON.parse(listed.stdout) as { tasks: Array<{ id: string }> }).tasks.map(t => t.id)).toEqual([id])
    const cancelled = await cli(['tasks', 'cancel', id, '--admin-token-file', file, ...url])
    expect(cancelled).toMatchObject({ code: 0, stdout: expect.stringMatching(/^cancelled task \S+ \(tally\): now cancelled$/m) })

    // Status needs no token.
    expect((await cli(['status', ...url])).code).toBe(0)
    // There is no flag that takes the token itself.
    const asFlag = await cli(['tasks', 'list', '--admin-token', TOKEN, ...url])
    expect(asFlag.code).toBe(2)
    expect(oneLine(asFlag.out)).toMatch(/^troupe: Unknown option '--admin-token'/)
  }, 40_000)

  it('troupe start takes the token from --admin-token-file', async () => {
    const file = join(await peers.dir(), 'admin.token')
    await writeFile(file, TOKEN, { mode: 0o600 })
    const peer = await peers.start({ extra: ['--admin-token-file', file] })
    expect((await fetch(`${peer.http}/tasks`)).status).toBe(401)
    expect((await fetch(`${peer.http}/tasks`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  }, 30_000)
})

describe('bad token settings stop troupe start with one line and exit 2', () => {
  it('names the setting', async () => {
    const dir = await peers.dir()
    const missing = join(dir, 'no-such.token')
    const start = (extra: string[], env: Record<string, string>): Promise<{ code: number | null, out: string }> =>
      cli(['start', '--port', '0', '--data', join(dir, 'data'), '--log-level', 'warn', ...extra], env)
    const [short, noFile, same, shortAction] = await Promise.all([
      start([], { TROUPE_ADMIN_TOKEN: 'short' }),
      start(['--admin-token-file', missing], {}),
      start([], { TROUPE_ADMIN_TOKEN: TOKEN, TROUPE_ACTION_TOKEN: TOKEN }),
      start([], { TROUPE_ACTION_TOKEN: 'abc' }),
    ])
    expect(short.code).toBe(2)
    expect(oneLine(short.out)).toBe('troupe: TROUPE_ADMIN_TOKEN: the token must be at least 16 characters, got 5')
    expect(noFile.code).toBe(2)
    expect(oneLine(noFile.out)).toMatch(new RegExp(`^troupe: adminTokenFile: cannot read ${missing}: ENOENT`))
    expect(same.code).toBe(2)
    expect(oneLine(same.out)).toMatch(/^troupe: the action token must differ from the admin token/)
    expect(shortAction.code).toBe(2)
    expect(oneLine(shortAction.out)).toBe('troupe: TROUPE_ACTION_TOKEN: the token must be at least 16 characters, got 3')
  }, 30_000)
})
