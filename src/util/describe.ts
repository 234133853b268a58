// A short description of an untrusted value for an error message. String()
// and template literals call a map's own toString/valueOf, so a decoded body
// such as { toString: 1 } would make the message itself throw a TypeError;
// this never calls into the value and never prints a large one.

const SHORT_STRING_MAX = 40

/** A short, safe description of a value from the wire or a caller: never throws, never long. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length > SHORT_STRING_MAX ? `string(${value.length})` : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return `${value}`
  if (typeof value === 'bigint') return `${value}n`
  if (Array.isArray(value)) return `array(${value.length})`
  if (value instanceof Uint8Array) return `bytes(${value.length})`
  return typeof value
}

/** `text` within `max` characters: a longer one is cut and ends saying how long it was. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text
  const note = `… (${text.length} characters)`
  return text.slice(0, Math.max(0, max - note.length)) + note
}
