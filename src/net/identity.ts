// The peer's libp2p identity, kept in the data folder so that a restarted peer
// has the same peer id. The key file is written once, atomically, mode 0600.

import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'

export const IDENTITY_FILE = 'peer.key'

export interface Identity {
  key: PrivateKey
  /** True when the key was created by this call: a peer id that has never run before. */
  created: boolean
}

export async function loadOrCreateIdentity(dataDir: string): Promise<Identity> {
  const path = join(dataDir, IDENTITY_FILE)
  let bytes: Buffer | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read the peer identity ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (bytes !== undefined) {
    try {
      return { key: privateKeyFromProtobuf(bytes), created: false }
    } catch (err) {
      throw new ConfigError(`the peer identity ${path} is corrupt (${(err as Error).message}); move it away to start with a new peer id`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  try {
    await mkdir(dataDir, { recursive: true })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 })
    await rename(tmp, path)
  } catch (err) {
    throw new ConfigError(`cannot write the peer identity ${path}: ${(err as Error).message}`, { cause: err })
  }
  return { key, created: true }
}
