// The publish/subscribe the task plane needs: the subset of libp2p's PubSub
// it uses, so tests pass an in-memory bus and the peer passes gossipsub.
import { TopicValidatorResult, type Message, type PeerId, type PubSub } from '@libp2p/interface'
import { bytesToString } from '../util/bytes.js'
import type { GossipVerdict } from './gossip-in.js'

export type BusHandler = (topic: string, data: Uint8Array, from: string) => void
/** Judges one message before delivery: `author` signed it, `via` sent it to us. Synchronous and fast. */
export type BusValidator = (data: Uint8Array, author: string, via: string) => GossipVerdict

const RESULTS: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
}

export interface TaskPubSub {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  /** Resolves once handed to the transport (not delivered). Never delivers to the publisher itself. */
  publish(topic: string, data: Uint8Array): Promise<void>
  /** Returns the unsubscribe function. */
  onMessage(handler: BusHandler): () => void
  /**
   * Judges every message of `topic` before it is delivered or forwarded;
   * returns the unregister function. Optional: a bus without it delivers
   * everything and the subscriber checks what it gets.
   */
  validate?(topic: string, validator: BusValidator): () => void
}

/** The most authors `authorNames` remembers; past it, it starts again (a cluster has far fewer peers). */
export const AUTHOR_NAMES_MAX = 1024

/**
 * The string form of the peer ids gossipsub hands over. It builds a new PeerId for the author of every message it
 * receives, whose `toString()` (base58) then runs again each time; the strings are kept here by the id's bytes.
 */
export function authorNames(max = AUTHOR_NAMES_MAX): (peer: PeerId) => string {
  const names = new Map<string, string>()
  return (peer) => {
    const key = bytesToString(peer.toMultihash().bytes, 'latin1')
    let name = names.get(key)
    if (name === undefined) {
      if (names.size >= max) names.clear()
      name = peer.toString()
      names.set(key, name)
    }
    return name
  }
}

/** Adapts libp2p's PubSub (gossipsub at `node.services.pubsub`). */
export function libp2pPubSub(pubsub: PubSub): TaskPubSub {
  const nameOf = authorNames()
  return {
    subscribe: (topic) => { pubsub.subscribe(topic) },
    unsubscribe: (topic) => { pubsub.unsubscribe(topic) },
    publish: async (topic, data) => { await pubsub.publish(topic, data) },
    onMessage(handler) {
      const listener = (evt: CustomEvent<{ topic: string, data: Uint8Array, from?: PeerId }>): void => {
        const m = evt.detail
        handler(m.topic, m.data, m.from === undefined ? '' : nameOf(m.from))
      }
      pubsub.addEventListener('message', listener as never)
      return () => { pubsub.removeEventListener('message', listener as never) }
    },
    validate(topic, validator) {
      // With StrictSign every message that reaches a validator is signed, so `from` is its authenticated author.
      const fn = (peer: PeerId, msg: Message): TopicValidatorResult =>
        RESULTS[validator(msg.data, msg.type === 'signed' ? nameOf(msg.from) : '', peer.toString())]
      pubsub.topicValidators.set(topic, fn)
      return () => { if (pubsub.topicValidators.get(topic) === fn) pubsub.topicValidators.delete(topic) }
    },
  }
}

/**
 * An in-memory bus for tests: every attached peer subscribed to a topic gets
 * each message once, on a later macrotask, in publish order. `detach` makes a
 * peer deaf and mute (a crash or partition as gossip sees it); `drop` loses
 * the next messages, to test that sync repairs what gossip missed.
 */
export class MemoryBus {
  private readonly peers = new Map<string, { topics: Set<string>, handlers: Set<BusHandler>, detached: boolean }>()
  /** While true, every published message is lost. */
  dropping = false
  published = 0

  attach(peer: string): TaskPubSub {
    const state = { topics: new Set<string>(), handlers: new Set<BusHandler>(), detached: false }
    this.peers.set(peer, state)
    return {
      subscribe: (topic) => { state.topics.add(topic) },
      unsubscribe: (topic) => { state.topics.delete(topic) },
      publish: async (topic, data) => { this.deliver(peer, topic, data) },
      onMessage: (handler) => {
        state.handlers.add(handler)
        return () => { state.handlers.delete(handler) }
      },
    }
  }

  detach(peer: string): void {
    const s = this.peers.get(peer)
    if (s !== undefined) s.detached = true
  }

  reattach(peer: string): void {
    const s = this.peers.get(peer)
    if (s !== undefined) s.detached = false
  }

  private deliver(from: string, topic: string, data: Uint8Array): void {
    if (this.dropping || this.peers.get(from)?.detached === true) return
    this.published++
    const copy = data.slice()
    setImmediate(() => {
      for (const [name, s] of this.peers) {
        if (name === from || s.detached || !s.topics.has(topic)) continue
        for (const h of s.handlers) h(topic, copy, from)
      }
    })
  }
}
