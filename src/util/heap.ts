// A binary min-heap: the task runner's due index and the lease placement's matching use it.

/** A binary min-heap under `less`-style comparator (negative: a first). */
export class Heap<T> {
  private readonly items: T[] = []

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  // Both sifts move a hole instead of swapping: one write per level, and the moving item is read once.
  push(x: T): void {
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

  pop(): T | undefined {
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
