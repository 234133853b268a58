// Actor addresses: `type/key`, e.g. `cart/user-42`. The type is a short word;
// the key is everything after the first slash (it may contain slashes).
import { ACTOR_KEY_FORBIDDEN, ACTOR_KEY_LENGTH_MAX, ACTOR_TYPE_LENGTH_MAX, ACTOR_TYPE_PATTERN } from './constants.js'
import { InvalidAddressError } from './errors.js'

export interface ActorAddress {
  readonly address: string
  readonly type: string
  readonly key: string
}

/** The longest valid address, for checks on raw wire fields before parsing. */
export const ADDRESS_LENGTH_MAX = ACTOR_TYPE_LENGTH_MAX + 1 + ACTOR_KEY_LENGTH_MAX

/** Builds `type/key`, checking both parts. */
export function actorAddress(type: string, key: string): string {
  return parseAddress(`${type}/${key}`).address
}

/** Parses and checks an address from any source (caller or wire). */
export function parseAddress(address: unknown): ActorAddress {
  if (typeof address !== 'string' || address.length > ADDRESS_LENGTH_MAX) {
    throw new InvalidAddressError(`an actor address must be a string of at most ${ADDRESS_LENGTH_MAX} characters`)
  }
  const slash = address.indexOf('/')
  if (slash <= 0) throw new InvalidAddressError(`invalid actor address ${JSON.stringify(address)}: expected "type/key"`)
  const type = address.slice(0, slash)
  const key = address.slice(slash + 1)
  if (type.length > ACTOR_TYPE_LENGTH_MAX || !ACTOR_TYPE_PATTERN.test(type)) {
    throw new InvalidAddressError(`invalid actor type in ${JSON.stringify(address)}: use 1-${ACTOR_TYPE_LENGTH_MAX} characters from [a-zA-Z0-9_.-]`)
  }
  if (key.length === 0 || key.length > ACTOR_KEY_LENGTH_MAX || ACTOR_KEY_FORBIDDEN.test(key)) {
    throw new InvalidAddressError(`invalid actor key in ${JSON.stringify(address)}: use 1-${ACTOR_KEY_LENGTH_MAX} characters, no control characters`)
  }
  return { address, type, key }
}
