// The fenced sink: the "external resource" of docs/guarantees.md that checks
// fencing tokens. Handlers of "any" tasks POST /fence { key, fence, peer, phase }
// before they begin and before they finish; it refuses a fence older than the
// newest it accepted for that key, and logs every decision in order. It runs
// in the harness process, which is never paused or killed.

import { createServer, type Server } from 'node:http'
import type { SinkEntry } from './types.js'

/** Largest request body the sink reads: a key, a fence and a peer name. */
export const SINK_BODY_BYTES_MAX = 4_096

export interface Sink {
  url: string
  readonly log: readonly SinkEntry[]
  close(): Promise<void>
}

export async function startSink(nowUs: () => number): Promise<Sink> {
  const newest = new Map<string, string>()
  const log: SinkEntry[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > SINK_BODY_BYTES_MAX) req.destroy(new Error('sink request too large'))
    })
    req.on('end', () => {
      let entry: SinkEntry
      try {
        const b = JSON.parse(body) as { key: unknown, fence: unknown, peer: unknown, phase: unknown }
        if (req.url !== '/fence' || typeof b.key !== 'string' || typeof b.peer !== 'string' || (b.phase !== 'start' && b.phase !== 'end')) throw new Error('bad request')
        const fence = typeof b.fence === 'string' ? b.fence : null
        const seen = newest.get(b.key)
        const accepted = fence !== null && (seen === undefined || fence >= seen)
        if (accepted) newest.set(b.key, fence)
        entry = { key: b.key, fence, peer: b.peer, phase: b.phase, accepted, t: nowUs() }
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }))
        return
      }
      log.push(entry)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: entry.accepted }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise(resolve => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
