// A TCP proxy on 127.0.0.1 in front of a real listener, for tests that must
// see or touch the bytes of a connection: what the dialer sends passes through
// `toTarget` (which may change it), and what the target sends back is shown to
// `fromTarget`. Closing either side closes the other.
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface TcpProxyHooks {
  /** Each chunk from the dialer before it goes on to the target; returns what to forward. */
  toTarget?: (data: Buffer) => Buffer
  /** Each chunk from the target, as it goes back to the dialer. */
  fromTarget?: (data: Buffer) => void
}

export async function tcpProxy(target: { address: string, port: number }, hooks: TcpProxyHooks = {}): Promise<{ server: Server, port: number }> {
  const server = createServer((inbound: Socket) => {
    const outbound = connect(target.port, target.address)
    inbound.on('data', (data: Buffer) => { outbound.write(hooks.toTarget?.(data) ?? data) })
    outbound.on('data', (data: Buffer) => { hooks.fromTarget?.(data); inbound.write(data) })
    inbound.on('close', () => outbound.destroy())
    outbound.on('close', () => inbound.destroy())
    inbound.on('error', () => {})
    outbound.on('error', () => {})
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return { server, port: (server.address() as { port: number }).port }
}
