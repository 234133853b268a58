// A tiny SMTP client (node:net, no dependencies): one connection, one
// message, no TLS or AUTH. Enough for the signup example's sink, or any
// local relay that accepts plain SMTP.

import { connect, type Socket } from 'node:net'

export interface Mail {
  from: string
  to: string
  subject: string
  /** Extra headers, e.g. { 'X-Troupe-Fence': ctx.fence }. */
  headers?: Record<string, string>
  text: string
}

export interface SendOptions {
  host?: string
  port: number
  /** Name given in EHLO; default localhost. */
  helo?: string
  signal?: AbortSignal
  /** The whole conversation's deadline; default 10 s. */
  timeoutMs?: number
}

/** A reply the server gave that was not the one expected. */
export class SmtpError extends Error {
  constructor(readonly code: number, readonly reply: string, readonly step: string) {
    super(`SMTP ${step}: ${reply}`)
    this.name = 'SmtpError'
  }
}

/** Sends one message; resolves with the server's reply to the data (e.g. "250 OK queued as 3"). */
export async function sendMail(mail: Mail, options: SendOptions): Promise<string> {
  const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port })
  const replies = new ReplyReader(socket)
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  const onAbort = (): void => { socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    signal.throwIfAborted()
    const step = async (name: string, line: string | undefined, expect: number): Promise<string> => {
      if (line !== undefined) socket.write(line + '\r\n')
      const { code, text } = await replies.next()
      if (code !== expect) throw new SmtpError(code, text, name)
      return text
    }
    await step('greeting', undefined, 220)
    await step('EHLO', `EHLO ${options.helo ?? 'localhost'}`, 250)
    await step('MAIL FROM', `MAIL FROM:<${address(mail.from)}>`, 250)
    await step('RCPT TO', `RCPT TO:<${address(mail.to)}>`, 250)
    await step('DATA', 'DATA', 354)
    const accepted = await step('message', formatMessage(mail) + '\r\n.', 250)
    await step('QUIT', 'QUIT', 221).catch(() => undefined)
    return accepted
  } finally {
    signal.removeEventListener('abort', onAbort)
    socket.destroy()
  }
}

/** Headers, a blank line, the body with CRLF line ends and leading dots doubled. */
export function formatMessage(mail: Mail): string {
  const headers: Record<string, string> = {
    From: mail.from,
    To: mail.to,
    Subject: mail.subject,
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    ...mail.headers,
  }
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${oneLine(v)}`)
  const body = mail.text.split(/\r?\n/).map(line => (line.startsWith('.') ? '.' + line : line))
  return [...head, '', ...body].join('\r\n')
}

/** The bare address of "Name <a@b>" or "a@b". */
function address(value: string): string {
  const m = /<([^>]+)>/.exec(value)
  return oneLine(m?.[1] ?? value)
}

/** Headers and commands are one line each: no CR or LF from user input gets through. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ')
}

/** Reads complete replies ("250-a", "250 b" → one reply) from the socket, in order. */
class ReplyReader {
  private buffer = ''
  private lines: string[] = []
  private ready: Array<{ code: number, text: string }> = []
  private waiting: { resolve: (r: { code: number, text: string }) => void, reject: (e: Error) => void } | undefined
  private failure: Error | undefined

  constructor(socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.onData(chunk))
    socket.on('error', err => this.fail(err))
    socket.on('close', () => this.fail(new Error('the SMTP server closed the connection')))
  }

  next(): Promise<{ code: number, text: string }> {
    const reply = this.ready.shift()
    if (reply !== undefined) return Promise.resolve(reply)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject } })
  }

  private onData(chunk: string): void {
    this.buffer += chunk
    for (;;) {
      const end = this.buffer.indexOf('\n')
      if (end < 0) break
      const line = this.buffer.slice(0, end).replace(/\r$/, '')
      this.buffer = this.buffer.slice(end + 1)
      this.lines.push(line)
      // "250-" continues a reply; "250 " (or a bare "250") ends it.
      if (line.charAt(3) === '-') continue
      const text = this.lines.join('\n')
      this.lines = []
      this.push({ code: Number.parseInt(line.slice(0, 3), 10), text })
    }
  }

  private push(reply: { code: number, text: string }): void {
    const w = this.waiting
    this.waiting = undefined
    if (w !== undefined) w.resolve(reply)
    else this.ready.push(reply)
  }

  private fail(err: Error): void {
    this.failure ??= err
    const w = this.waiting
    this.waiting = undefined
    w?.reject(this.failure)
  }
}
