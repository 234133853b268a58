// Puts an app on a TCP port with @hono/node-server. The only module of the
// HTTP layer that touches a socket.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { consoleLogger, type Logger } from '../app/logger.js'
import { AbortedError, ConfigError } from '../errors.js'
import { trackConnections, type ConnectionTracker } from './connections.js'

export interface ListenOptions {
  /** 0 picks a free port; `Listening.port` says which. */
  port: number
  /** Default 127.0.0.1: serving beyond the machine is a choice, not an accident. */
  host?: string
  /** Aborting it closes the server, like `close()`. */
  signal?: AbortSignal
  /** Requests still running this long after `close()` have their sockets cut. Default 5 s. */
  closeGraceMs?: number
  logger?: Logger
}

export interface Listening {
  url: string
  port: number
  /** Stops accepting, closes idle keep-alive sockets at once, waits for running requests. */
  close: () => Promise<void>
}

export interface FetchApp {
  /** Called with @hono/node-server's bindings (`{ incoming, outgoing }`) as `env`. */
  fetch: (request: Request, env?: never) => Response | Promise<Response>
}

export async function listen(app: FetchApp, options: ListenOptions): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger ?? consoleLogger
  if (options.signal?.aborted === true) throw new AbortedError('listen aborted before it started')
  const server = createAdaptorServer({ fetch: (req, env) => app.fetch(req, env as never), hostname: host }) as Server
  const connections = trackConnections(server)
  await bind(server, options.port, host)
  server.on('error', (err) => logger.error('http server error', { err: String(err) }))
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= shutdown(server, connections, options.closeGraceMs ?? 5_000))
  options.signal?.addEventListener('abort', () => {
    close().catch((err: unknown) => logger.error('closing the http server failed', { err: String(err) }))
  }, { once: true })
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, close }
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      reject(listenError(err, port, host))
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): ConfigError {
  if (err.code === 'EADDRINUSE') return new ConfigError(`port ${port} on ${host} is already in use`, { code: 'ERR_PORT_IN_USE', cause: err })
  if (err.code === 'EACCES') return new ConfigError(`no permission to listen on port ${port} on ${host}`, { code: 'ERR_PORT_DENIED', cause: err })
  return new ConfigError(`cannot listen on ${host}:${port}: ${err.message}`, { cause: err })
}

function shutdown(server: Server, connections: ConnectionTracker, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Cut whatever is still running after the grace period, so close() always ends.
    const timer = setTimeout(() => connections.destroyAll(), graceMs)
    timer.unref()
    server.close((err) => {
      clearTimeout(timer)
      if (err !== undefined) reject(err)
      else resolve()
    })
    // An idle keep-alive socket would otherwise hold close() open until its own timeout.
    connections.drain()
  })
}
