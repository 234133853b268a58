// Wraps an lmdb Database so that every method that starts a write first asks
// `check()`, which throws (StoreFullError) while the disk is below its
// reserve. The throw is synchronous, also for methods that return promises:
// a write inside a transaction callback then aborts the transaction, instead
// of leaving a rejected promise that nobody awaits. Reads pass through.

const WRITES = new Set<PropertyKey>([
  'put', 'remove', 'putSync', 'removeSync', 'transaction', 'transactionSync', 'childTransaction',
  'ifVersion', 'ifNoExists', 'batch', 'clearAsync', 'clearSync', 'drop', 'dropSync',
])

const CHECK = Symbol('troupe.store.check')

/**
 * Throws as a guarded write would (StoreFullError below the reserve), without writing: for callers that change
 * their own state before the write they queue. A database without a guard is always writable.
 */
export function assertWritable(db: object): void {
  const check = (db as { [CHECK]?: () => void })[CHECK]
  if (check !== undefined) check()
}

export function guardWrites<T extends object>(db: T, check: () => void): T {
  // Per property: the method last seen there and its wrapper (lmdb may replace methods on the object).
  const wrapped = new Map<PropertyKey, { method: unknown, fn: unknown }>()
  return new Proxy(db, {
    get(target, prop) {
      if (prop === CHECK) return check
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const known = wrapped.get(prop)
      if (known?.method === value) return known.fn
      const method = value as (...args: unknown[]) => unknown
      const fn = WRITES.has(prop)
        ? (...args: unknown[]): unknown => { check(); return method.apply(target, args) }
        : method.bind(target)
      wrapped.set(prop, { method: value, fn })
      return fn
    },
  })
}
