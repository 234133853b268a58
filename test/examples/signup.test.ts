// examples/signup: the action enqueues an "any" task per email (idempotency
// key), one peer sends each welcome email over SMTP to the sink the app starts
// itself with SMTP_SINK=1, and the sink refuses a sender whose fence is stale.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendMail, SmtpError } from '../../examples/signup/smtp-client.js'
import { startSmtpSink, type SinkMessage } from '../../examples/signup/smtp-sink.js'
import { freePort } from '../helpers/ports.js'
import { setEnv } from '../helpers/env.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { post, startCluster, type Cluster } from './cluster.js'

let cluster: Cluster
let dir: { path: string, remove: () => Promise<void> }
let mailbox: string
let restoreEnv = (): void => {}

async function readMailbox(file: string): Promise<SinkMessage[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as SinkMessage)
}

beforeAll(async () => {
  dir = await tempDir('troupe-signup-')
  mailbox = join(dir.path, 'mailbox.jsonl')
  // The app reads these when it loads (the sink) and when the task runs (the port).
  restoreEnv = setEnv({ SMTP_SINK: '1', SMTP_PORT: String(await freePort()), SMTP_SINK_FILE: mailbox })
  cluster = await startCluster('examples/signup')
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
  await dir?.remove()
  restoreEnv()
})

describe('examples/signup', () => {
  it('20 signups through 3 peers, one posted twice: 20 welcome emails, each once, each fenced', async () => {
    const { peers } = cluster
    const emails = Array.from({ length: 20 }, (_, i) => `user${i}@example.com`)
    const answers = await Promise.all(emails.map((email, i) => post(peers[i % 3]!, 'signup', { email, name: `User ${i}` })))
    // The same person again, through another peer and in other case: same task, no second email.
    const again = await post(peers[1]!, 'signup', { email: 'USER0@example.com', name: 'User 0' })
    expect([...answers, again].map(a => a.status)).toEqual(Array(21).fill(200))
    const tasks = answers.map(a => (a.json as { task: string }).task)
    expect(new Set(tasks).size).toBe(20)
    expect((again.json as { task: string }).task).toBe(tasks[0])

    await waitFor('20 tasks done', () => tasks.every(id => peers[0]!.tasks.get(id)?.state === 'done'), 20_000)
    const messages = await readMailbox(mailbox)
    expect(messages).toHaveLength(20)
    expect(messages.flatMap(m => m.to).sort()).toEqual([...emails].sort())
    expect(new Set(messages.map(m => m.headers['x-troupe-task'])).size).toBe(20)
    expect(new Set(messages.map(m => m.headers['message-id'])).size).toBe(20)
    for (const m of messages) {
      expect(m.headers['x-troupe-fence']).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{14}\..+$/)
      expect(m.headers['x-troupe-partition']).toMatch(/^\d+$/)
      expect(peers.map(p => p.id)).toContain(m.headers['x-troupe-peer'])
      expect(m.headers.subject).toMatch(/^Welcome, User \d+!$/)
      expect(m.body).toContain('thanks for signing up')
    }
  })

  it('refuses bad input with 422', async () => {
    const [a] = cluster.peers
    expect((await post(a!, 'signup', { email: 'not an email', name: 'x' })).status).toBe(422)
    expect((await post(a!, 'signup', { email: 'a@example.com' })).status).toBe(422)
  })
})

describe('the SMTP sink', () => {
  it('stores what the client sends, dot-stuffed lines intact, and refuses a stale fence', async () => {
    const d = await tempDir('troupe-sink-')
    const file = join(d.path, 'box.jsonl')
    const sink = await startSmtpSink({ file, port: 0 })
    try {
      const fenced = (fence: string, text: string) => sendMail({
        from: 'a@example.com', to: 'Bea <b@example.com>', subject: 'hi', text,
        headers: { 'X-Troupe-Fence': fence, 'X-Troupe-Partition': '3' },
      }, { port: sink.port })
      const newer = '00000002.00000000000005.peerB'
      const older = '00000001.00000000000009.peerA'
      await expect(fenced(newer, 'line one\n.starts with a dot\n.')).resolves.toMatch(/^250 /)
      await expect(fenced(older, 'from a deposed holder')).rejects.toThrow(SmtpError)
      await expect(fenced(newer, 'same holder again')).resolves.toMatch(/^250 /)
      const box = await readMailbox(file)
      expect(box.map(m => m.body)).toEqual(['line one\n.starts with a dot\n.', 'same holder again'])
      expect(box[0]!.to).toEqual(['b@example.com'])
      expect(sink.refused).toBe(1)
    } finally {
      await sink.close()
      await d.remove()
    }
  })
})
