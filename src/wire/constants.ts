// The link protocol's id and every limit it enforces, each with the reason
// for its value. Messenger Init fields default to these; relations between
// them are checked once, when a messenger is built (see checkLimits).

import { ConfigError } from '../errors.js'

/** One long-lived stream per peer pair carries every channel in both directions. */
export const PROTOCOL = '/troupe/link/1.0.0'

/** Frames are prefixed by a 4-byte big-endian length: fixed size keeps the decoder trivial to test byte by byte. */
export const FRAME_HEADER_BYTES = 4

/**
 * Largest encoded frame (header excluded) we send or accept: 4 MiB. A peer can
 * make us buffer at most this much for one frame before we can judge it, and a
 * frame this size holds a large batch or actor snapshot; anything bigger
 * should be chunked by the protocol that sends it.
 */
export const FRAME_BYTES_MAX = 4 * 1024 * 1024

/** Channel names are short identifiers (`lease/renew`); the bound stops a peer filling frames with junk keys. */
export const CHANNEL_LENGTH_MAX = 128

/** Request ids are uint32 (at most 5 bytes in msgpack) and wrap; 4 billion ids outlast any request timeout. */
export const REQUEST_ID_MAX = 0xffff_ffff

/** Error fields from the wire are bounded so a peer cannot hand us megabyte error names. */
export const ERROR_NAME_LENGTH_MAX = 128
export const ERROR_CODE_LENGTH_MAX = 128

/** Default request deadline: long enough for a busy peer, short enough that a lost reply is noticed. */
export const REQUEST_TIMEOUT_MS = 10_000

/** Opening a connection and negotiating the protocol: a LAN peer answers in milliseconds. */
export const DIAL_TIMEOUT_MS = 5_000

/** How long a closing link may take to flush and exchange FINs before it is aborted. */
export const CLOSE_TIMEOUT_MS = 2_000

/** Bytes waiting to be written on one link: 4 frames of the maximum size, so one large frame never blocks small ones. */
export const OUTBOUND_BYTES_MAX = 4 * (FRAME_BYTES_MAX + FRAME_HEADER_BYTES)

/**
 * Frames a link handles from what it read before it lets the event loop turn
 * (a `setImmediate`), so that the replies and messages they caused are written
 * out while it handles the rest. Without it, a chunk holding ~100 requests was
 * handled whole and answered in one write, the other peer likewise, and two
 * peers took turns idling: asks at 100 in flight kept a 2-core box 55% busy
 * at 67,000/s. With 32, ~88% busy at ~115,000/s (16 or 48: ~93-105,000/s;
 * docs/performance.md, session 16).
 */
export const READ_FRAMES_PER_TURN = 32

/** Frames waiting to be written on one link; past this the peer is not reading and senders must back off. */
export const OUTBOUND_FRAMES_MAX = 16_384

/** Requests awaiting a reply on one link; bounds the pending table and timers. */
export const INFLIGHT_REQUESTS_MAX = 8_192

/** Remote requests whose handlers run at once on one link; excess is refused with BackpressureError. */
export const INBOUND_REQUESTS_MAX = 8_192

/** Streams per connection for our protocol: one in use, plus room for a simultaneous open and a draining one. */
export const STREAMS_PER_CONNECTION_MAX = 4

export interface WireLimits {
  frameBytesMax: number
  outboundBytesMax: number
  outboundFramesMax: number
  inflightRequestsMax: number
  inboundRequestsMax: number
  requestTimeoutMs: number
}

/** Rejects limits that cannot work together, once, at construction. */
export function checkLimits(limits: WireLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`wire limit ${name} must be a positive integer, got ${value}`)
  }
  if (limits.outboundBytesMax < limits.frameBytesMax + FRAME_HEADER_BYTES) {
    throw new ConfigError(`outboundBytesMax (${limits.outboundBytesMax}) must hold at least one frame of frameBytesMax (${limits.frameBytesMax}) plus its header`)
  }
  if (limits.frameBytesMax > 0xffff_ffff) throw new ConfigError('frameBytesMax must fit the 4-byte length prefix')
}
