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
  return () => prefix + (next++).toString(36)
}
