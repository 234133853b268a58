// A binary min-heap: the task runner's due index and the lease placement's matching use it.
//
// Items pushed in order (each no less than the last one pushed in order) go to
// a sorted run beside the heap instead, and leave from its front: a bulk
// enqueue's tasks arrive in the order they will start, and a heap of 20,000
// would sift each pop through ~15 levels of entries scattered in memory
// (docs/performance.md, session 26). Any other push goes to the heap; a pop
// takes the smaller of the run's front and the heap's top.

/** Taken items at the run's front past which (and half of it) the run drops them. */
const RUN_COMPACT_MIN = 1024

/** A binary min-heap under `less`-style comparator (negative: a first). */
export class Heap<T> {
  private readonly items: T[] = []
  /** Items pushed in order; those before `head` are taken. */
  private run: Array<T | undefined> = []
  private head = 0

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length + this.run.length - this.head
  }

  peek(): T | undefined {
    const top = this.items[0]
    if (this.head === this.run.length) return top
    const first = this.run[this.head] as T
    return top === undefined || this.compare(first, top) <= 0 ? first : top
  }

  push(x: T): void {
    const run = this.run
    if (this.head === run.length || this.compare(x, run[run.length - 1] as T) >= 0) {
      run.push(x)
      return
    }
    this.heapPush(x)
  }

  pop(): T | undefined {
    if (this.head === this.run.length) return this.heapPop()
    const first = this.run[this.head] as T
    const top = this.items[0]
    if (top !== undefined && this.compare(top, first) < 0) return this.heapPop()
    this.run[this.head++] = undefined
    if (this.head === this.run.length) {
      this.run = []
      this.head = 0
    } else if (this.head >= RUN_COMPACT_MIN && this.head * 2 >= this.run.length) {
      this.run = this.run.slice(this.head)
      this.head = 0
    }
    return first
  }

  // Both sifts move a hole instead of swapping: one write per level, and the moving item is read once.
  private heapPush(x: T): void {
    const a = this.items
    const compare = this.compare
    let i = a.length
    a.push(x)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = a[parent] as T
      if (compare(x, p) >= 0) break
      a[i] = p
      i = parent
    }
    a[i] = x
  }

  private heapPop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    const n = a.length
    if (n === 0 || last === undefined) return top
    const compare = this.compare
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let m = l
      let child = a[l] as T
      if (r < n) {
        const right = a[r] as T
        if (compare(right, child) < 0) {
          m = r
          child = right
        }
      }
      if (compare(child, last) >= 0) break
      a[i] = child
      i = m
    }
    a[i] = last
    return top
  }
}
