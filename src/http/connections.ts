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
  const busy = new Map<Socket, number>()
  let draining = false
  server.on('connection', (socket: Socket) => {
    busy.set(socket, 0)
    socket.once('close', () => busy.delete(socket))
  })
  // One shared listener per response rather than a closure (this runs on every request).
  function onResponseClose(this: ServerResponse): void {
    const socket = this.req.socket
    const before = busy.get(socket)
    // Gone already (the socket closed first, e.g. the client went away): not put back.
    if (before === undefined) return
    const left = before - 1
    busy.set(socket, left)
    // end() rather than destroy(): the response just written still reaches the client.
    if (draining && left === 0) socket.end()
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    if (draining && !res.headersSent) res.setHeader('connection', 'close')
    res.on('close', onResponseClose)
  })
  return {
    drain: () => {
      draining = true
      for (const [socket, requests] of busy) if (requests === 0) socket.destroy()
    },
    destroyAll: () => {
      for (const socket of busy.keys()) socket.destroy()
    },
  }
}
