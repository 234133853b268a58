// Running an action on one peer the way a client does: POST /api/<name> with
// a JSON body, over a real socket when the peer listens, else through the
// peer's Hono app (`peer.http.request`), which runs the same routes without a port.

import type { Peer } from '../peer/peer.js'
import type { ActionErrorBody } from './errors.js'
import { ActionCallError } from './errors.js'

/** Options of one action call. */
export interface ActionCallOptions {
  /** Aborts the request. */
  signal?: AbortSignal
  /** Extra request headers (`x-request-id`, an auth header your middleware reads, ...). */
  headers?: Record<string, string>
}

/** Resolves with the action's JSON answer; rejects with ActionCallError on an error status. */
export async function callAction<T = unknown>(peer: Peer, name: string, input: unknown, options: ActionCallOptions = {}): Promise<T> {
  const path = `/api/${encodeURIComponent(name)}`
  const init: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(input ?? {}),
    signal: options.signal,
  }
  const res = peer.httpUrl === null ? await peer.http.request(path, init) : await fetch(`${peer.httpUrl}${path}`, init)
  const text = await res.text()
  const body = parse(text)
  if (res.ok) return body as T
  throw new ActionCallError(name, res.status, errorOf(body, res.status, text))
}

function parse(text: string): unknown {
  if (text === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

function errorOf(body: unknown, status: number, text: string): ActionErrorBody {
  const error = (body as { error?: unknown } | null)?.error
  if (typeof error === 'object' && error !== null && typeof (error as ActionErrorBody).message === 'string') return error as ActionErrorBody
  return { name: 'HttpError', message: text.slice(0, 200) || `status ${status}`, code: 'ERR_HTTP', retryable: status >= 500 }
}
