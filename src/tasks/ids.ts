// Task ids. A task enqueued with an idempotency key gets an id derived from
// (name, key), so every peer that enqueues the same key, at any time within
// the retention, names the same record and the copies merge into one: the
// dedup needs no coordination and no separate index. Other ids are random.
import { createHash } from 'node:crypto'
import type { Random } from '../util/random.js'

export function idForKey(name: string, key: string): string {
  return `k-${createHash('sha256').update(name).update('\0').update(key).digest('hex').slice(0, 32)}`
}

export function randomId(random: Random, wallNow: number): string {
  const part = (): string => Math.floor(random.next() * 36 ** 8).toString(36).padStart(8, '0')
  return `t-${wallNow.toString(36)}-${part()}${part()}`
}
