// A private cluster: every peer holds the same secret, from which we derive
// libp2p's pre-shared key (@libp2p/pnet). A peer without it cannot complete a
// connection, so it can neither gossip nor call our protocols. The secret
// comes from a file or the environment, never from a command-line argument
// (those show in `ps`).

import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import type { Libp2pOptions } from 'libp2p'

/** Short secrets are guessable; 16 characters is the least we accept. */
export const SECRET_CHARS_MIN = 16
export const SECRET_ENV = 'TROUPE_CLUSTER_SECRET'

/** The swarm key pnet expects, derived (SHA-256, domain-separated) from the cluster secret. */
export function swarmKeyFromSecret(secret: string): Uint8Array {
  const trimmed = secret.trim()
  if (trimmed.length < SECRET_CHARS_MIN) throw new ConfigError(`the cluster secret must be at least ${SECRET_CHARS_MIN} characters`)
  const hex = createHash('sha256').update('troupe/cluster-secret/1:').update(trimmed).digest('hex')
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`)
}

export async function connectionProtector(secret: string): Promise<NonNullable<Libp2pOptions['connectionProtector']>> {
  // Loaded only for a private cluster: its cipher's buffers would otherwise sit in every open peer.
  const { preSharedKey } = await import('@libp2p/pnet')
  return preSharedKey({ psk: swarmKeyFromSecret(secret) })
}

/** Reads the secret from a file (its whole content, trimmed). */
export async function readSecretFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (err) {
    throw new ConfigError(`cannot read the cluster secret file ${path}: ${(err as Error).message}`, { cause: err })
  }
}
