// The membership shell: drives the pure MemberView with timers and carries its
// gossip over the Messenger. Peers found through gossip are handed to the
// `addressBook` so the transport can dial them (peer exchange).

import { EventEmitter } from 'node:events'
import type { Clock, TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { Messenger } from '../wire/messenger.js'
import type { MembershipOptions } from './options.js'
import { parseRecord, type MemberRecord } from './record.js'
import { MemberView, type MemberInfo, type ViewEvent } from './view.js'

export const SYNC_CHANNEL = 'members.sync'

export interface AddressBook {
  /** Remembers a member's addresses so it can be dialled by peer id. */
  learn(peerId: string, addrs: string[]): Promise<void>
}

export interface MembershipComponents {
  messenger: Messenger
  clock: Clock
  timers: Timers
  random: Random
  logger: Logger
  addressBook: AddressBook
}

export interface MembershipEvents {
  'member:join': [MemberInfo]
  'member:update': [MemberInfo]
  'member:suspect': [MemberInfo]
  'member:recover': [MemberInfo]
  'member:dead': [MemberInfo]
  'member:leave': [MemberInfo]
}

export class Membership extends EventEmitter<MembershipEvents> {
  private readonly c: MembershipComponents
  private readonly options: MembershipOptions
  private readonly view: MemberView
  private tickTimer: TimerHandle | undefined
  private lastGossipAt = -Infinity
  private running = false
  private left = false

  constructor(components: MembershipComponents, self: MemberRecord, options: MembershipOptions) {
    super()
    this.c = components
    this.options = options
    this.view = new MemberView(self, options, components.clock.now())
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.c.messenger.handle(SYNC_CHANNEL, (from, body) => {
      this.absorb(from, body)
      return { records: this.view.digest() }
    })
    this.schedule()
  }

  /**
   * Tells every live member we are leaving (bounded wait: one exchange timeout). The service goes on
   * answering and gossiping (the `left` record) until `stop()`, so members that missed the notice learn it.
   */
  async leave(): Promise<void> {
    if (!this.running || this.left) return
    this.left = true
    const record = this.view.leave()
    const live = this.view.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect'))
    const results = await Promise.allSettled(live.map(async m => {
      await this.c.messenger.request(m.record.id, SYNC_CHANNEL, { records: [record] }, { timeoutMs: this.options.exchangeTimeoutMs })
    }))
    const failed = results.filter(r => r.status === 'rejected').length
    if (failed > 0) this.c.logger.debug('leave notice not acknowledged by some members', { failed, of: live.length })
  }

  /** Leaves (unless `leave()` already did), then stops. */
  async stop(): Promise<void> {
    if (!this.running) return
    await this.leave()
    this.running = false
    if (this.tickTimer !== undefined) this.c.timers.clearTimeout(this.tickTimer)
    this.c.messenger.unhandle(SYNC_CHANNEL)
  }

  members(): MemberInfo[] {
    return this.view.members()
  }

  get selfRecord(): MemberRecord {
    return this.view.selfRecord
  }

  updateSelf(patch: Parameters<MemberView['updateSelf']>[0]): void {
    this.view.updateSelf(patch)
  }

  /** Exchanges views with a peer now (used when a seed or a new connection appears). */
  async contact(peerId: string): Promise<void> {
    if (!this.running || peerId === this.view.selfRecord.id) return
    const reply = await this.c.messenger.request(peerId, SYNC_CHANNEL, { records: this.view.digest() }, { timeoutMs: this.options.exchangeTimeoutMs })
    this.absorb(peerId, reply)
  }

  private schedule(): void {
    this.tickTimer = this.c.timers.setTimeout(() => {
      if (!this.running) return
      this.onTick()
      this.schedule()
    }, this.options.tickIntervalMs)
  }

  private onTick(): void {
    const now = this.c.clock.now()
    this.emitAll(this.view.tick(now))
    if (now - this.lastGossipAt < this.options.gossipIntervalMs) return
    this.lastGossipAt = now
    for (const target of this.view.gossipTargets(this.c.random)) {
      this.contact(target).catch((err: unknown) => {
        this.c.logger.debug('gossip exchange failed', { peer: target, err: (err as Error).message })
      })
    }
  }

  private absorb(from: string, body: unknown): void {
    const list = (body as { records?: unknown } | null)?.records
    if (!Array.isArray(list)) {
      this.c.logger.warn('dropped a membership message without records', { peer: from })
      return
    }
    const records: MemberRecord[] = []
    for (const item of list.slice(0, this.options.membersMax)) {
      const r = parseRecord(item)
      if (typeof r === 'string') this.c.logger.warn('dropped a member record', { peer: from, reason: r })
      else records.push(r)
    }
    this.emitAll(this.view.merge(records, this.c.clock.now()))
  }

  private emitAll(events: ViewEvent[]): void {
    for (const e of events) {
      if (e.type === 'join' || e.type === 'update') {
        this.c.addressBook.learn(e.member.record.id, e.member.record.addrs).catch((err: unknown) => {
          this.c.logger.warn('cannot remember member addresses', { peer: e.member.record.id, err: (err as Error).message })
        })
      }
      const level = e.type === 'update' || e.type === 'recover' ? 'debug' : 'info'
      this.c.logger[level](`member ${e.type}`, { member: e.member.record.id, incarnation: e.member.record.incarnation })
      this.emit(`member:${e.type}`, e.member)
    }
  }
}
