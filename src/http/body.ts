// Reads a POST body as JSON, refusing it as soon as it passes the byte limit
// rather than after buffering it all.
import type { Logger } from '../app/logger.js'
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js'

export interface BodyLimits {
  bodyBytesMax: number
  jsonDepthMax: number
}

/** An empty body means "no parameters" and reads as `{}`, the same as a GET without a query. */
export async function readJsonBody(request: Request, limits: BodyLimits, logger: Logger): Promise<unknown> {
  const type = request.headers.get('content-type')
  if (type !== null && !isJsonType(type)) throw new UnsupportedMediaTypeError(`content-type must be application/json, got ${truncate(type)}`)
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > limits.bodyBytesMax) throw new PayloadTooLargeError(limits.bodyBytesMax)
  const bytes = await readLimited(request.body, limits.bodyBytesMax, logger)
  const text = decodeUtf8(bytes)
  if (text.trim() === '') return {}
  if (type === null) throw new UnsupportedMediaTypeError('content-type must be application/json')
  if (jsonDepthExceeds(text, limits.jsonDepthMax)) {
    throw new MalformedJsonError(`JSON nested deeper than ${limits.jsonDepthMax} levels`, { code: 'ERR_JSON_TOO_DEEP' })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new MalformedJsonError(`malformed JSON: ${(err as Error).message}`)
  }
}

export function isJsonType(contentType: string): boolean {
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))
}

async function readLimited(body: ReadableStream<Uint8Array> | null, bytesMax: number, logger: Logger): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > bytesMax) {
      // Stop pulling from the socket; the server adapter drains or closes what is left.
      reader.cancel().catch((err: unknown) => logger.warn('cancelling an oversized body failed', { err: String(err) }))
      throw new PayloadTooLargeError(bytesMax)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new MalformedJsonError('body is not valid UTF-8')
  }
}

/** One pass over the text counting brackets outside strings; cheaper than any parse. */
export function jsonDepthExceeds(text: string, depthMax: number): boolean {
  let depth = 0
  let inString = false
  let escaped = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (ch === 0x5c) escaped = true
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) inString = true
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > depthMax) return true
    } else if (ch === 0x7d || ch === 0x5d) depth--
  }
  return false
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s
}
