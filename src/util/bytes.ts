// Bytes as text, read in place: a Buffer view of the same memory, no copy.

/** `bytes` (any view, at any offset) as a string in `encoding`. */
export function bytesToString(bytes: Uint8Array, encoding: BufferEncoding): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding)
}
