// JSON over HTTP with a deadline: a paused peer never answers, so every call
// the harness makes gives up after `timeoutMs`.

export interface JsonReply<T> { status: number, body: T }

export async function httpJson<T = unknown>(url: string, init: { method?: string, body?: unknown, timeoutMs?: number, signal?: AbortSignal } = {}): Promise<JsonReply<T>> {
  const signals = [AbortSignal.timeout(init.timeoutMs ?? 5_000)]
  if (init.signal !== undefined) signals.push(init.signal)
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.any(signals),
  })
  const text = await res.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, body: body as T }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
