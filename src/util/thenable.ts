// Telling a promise-like value from a plain one, so a synchronous result can
// be used at once instead of through a promise hop (actions, actor turns,
// wire handlers, task attempts).

/** True for any object or function with a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}
