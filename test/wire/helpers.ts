// Real libp2p nodes on loopback for the wire tests, and a recording logger.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNode, type TroupeNode } from '../../src/net/node.js'
import type { WireLogger } from '../../src/wire/logger.js'

export async function startNode(): Promise<TroupeNode> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.start()
  return node
}

/** Connects `a` to `b` (so `a` knows `b`'s address and both have a connection). */
export async function connect(a: TroupeNode, b: TroupeNode): Promise<void> {
  const addr = b.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('node has no address')
  await a.dial(addr)
  // a.dial resolves when a's side is upgraded; b registers the connection a moment later.
  await until(() => b.getConnections(a.peerId).length > 0)
}

export interface RecordingLogger extends WireLogger {
  warnings: Array<{ msg: string, fields?: object }>
}

export function recordingLogger(): RecordingLogger {
  const warnings: RecordingLogger['warnings'] = []
  return { warnings, warn: (msg, fields) => { warnings.push({ msg, fields }) }, debug: () => {} }
}

/** Resolves once `fn` returns true, polling on a short timer (no fixed sleeps). */
export async function until(fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now()
  while (!fn()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A promise and its resolver, for handlers that must hang until a test lets go. */
export function gate(): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((r) => { open = r })
  return { promise, open }
}
