// A tiny SMTP sink for the signup example: speaks enough SMTP for a client
// to deliver (220 greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA ... ".",
// RSET, NOOP, QUIT) and appends every accepted message to a JSON-lines file.
//
// It also plays the part of a resource that rejects stale writers: it keeps,
// per lease partition (header X-Troupe-Partition), the highest fence it has
// seen (header X-Troupe-Fence) and refuses a message carrying an older one
// with 554, so a peer that lost its partition cannot deliver any more.

import { appendFile, mkdir } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'

export interface SinkOptions {
  /** Where accepted messages are appended, one JSON object a line. */
  file: string
  /** Default 2525; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Do not keep the process alive for the sink alone. */
  unref?: boolean
}

export interface SinkMessage {
  receivedAt: string
  from: string
  to: string[]
  headers: Record<string, string>
  body: string
}

export interface Sink {
  readonly port: number
  /** Messages accepted since the sink started. */
  readonly accepted: number
  /** Messages refused for a stale fence. */
  readonly refused: number
  close(): Promise<void>
}

/** Longest command or text line (RFC 5321 says 1 000 with CRLF). */
const LINE_MAX = 1_000
/** Largest message accepted. */
const MESSAGE_MAX = 1_000_000
/** A connection that says nothing for this long is closed. */
const IDLE_MS = 30_000

export async function startSmtpSink(options: SinkOptions): Promise<Sink> {
  await mkdir(dirname(options.file), { recursive: true })
  const fences = new Map<string, string>()
  const sockets = new Set<Socket>()
  let writes: Promise<void> = Promise.resolve()
  const counts = { accepted: 0, refused: 0 }

  /** Appends in arrival order; resolves once the line is in the file. */
  const store = (message: SinkMessage): Promise<void> => {
    const line = JSON.stringify(message) + '\n'
    const write = writes.then(() => appendFile(options.file, line))
    writes = write.catch(() => undefined)
    return write
  }

  /** Accepts the message's fence, or says why it is stale. */
  const checkFence = (headers: Record<string, string>): string | undefined => {
    const fence = headers['x-troupe-fence']
    const partition = headers['x-troupe-partition']
    if (fence === undefined || partition === undefined) return undefined
    const newest = fences.get(partition)
    if (newest !== undefined && fence < newest) return `stale fence ${fence} for partition ${partition} (newest ${newest})`
    fences.set(partition, fence)
    return undefined
  }

  const server: Server = createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    if (options.unref === true) socket.unref()
    serve(socket, { store, checkFence, counts })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 2525, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  if (options.unref === true) server.unref()
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    get accepted() { return counts.accepted },
    get refused() { return counts.refused },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await writes
    },
  }
}

interface Session {
  store(message: SinkMessage): Promise<void>
  checkFence(headers: Record<string, string>): string | undefined
  counts: { accepted: number, refused: number }
}

function serve(socket: Socket, session: Session): void {
  let buffer = ''
  let from: string | undefined
  let to: string[] = []
  let data: string[] | undefined
  let dataBytes = 0
  /** Lines are handled one after another, so replies keep their order. */
  let busy: Promise<void> = Promise.resolve()

  const reply = (line: string): void => {
    if (!socket.destroyed) socket.write(line + '\r\n')
  }
  const reset = (): void => {
    from = undefined
    to = []
    data = undefined
    dataBytes = 0
  }

  const finishData = async (lines: string[]): Promise<void> => {
    const message = parseMessage(from ?? '', to, lines)
    const size = dataBytes
    reset()
    if (size > MESSAGE_MAX) return reply('552 5.3.4 message too big')
    const stale = session.checkFence(message.headers)
    if (stale !== undefined) {
      session.counts.refused++
      return reply(`554 5.7.1 ${stale}`)
    }
    try {
      await session.store(message)
      session.counts.accepted++
      reply(`250 2.0.0 OK queued as ${session.counts.accepted}`)
    } catch (err) {
      reply(`451 4.3.0 cannot store the message: ${(err as Error).message}`)
    }
  }

  const command = (line: string): void => {
    const verb = line.slice(0, 4).toUpperCase()
    const arg = line.slice(4).trim()
    switch (verb) {
      case 'EHLO': return reply('250-troupe-sink\r\n250-8BITMIME\r\n250 SIZE ' + MESSAGE_MAX)
      case 'HELO': return reply('250 troupe-sink')
      case 'MAIL': {
        const m = /^FROM:\s*<([^>]*)>/i.exec(arg)
        if (m === null) return reply('501 5.5.4 syntax: MAIL FROM:<address>')
        reset()
        from = m[1] ?? ''
        return reply('250 2.1.0 OK')
      }
      case 'RCPT': {
        if (from === undefined) return reply('503 5.5.1 MAIL first')
        const m = /^TO:\s*<([^>]+)>/i.exec(arg)
        if (m === null) return reply('501 5.5.4 syntax: RCPT TO:<address>')
        to.push(m[1] ?? '')
        return reply('250 2.1.5 OK')
      }
      case 'DATA':
        if (to.length === 0) return reply('503 5.5.1 RCPT first')
        data = []
        return reply('354 end data with <CR><LF>.<CR><LF>')
      case 'RSET': reset(); return reply('250 2.0.0 OK')
      case 'NOOP': return reply('250 2.0.0 OK')
      case 'QUIT':
        reply('221 2.0.0 bye')
        socket.end()
        return
      default: return reply('502 5.5.2 command not recognized')
    }
  }

  /** Handles one line; a finished message resolves once it is stored and answered. */
  const onLine = async (line: string): Promise<void> => {
    if (data === undefined) return command(line)
    if (line === '.') {
      const lines = data
      data = undefined
      return finishData(lines)
    }
    dataBytes += line.length + 2
    // Keep collecting past the limit only to find the end; the message is refused then.
    if (dataBytes <= MESSAGE_MAX) data.push(line.startsWith('.') ? line.slice(1) : line)
  }

  socket.setEncoding('utf8')
  socket.setTimeout(IDLE_MS, () => socket.destroy())
  socket.on('error', () => socket.destroy())
  socket.on('data', (chunk: string) => {
    buffer += chunk
    for (;;) {
      const end = buffer.indexOf('\r\n')
      if (end < 0) break
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      busy = busy.then(() => onLine(line)).catch(() => { socket.destroy() })
    }
    if (buffer.length > LINE_MAX && data === undefined) {
      reply('500 5.5.6 line too long')
      socket.destroy()
    }
  })
  reply('220 troupe-sink ESMTP ready')
}

/** Splits the header block from the body; header names are lowercased, folded lines joined. */
export function parseMessage(from: string, to: string[], lines: string[]): SinkMessage {
  const headers: Record<string, string> = {}
  let i = 0
  let last: string | undefined
  for (; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '') { i++; break }
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers[last] += ' ' + line.trim()
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    last = line.slice(0, colon).trim().toLowerCase()
    headers[last] = line.slice(colon + 1).trim()
  }
  return { receivedAt: new Date().toISOString(), from, to, headers, body: lines.slice(i).join('\n') }
}
