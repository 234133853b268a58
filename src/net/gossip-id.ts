// A local id for a gossipsub message, read from its raw fields before any
// check, so a copy of a message already accepted is dropped as a duplicate
// without verifying its signature again. gossipsub verifies the signature
// before it looks at its seen cache unless given this function, and every
// peer of a fully connected cluster receives each message once from its
// author (flood publish) and again from most of its mesh peers: without it,
// each message cost every receiver one ed25519 verification per copy.
//
// Safe under StrictSign: the id is the message's author and sequence number,
// the same fields gossipsub's own id (msgIdFnStrictSign) is made of, and
// gossipsub records a fast id only once the message it came with passed
// validation (a forged copy that arrives first fails its signature check and
// is not recorded; a later copy under a recorded id is dropped unread).
import type { RPC } from '@chainsafe/libp2p-gossipsub/message'
import { bytesToString } from '../util/bytes.js'

/** `author:seqno` in hex; '' for a message missing either (StrictSign rejects it, so '' is never recorded). */
export function fastMessageId(msg: RPC.Message): string {
  const { from, seqno } = msg
  if (from === undefined || seqno === undefined) return ''
  return `${bytesToString(from, 'hex')}:${bytesToString(seqno, 'hex')}`
}

/**
 * gossipsub's string form of a message id (its map keys: the seen cache, the message cache, the IHAVEs it reads).
 * Its default goes through multiformats' base64 and allocated ~7% of a peer's garbage under single tasks (every
 * message id of every IHAVE is converted, three heartbeats' worth of them each second); Node's encoder does it
 * in one native call. Used only inside this process, so any injective encoding does.
 */
export function messageIdString(id: Uint8Array): string {
  return bytesToString(id, 'base64')
}
