// The Init both messengers accept: every field optional, defaults from
// constants.ts, relations checked once.

import { checkLimits, CLOSE_TIMEOUT_MS, DIAL_TIMEOUT_MS, FRAME_BYTES_MAX, FRAME_HEADER_BYTES, INBOUND_REQUESTS_MAX, INFLIGHT_REQUESTS_MAX, OUTBOUND_FRAMES_MAX, REQUEST_TIMEOUT_MS, type WireLimits } from './constants.js'

export interface MessengerInit {
  /** Default deadline of `request` (dial time included). Default 10 000. */
  requestTimeoutMs?: number
  /** Largest encoded frame sent or accepted. Default 4 MiB. */
  frameBytesMax?: number
  /** Encoded bytes queued for writing per link before `send`/`request` reject with BackpressureError. Default 4 frames of frameBytesMax. */
  outboundBytesMax?: number
  /** Frames queued for writing per link before BackpressureError. Default 16 384. */
  outboundFramesMax?: number
  /** Requests awaiting replies per link before BackpressureError. Default 8 192. */
  inflightRequestsMax?: number
  /** Remote requests whose handlers may run at once per link; beyond, the caller gets BackpressureError. Default 8 192. */
  inboundRequestsMax?: number
}

export interface Libp2pMessengerInit extends MessengerInit {
  /** Deadline for opening a connection and negotiating the protocol. Default 5 000. */
  dialTimeoutMs?: number
  /** How long a closing link may flush and wait for the peer's FIN before it is reset. Default 2 000. */
  closeTimeoutMs?: number
}

export function resolveLimits(init: MessengerInit): WireLimits {
  const frameBytesMax = init.frameBytesMax ?? FRAME_BYTES_MAX
  const limits: WireLimits = {
    requestTimeoutMs: init.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    frameBytesMax,
    // Same ratio as OUTBOUND_BYTES_MAX when frameBytesMax is changed alone.
    outboundBytesMax: init.outboundBytesMax ?? 4 * (frameBytesMax + FRAME_HEADER_BYTES),
    outboundFramesMax: init.outboundFramesMax ?? OUTBOUND_FRAMES_MAX,
    inflightRequestsMax: init.inflightRequestsMax ?? INFLIGHT_REQUESTS_MAX,
    inboundRequestsMax: init.inboundRequestsMax ?? INBOUND_REQUESTS_MAX,
  }
  checkLimits(limits)
  return limits
}

export function resolveTimeouts(init: Libp2pMessengerInit): { dialTimeoutMs: number, closeTimeoutMs: number } {
  return { dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS, closeTimeoutMs: init.closeTimeoutMs ?? CLOSE_TIMEOUT_MS }
}
