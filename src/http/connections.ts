// Tracks the open sockets, so shutdown can close the idle ones at once. Node's
// closeIdleConnections misses sockets that connected but never sent a request
// (undici opens one after an aborted fetch), and those would hold
// server.close() open until the client's own keep-alive timeout.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionTracker {
  /** Closes idle sockets now, and each busy one as soon as its response is sent. */
  drain: () => void
  /** Cuts every socket, busy or not. */
  destroyAll: () => void
}

/**
 * Node's http server keeps the response a socket is serving as `socket._httpMessage`, from the request's
 * arrival until that response is finished (then the next pipelined one, or null). Read only when draining:
 * nothing is done per request, and a finished response is not kept alive by a map until the socket's next
 * request (with 50 keep-alive clients, that held 50 responses through every young-generation GC: ~0.3 µs a
 * request, docs/performance.md, session 16). The tests in test/http/server.test.ts fail if Node stops setting it.
 */
interface ServingSocket extends Socket {
  _httpMessage?: ServerResponse | null
}

export function trackConnections(server: Server): ConnectionTracker {
  const open = new Set<ServingSocket>()
  let draining = false
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  })
  // While draining: once a socket's last response is sent, the socket ends. end() rather than destroy(): the
  // response just written still reaches the client. A response's 'close' comes after Node has given the
  // socket to the next pipelined response, if any.
  function endIfLast(this: ServerResponse): void {
    const socket = this.req.socket as ServingSocket
    const next = socket._httpMessage
    if (next === null || next === undefined || next === this) socket.end()
    else next.once('close', endIfLast)
  }
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    if (!res.headersSent) res.setHeader('connection', 'close')
  }
  return {
    drain: () => {
      if (draining) return
      draining = true
      server.on('request', onRequest)
      for (const socket of open) {
        const res = socket._httpMessage
        if (res === null || res === undefined) socket.destroy()
        else res.once('close', endIfLast)
      }
    },
    destroyAll: () => {
      for (const socket of open) socket.destroy()
    },
  }
}
