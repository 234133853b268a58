// A bounded FIFO with O(1) push and shift. Pure: the activation decides what
// a full mailbox means (MailboxFullError) and what to do with leftovers.

export class Mailbox<T> {
  private items: Array<T | undefined> = []
  private head = 0

  constructor(readonly max: number) {}

  get size(): number {
    return this.items.length - this.head
  }

  /** Appends; false (and nothing stored) when the mailbox already holds `max` items. */
  push(item: T): boolean {
    if (this.size >= this.max) return false
    this.items.push(item)
    return true
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    // Compact once the consumed prefix dominates, so memory follows the live size.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return rest
  }
}
