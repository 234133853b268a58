// Tracks which sockets are serving a request, so shutdown can close the rest
// at once. Node's closeIdleConnections misses sockets that connected but never
// sent a request (undici opens one after an aborted fetch), and those would
// hold server.close() open until the client's own keep-alive timeout.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionTracker {
  /** Closes idle sockets now, and each busy one as soon as its response is sent. */
  drain: () => void
  /** Cuts every socket, busy or not. */
  destroyAll: () => void
}

export function trackConnections(server: Server): ConnectionTracker {
  // Each open socket, with the last response it was given (undefined before its first request). Responses are
  // written in request order, so a socket is busy exactly while its last response is unfinished. Nothing is
  // added to a response until close() starts draining: no listener per request.
  const latest = new Map<Socket, ServerResponse | undefined>()
  let draining = false
  server.on('connection', (socket: Socket) => {
    latest.set(socket, undefined)
    socket.once('close', () => latest.delete(socket))
  })
  // While draining: once a socket's last response is sent, the socket ends.
  // end() rather than destroy(): the response just written still reaches the client.
  function endIfLast(this: ServerResponse): void {
    const socket = this.req.socket
    if (latest.get(socket) === this) socket.end()
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    // Gone already (the socket closed first, e.g. the client went away): not put back.
    if (latest.has(socket)) latest.set(socket, res)
    if (!draining) return
    if (!res.headersSent) res.setHeader('connection', 'close')
    res.on('close', endIfLast)
  })
  return {
    drain: () => {
      if (draining) return
      draining = true
      for (const [socket, res] of latest) {
        if (res === undefined || res.writableFinished) socket.destroy()
        else res.on('close', endIfLast)
      }
    },
    destroyAll: () => {
      for (const socket of latest.keys()) socket.destroy()
    },
  }
}
