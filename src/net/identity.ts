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
  if (bytes !== undefined) return { key: await parseKey(path, bytes), created: false }
  const key = await generateKeyPair('Ed25519')
  try {
    await mkdir(dataDir, { recursive: true })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 })
    await rename(tmp, path)
  } catch (err) {
    const full = ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException).code ?? '')
    throw new ConfigError(`cannot write the peer identity ${path}: ${full ? 'the disk is full; free some space and start again' : (err as Error).message}`, { code: full ? 'ERR_STORE_FULL' : 'ERR_CONFIG', cause: err })
  }
  return { key, created: true }
}

/**
 * Parses the key file and checks that its two halves belong together (a
 * signature by the private half verifies with the public half), so a flipped
 * byte is caught here rather than as a peer id that nobody can dial.
 */
async function parseKey(path: string, bytes: Uint8Array): Promise<PrivateKey> {
  const corrupt = (why: string, cause?: unknown): ConfigError => new ConfigError(
    `the peer identity ${path} is corrupt (${why}); restore it from a backup to keep this peer's id, or move the whole data folder away to start as a new peer`,
    { code: 'ERR_IDENTITY_CORRUPT', cause })
  if (bytes.length === 0) throw corrupt('the file is empty')
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw corrupt((err as Error).message, err)
  }
  const probe = new TextEncoder().encode('troupe/identity-check')
  if (!(await key.publicKey.verify(probe, await key.sign(probe)))) throw corrupt('its private and public halves do not match')
  return key
}
