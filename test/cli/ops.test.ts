// The operator commands as a user runs them: `troupe status` against a real
// peer, `troupe new` then `troupe start` on what it wrote, and a --config file
// under the environment and flags. Real processes (dist/cli/main.js).

import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports.js'
import { ROOT, runCli, type PeerProcess } from '../helpers/process.js'
import { tempDir } from '../helpers/tmp.js'

const running: PeerProcess[] = []
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL')
    await p.exited
  }
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function dir(): Promise<string> {
  const d = await tempDir()
  cleanups.push(d.remove)
  return d.path
}

/** Starts `troupe start <args>` and resolves with its HTTP URL. */
async function start(args: string[], env: Record<string, string> = {}): Promise<{ proc: PeerProcess, http: string }> {
  const proc = runCli(['start', '--log-level', 'warn', ...args], env)
  running.push(proc)
  const [, http] = await proc.waitFor(/http: (\S+)/)
  return { proc, http: http! }
}

async function finished(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, out: string }> {
  const proc = runCli(args, env)
  const { code } = await proc.exited
  return { code, out: proc.output() }
}

describe('troupe status', () => {
  it('prints the members of a running peer as a table', async () => {
    const peer = await start(['--port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--data', await dir()])
    const { code, out } = await finished(['status', '--url', peer.http])
    expect(code).toBe(0)
    const lines = out.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^peer 12D3\S+: app troupe-default, troupe \d+\.\d+\.\d+, up \d+/)
    expect(lines[1]).toBe('1 member: 1 alive')
    expect(lines[3]).toMatch(/^ID\s+STATE\s+FOR\s+INC\s+HTTP\s+VERSION$/)
    expect(lines[4]).toMatch(new RegExp(`^12D3\\S+ \\(this peer\\)\\s+alive\\s+\\S+\\s+1\\s+${peer.http.replace(/[.]/g, '\\.')}\\s`))
    const json = await finished(['status', '--json'], { TROUPE_URL: peer.http })
    expect(JSON.parse(json.out)).toMatchObject({ app: 'troupe-default', members: [{ state: 'alive', self: true }] })
  })

  it('waits a moment, then fails with one line when no peer answers', async () => {
    const port = await freePort()
    const { code, out } = await finished(['status', '--url', `http://127.0.0.1:${port}`, '--wait-ms', '600'])
    expect(code).toBe(1)
    // It waited (said so, then retried until its budget ran out) rather than failing on the first refusal.
    expect(out.trimEnd().split('\n')).toEqual([
      `waiting for http://127.0.0.1:${port}...`,
      `troupe: cannot reach a peer at http://127.0.0.1:${port}: connection refused`,
    ])
  })

  it('--help, and a bad --url is a usage error', async () => {
    const [help, bad] = await Promise.all([finished(['status', '--help']), finished(['status', '--url', 'localhost:8080'])])
    expect(help.code).toBe(0)
    expect(help.out).toMatch(/Usage: troupe status/)
    expect(bad.code).toBe(2)
    expect(bad.out.trim()).toBe('troupe: --url must be an http:// or https:// URL, got "localhost:8080"')
  })
})

describe('troupe new', () => {
  it('scaffolds an app that troupe start serves', async () => {
    const app = join(await dir(), 'my-app')
    const made = await finished(['new', app])
    expect(made.code).toBe(0)
    expect(made.out).toMatch(/^created .*my-app: package\.json, tsconfig\.json, \.gitignore, index\.ts, actions\/greet\.ts, README\.md/)
    // What `npm install` would give the app: troupe (this copy) and zod.
    await mkdir(join(app, 'node_modules'))
    await symlink(ROOT, join(app, 'node_modules', 'troupe'), 'dir')
    await symlink(join(ROOT, 'node_modules', 'zod'), join(app, 'node_modules', 'zod'), 'dir')

    const peer = await start(['--app', app, '--port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--data', await dir()])
    expect(peer.proc.output()).toMatch(/troupe peer \S+ \(my-app\)/)
    const get = await fetch(`${peer.http}/api/greet?name=you&times=2`)
    expect(await get.json()).toMatchObject({ greeting: 'hello, you hello, you' })
    const post = await fetch(`${peer.http}/api/greet`, { method: 'POST', body: '{"times": 9}', headers: { 'content-type': 'application/json' } })
    expect(post.status).toBe(422)
  })

  it('refuses a folder that is not empty, with one line', async () => {
    const app = await dir()
    await writeFile(join(app, 'keep.txt'), 'mine')
    const [full, none, help] = await Promise.all([finished(['new', app]), finished(['new']), finished(['new', '--help'])])
    expect(full.code).toBe(1)
    expect(full.out.trim()).toBe(`troupe: ${app} is not empty; troupe new only writes into a new or empty folder`)
    expect(await readdir(app)).toEqual(['keep.txt'])
    expect(none.code).toBe(2)
    expect(none.out.trim()).toBe('troupe: troupe new needs a folder: troupe new <dir>')
    expect(help.out).toMatch(/Usage: troupe new <dir>/)
  })
})

describe('troupe start --config', () => {
  it('takes settings from the file, under the environment, under the flags', async () => {
    const folder = await dir()
    const [filePort, envPort] = [await freePort(), await freePort()]
    const config = join(folder, 'troupe.json')
    await writeFile(config, JSON.stringify({ port: filePort, listen: ['/ip4/127.0.0.1/tcp/0'], data: 'state', logLevel: 'warn' }))

    const fromFile = await start(['--config', config])
    expect(fromFile.http).toBe(`http://127.0.0.1:${filePort}`)
    expect(await readdir(folder)).toContain('state') // relative to the file
    fromFile.proc.kill('SIGTERM')
    await fromFile.proc.exited

    const fromEnv = await start(['--config', config, '--data', join(folder, 'b')], { TROUPE_PORT: String(envPort) })
    expect(fromEnv.http).toBe(`http://127.0.0.1:${envPort}`)
    const status = await (await fetch(`${fromEnv.http}/status`)).json() as { peer: { httpUrl: string } }
    expect(status.peer.httpUrl).toBe(fromEnv.http)
  })

  it('refuses an unknown key or a bad variable with one line naming it', async () => {
    const config = join(await dir(), 'troupe.json')
    await writeFile(config, JSON.stringify({ port: 0, prot: 1 }))
    const [unknown, badEnv, missing] = await Promise.all([
      finished(['start', '--config', config]),
      finished(['start', '--port', '0'], { TROUPE_DEAD_AFTER_MS: 'soon' }),
      finished(['start', '--config', join(config, '..', 'nope.json')]),
    ])
    expect(unknown.code).toBe(2)
    expect(unknown.out.trim()).toMatch(/^troupe: .*troupe\.json: unknown key "prot" \(known: port, /)
    expect(badEnv.code).toBe(2)
    expect(badEnv.out.trim()).toBe('troupe: TROUPE_DEAD_AFTER_MS: must be a whole number of milliseconds, got "soon"')
    expect(missing.out.trim()).toMatch(/^troupe: cannot read the config file .*nope\.json: no such file$/)
  })
})
