// Request and error ids: a random prefix per app (one peer incarnation) and a
// counter. Unique within the incarnation by the counter, across incarnations
// by the prefix (48 random bits); no `randomUUID` per request. Ids match
// REQUEST_ID_PATTERN, so a client may send one back as its own `x-request-id`.
import { randomBytes } from 'node:crypto'

/** Random bytes in the per-incarnation prefix (12 hex characters). */
export const ID_PREFIX_BYTES = 6

/** `random(n)` returns n random bytes; injected in tests. Default `crypto.randomBytes`. */
export function idGenerator(random: (bytes: number) => Uint8Array = randomBytes): () => string {
  const prefix = `${Buffer.from(random(ID_PREFIX_BYTES)).toString('hex')}-`
  let next = 0
  return () => flat(prefix + (next++).toString(36))
}

/**
 * The same string, flattened. V8 keeps a concatenation of 13 or more characters as a rope (a ConsString);
 * node's header validation (a regexp test of every response header's value) then leaves its fast path for
 * the runtime, which flattens the id there, on every response. Reading one character flattens it in place
 * once, here.
 */
function flat(s: string): string {
  s.charCodeAt(0)
  return s
}
