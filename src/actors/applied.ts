// The ids of messages that changed an actor's state, with their encoded
// results, so a re-sent message is answered from here instead of applied
// twice. They are saved with the state and travel with it to replicas and the
// next holder. Pure: time comes in as an argument.
//
// What is kept: every entry whose reply has not gone out yet (its sender may
// re-send it after a move), for at most `keepMs`; and the newest `answeredMax`
// answered ones, for re-sends after a lost reply. Entries restored from a
// record count as not answered (the previous holder may have bounced them).
// Never more than `limit` in all.

interface Entry {
  result: Uint8Array
  answered: boolean
  /** Clock ms after which no re-send of this message can arrive. */
  until: number
}

export class AppliedIds {
  private readonly entries = new Map<string, Entry>()
  private answeredCount = 0

  constructor(private readonly answeredMax: number, private readonly keepMs: number, private readonly limit: number) {}

  get size(): number {
    return this.entries.size
  }

  get(id: string): Uint8Array | undefined {
    return this.entries.get(id)?.result
  }

  restore(list: ReadonlyArray<readonly [string, Uint8Array]>, now: number): void {
    for (const [id, result] of list) this.entries.set(id, { result, answered: false, until: now + this.keepMs })
    this.trim(now)
  }

  add(id: string, result: Uint8Array, answered: boolean, now: number): void {
    this.entries.set(id, { result, answered, until: now + this.keepMs })
    if (answered) this.answeredCount++
    this.trim(now)
  }

  answered(id: string): void {
    const e = this.entries.get(id)
    if (e === undefined || e.answered) return
    e.answered = true
    this.answeredCount++
  }

  list(): Array<[string, Uint8Array]> {
    return [...this.entries].map(([id, e]) => [id, e.result])
  }

  private trim(now: number): void {
    for (const [id, e] of this.entries) {
      const over = this.entries.size > this.limit
      if (!over && !(e.answered && this.answeredCount > this.answeredMax) && e.until > now) continue
      this.entries.delete(id)
      if (e.answered) this.answeredCount--
    }
  }
}
