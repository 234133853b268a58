// The wire layer's public surface: the Messenger contract, its libp2p and
// in-memory implementations, their options and errors, and the frame codec
// for tools that inspect traffic.

export type { Messenger, MessageHandler, PeerName, RequestHandler, RequestOptions } from './messenger.js'
export { Libp2pMessenger, type Libp2pMessengerComponents } from './libp2p-messenger.js'
export { MemoryMessenger, MemoryNetwork, type MemoryNetworkInit } from './memory-messenger.js'
export type { Libp2pMessengerInit, MessengerInit } from './options.js'
export { BackpressureError, NoHandlerError, PayloadTooLargeError } from './errors.js'
export type { WireLogger } from './logger.js'
export { stderrWireLogger } from './logger.js'
export {
  CHANNEL_LENGTH_MAX, CLOSE_TIMEOUT_MS, DIAL_TIMEOUT_MS, FRAME_BYTES_MAX, FRAME_HEADER_BYTES, INBOUND_REQUESTS_MAX,
  INFLIGHT_REQUESTS_MAX, OUTBOUND_BYTES_MAX, OUTBOUND_FRAMES_MAX, PROTOCOL, REQUEST_TIMEOUT_MS, STREAMS_PER_CONNECTION_MAX,
} from './constants.js'
export { decodeFrame, encodeFrame, parseFrame, type Frame } from './frame.js'
export { FrameDecoder, frameBytes } from './framing.js'
