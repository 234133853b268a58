// Our noise crypto is noise's own plus a register clear after OpenSSL's
// ChaCha20-Poly1305: the same bytes sealed, the same plaintext opened, the
// same refusal of a forged message, on both sides of noise's size split.
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { describe, expect, it } from 'vitest'
import { NOISE_OPENSSL_MIN_BYTES, noiseCrypto } from '../../src/net/noise-crypto.js'

const key = randomBytes(32)
const nonce = new Uint8Array(12)
const ad = new Uint8Array(0)
const bytes = (x: Uint8Array | { subarray(): Uint8Array }): Uint8Array => x instanceof Uint8Array ? x : x.subarray()

describe('noise crypto', () => {
  for (const size of [0, 100, NOISE_OPENSSL_MIN_BYTES - 1, NOISE_OPENSSL_MIN_BYTES, NOISE_OPENSSL_MIN_BYTES + 16, 65_519]) {
    it(`seals and opens ${size} bytes exactly as noise's default crypto does`, () => {
      const plaintext = randomBytes(size)
      const sealed = bytes(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key))
      expect(Buffer.from(sealed).equals(Buffer.from(bytes(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key))))).toBe(true)
      expect(Buffer.from(bytes(noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key))).equals(plaintext)).toBe(true)
      const forged = Uint8Array.from(sealed)
      forged[0] = (forged[0] ?? 0) ^ 1
      expect(() => noiseCrypto.chaCha20Poly1305Decrypt(forged, nonce, ad, key)).toThrow()
    })
  }

  it(`gets OpenSSL's output (a Buffer) from noise's default crypto from ${NOISE_OPENSSL_MIN_BYTES} bytes on, WebAssembly's below: the split the register clear follows`, () => {
    const below = randomBytes(NOISE_OPENSSL_MIN_BYTES - 1)
    const at = randomBytes(NOISE_OPENSSL_MIN_BYTES)
    const sealedBelow = defaultCrypto.chaCha20Poly1305Encrypt(below, nonce, ad, key)
    const sealedAt = defaultCrypto.chaCha20Poly1305Encrypt(at, nonce, ad, key)
    expect([Buffer.isBuffer(sealedBelow), Buffer.isBuffer(sealedAt)]).toEqual([false, true])
    // Opening goes by the ciphertext's size (plaintext + 16-byte tag).
    const opened = (n: number): unknown => defaultCrypto.chaCha20Poly1305Decrypt(bytes(defaultCrypto.chaCha20Poly1305Encrypt(randomBytes(n), nonce, ad, key)), nonce, ad, key)
    expect([Buffer.isBuffer(opened(NOISE_OPENSSL_MIN_BYTES - 17)), Buffer.isBuffer(opened(NOISE_OPENSSL_MIN_BYTES - 16))]).toEqual([false, true])
  })
})
