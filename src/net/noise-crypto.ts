// noise's own crypto, with one repair for CPUs with AVX-512. noise seals and
// opens messages of 1,200 bytes and more with OpenSSL's ChaCha20-Poly1305;
// OpenSSL's AVX-512 Poly1305 (Node 20's OpenSSL 3.0) returns with the upper
// halves of the vector registers still in use, and until some other code
// clears them, every SSE instruction in compiled C++ (V8's builtins, Date.now,
// performance.now, Node's timers) pays a transition penalty. On such a
// machine one large noise message made the whole process about twice as slow
// (local asks 250,000 -> 125,000 per second; Date.now 40 -> 170 ns) until
// something cleared it, often for good. Measured in docs/performance.md.
//
// So after each message that went to OpenSSL, a one-shot SHA-512 of one byte
// (OpenSSL's SHA-512 ends with vzeroupper): ~0.5 µs against the several µs of
// sealing 1,200 bytes. Smaller messages go to noise's WebAssembly cipher,
// which leaves nothing behind. Nothing here changes a byte on the wire.
import * as nodeCrypto from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'

/** noise's default crypto hands messages of this many bytes and more (plaintext to seal, ciphertext to open) to OpenSSL. */
export const NOISE_OPENSSL_MIN_BYTES = 1_200

const ONE_BYTE = new Uint8Array(1)
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array) => unknown }).hash

/** Leaves the upper halves of the vector registers clear (OpenSSL's SHA-512 ends with vzeroupper). */
export function clearUpperVectorState(): void {
  if (oneShotHash !== undefined) oneShotHash('sha512', ONE_BYTE)
  else nodeCrypto.createHash('sha512').update(ONE_BYTE).digest()
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
    const sealed = defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    if (plaintext.byteLength >= NOISE_OPENSSL_MIN_BYTES) clearUpperVectorState()
    return sealed
  },
  chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
    try {
      return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    } finally {
      if (ciphertext.byteLength >= NOISE_OPENSSL_MIN_BYTES) clearUpperVectorState()
    }
  },
}
