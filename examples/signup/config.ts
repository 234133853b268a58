// Where the SMTP sink listens and writes, from the environment.
import { resolve } from 'node:path'

/** SMTP_PORT, default 2525: where the sink listens and the task delivers. */
export function smtpPort(): number {
  const port = Number(process.env.SMTP_PORT ?? 2525)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`SMTP_PORT must be a port number, got ${process.env.SMTP_PORT}`)
  return port
}

/** SMTP_HOST, default 127.0.0.1. */
export function smtpHost(): string {
  return process.env.SMTP_HOST ?? '127.0.0.1'
}

/** SMTP_SINK_FILE, default .troupe/mailbox.jsonl (next to the peers' default data folders). */
export function sinkFile(): string {
  return resolve(process.env.SMTP_SINK_FILE ?? '.troupe/mailbox.jsonl')
}
