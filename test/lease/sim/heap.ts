// A min-heap of events keyed by (time, insertion order): equal times run in
// the order they were scheduled, so a run is a pure function of its seed.

export interface Scheduled {
  t: number
  seq: number
  run: () => void
}

export class EventHeap {
  private items: Scheduled[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  push(t: number, run: () => void): void {
    this.items.push({ t, seq: this.seq++, run })
    this.up(this.items.length - 1)
  }

  pop(): Scheduled | undefined {
    const top = this.items[0]
    const last = this.items.pop()
    if (top !== undefined && last !== undefined && this.items.length > 0) {
      this.items[0] = last
      this.down(0)
    }
    return top
  }

  peekTime(): number {
    return this.items[0]?.t ?? Infinity
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i]!
    const b = this.items[j]!
    return a.t < b.t || (a.t === b.t && a.seq < b.seq)
  }

  private swap(i: number, j: number): void {
    const tmp = this.items[i]!
    this.items[i] = this.items[j]!
    this.items[j] = tmp
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < this.items.length && this.less(l, m)) m = l
      if (r < this.items.length && this.less(r, m)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }
}
