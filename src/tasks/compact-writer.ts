// The encoding side of compact.ts: a record's tuple written as msgpack bytes
// straight from the record, with no tuple array in between. The bytes are
// the ones msgpackr's pack gives for toTuple's array (the decoder is
// msgpackr's unpack, unchanged). A record's input and errors, which can be
// any value, are written here when JSON-like and packed by msgpackr and
// copied in otherwise (`any`). Written at first to spare a drain its tuple
// arrays (~10% of all its allocations, alive until their commit; session 9),
// and since session 22 ~1.5x faster than msgpackr per record: the peer ids
// and fences that recur in every record are copied from their encoded bytes.
//
// Chunks are append-only: bytes handed out (to lmdb, which reads a value at
// its commit, or to a message) are never written again. A chunk that fills
// is left to the holders of its views and a new one is started.
import { pack } from 'msgpackr'
import { PeerTable, stateCode } from './compact.js'
import type { Attempt, TaskRecord } from './record.js'

/** Size of a new chunk; a value larger than that gets a chunk of twice its size. */
export const WRITER_CHUNK_BYTES = 64 * 1024

const TUPLE_FIELDS = 20
const ATTEMPT_FIELDS = 9
const OUTCOME_CODES: Readonly<Record<string, number>> = { ok: 0, error: 1, timeout: 2, cancelled: 3, lost: 4, aborted: 5 }

/** Levels of nested arrays and objects a value's writer walks itself; deeper ones are msgpackr's. */
const PLAIN_DEPTH_MAX = 16

/**
 * Strings that recur in record after record, kept encoded: peer ids (52 characters; a stored value names 1-3) and
 * lease fences (76; one per partition and lease term). Past REPEATED_MAX the cache starts over.
 */
const REPEATED_MAX = 1024
const repeatedBytes = new Map<string, Uint8Array>()

export class CompactWriter {
  private chunk: Buffer = Buffer.allocUnsafeSlow(WRITER_CHUNK_BYTES)
  private view = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.length)
  private pos = 0
  /** Where the value being written began in the current chunk. */
  private start = 0
  /** The peer table of the stored value being written. */
  private readonly table = new PeerTable()

  /** Starts a value: what is written until `end` is one contiguous run of bytes. */
  begin(): void {
    this.start = this.pos
  }

  /** The bytes written since `begin`; they stay as they are for as long as the view is held. */
  end(): Buffer {
    return this.chunk.subarray(this.start, this.pos)
  }

  /** `n` bytes to fill in later (a checksum), at the value's current end; returns their offset within the value. */
  reserve(n: number): number {
    this.room(n)
    const at = this.pos - this.start
    this.pos += n
    return at
  }

  /** A stored value: `[peers, tuple]` with the record's own peer table (compact.ts toStored). */
  stored(r: TaskRecord): void {
    // The table first: every peer the record names, in any order (the tuple's indices only need to match it).
    const peers = this.table
    peers.reset()
    peers.ref(r.creator)
    peers.ref(r.writer)
    for (const a of r.attempts) peers.ref(a.peer)
    this.arrayHeader(2)
    const n = peers.size
    this.arrayHeader(n)
    for (let i = 0; i < n; i++) this.repeated(peers.at(i))
    this.tuple(r, peers)
  }

  /** A record's tuple, its peers referenced in `peers`. */
  tuple(r: TaskRecord, peers: PeerTable): void {
    this.arrayHeader(TUPLE_FIELDS)
    this.str(r.id)
    this.str(r.name)
    this.uint(r.scope === 'all' ? 1 : 0)
    this.num(r.partition)
    this.any(r.input)
    this.num(r.priority)
    this.num(r.createdAt)
    this.uint(peers.ref(r.creator))
    this.uint(stateCode(r.state))
    this.num(r.round)
    this.num(r.runAt)
    this.num(r.version)
    this.uint(peers.ref(r.writer))
    this.num(r.updatedAt)
    this.bool(r.deleted)
    this.optStr(r.idempotencyKey)
    this.optNum(r.timeoutMs)
    this.optNum(r.expiresAt)
    this.optAny(r.error)
    const list = r.attempts
    this.arrayHeader(list.length * ATTEMPT_FIELDS)
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as Attempt
      this.uint(peers.ref(a.peer))
      this.num(a.round)
      this.num(a.n)
      if (a.fence === undefined) this.nil()
      else this.repeated(a.fence)
      this.num(a.startedAt)
      this.optNum(a.endedAt)
      if (a.outcome === undefined) this.nil()
      else this.num(OUTCOME_CODES[a.outcome] ?? -1)
      this.optNum(a.retryAt)
      this.optAny(a.error)
    }
  }

  private arrayHeader(n: number): void {
    this.room(5)
    if (n < 0x10) this.chunk[this.pos++] = 0x90 | n
    else this.sized(n, 0, 0xdc, 0xdd)
  }

  /** `n` (unsigned) after the code of its width: `c8` (unless 0) for 8 bits, `c16` for 16, else `c32`. Room made by the caller. */
  private sized(n: number, c8: number, c16: number, c32: number): void {
    const b = this.chunk
    if (n < 0x100 && c8 !== 0) {
      b[this.pos++] = c8
      b[this.pos++] = n
    } else if (n < 0x10000) {
      b[this.pos++] = c16
      b[this.pos++] = n >> 8
      b[this.pos++] = n & 0xff
    } else {
      b[this.pos++] = c32
      this.view.setUint32(this.pos, n)
      this.pos += 4
    }
  }

  private raw(bytes: Uint8Array): void {
    this.room(bytes.length)
    this.chunk.set(bytes, this.pos)
    this.pos += bytes.length
  }

  private nil(): void {
    this.room(1)
    this.chunk[this.pos++] = 0xc0
  }

  private bool(v: boolean): void {
    if (typeof v !== 'boolean') return this.any(v)
    this.room(1)
    this.chunk[this.pos++] = v ? 0xc3 : 0xc2
  }

  private uint(v: number): void {
    if (v < 0x80) {
      this.room(1)
      this.chunk[this.pos++] = v
    } else this.num(v)
  }

  /** As msgpackr writes a number: the shortest integer form for 32-bit integers, else a float64. */
  private num(v: number): void {
    if (typeof v !== 'number') return this.any(v)
    this.room(9)
    const b = this.chunk
    if (v >>> 0 === v) {
      if (v < 0x80) b[this.pos++] = v
      else this.sized(v, 0xcc, 0xcd, 0xce)
    } else if (v >> 0 === v) {
      if (v >= -0x20) b[this.pos++] = 0x100 + v
      else if (v >= -0x80) {
        b[this.pos++] = 0xd0
        b[this.pos++] = v + 0x100
      } else if (v >= -0x8000) {
        b[this.pos++] = 0xd1
        this.view.setInt16(this.pos, v)
        this.pos += 2
      } else {
        b[this.pos++] = 0xd2
        this.view.setInt32(this.pos, v)
        this.pos += 4
      }
    } else {
      b[this.pos++] = 0xcb
      this.view.setFloat64(this.pos, v)
      this.pos += 8
    }
  }

  private optNum(v: number | undefined): void {
    if (v === undefined) this.nil()
    else this.num(v)
  }

  private optStr(v: string | undefined): void {
    if (v === undefined) this.nil()
    else this.str(v)
  }

  private optAny(v: unknown): void {
    if (v === undefined) this.nil()
    else this.any(v)
  }

  /**
   * Any value (a task's input, an error shape). JSON-like ones (strings, numbers, booleans, null, plain arrays and
   * objects) are written here, as msgpackr writes them; anything else (undefined, a Date, a Uint8Array, a BigInt, an
   * object of a class, a map past 65,535 keys, or past PLAIN_DEPTH_MAX levels) by msgpackr's own `pack`. A call of
   * `pack` per record was ~1.5% of a drain's CPU, and its optimized code was thrown away and compiled again, on V8's
   * compiler threads, several times a drain.
   */
  private any(v: unknown, depth = 0): void {
    switch (typeof v) {
      case 'string': return this.str(v)
      case 'number': return this.num(v)
      case 'boolean': return this.bool(v)
      case 'object': {
        if (v === null) return this.nil()
        if (depth >= PLAIN_DEPTH_MAX) break
        const proto: unknown = Object.getPrototypeOf(v)
        if (proto === Array.prototype) return this.list(v as unknown[], depth)
        if (proto === Object.prototype && this.map(v as Record<string, unknown>, depth)) return
        break
      }
    }
    // undefined too: msgpackr writes it as its own extension, which decodes as undefined, not null.
    this.raw(pack(v))
  }

  private list(v: readonly unknown[], depth: number): void {
    const n = v.length
    this.arrayHeader(n)
    for (let i = 0; i < n; i++) this.any(v[i], depth + 1)
  }

  /** A plain object as msgpackr writes one (map16, own enumerable keys in their order); false, nothing written, past map16. */
  private map(v: Record<string, unknown>, depth: number): boolean {
    const keys = Object.keys(v)
    const n = keys.length
    if (n > 0xffff) return false
    this.room(3)
    const b = this.chunk
    b[this.pos++] = 0xde
    b[this.pos++] = n >> 8
    b[this.pos++] = n & 0xff
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string
      this.str(k)
      this.any(v[k], depth + 1)
    }
    return true
  }

  /** A string that recurs (a peer id, a fence): its msgpack bytes made once and copied after, instead of a loop per character. */
  private repeated(s: string): void {
    if (typeof s !== 'string') return this.any(s)
    let bytes = repeatedBytes.get(s)
    if (bytes === undefined) {
      if (repeatedBytes.size >= REPEATED_MAX) repeatedBytes.clear()
      bytes = Uint8Array.from(pack(s))
      repeatedBytes.set(s, bytes)
    }
    this.room(bytes.length)
    this.chunk.set(bytes, this.pos)
    this.pos += bytes.length
  }

  private str(s: string): void {
    if (typeof s !== 'string') return this.any(s)
    const n = s.length
    if (n < 0x40) {
      // Short strings: a loop beats a native call; ASCII only, else the general path.
      this.room(n + 2)
      const b = this.chunk
      const at = this.pos
      let p = at + (n < 0x20 ? 1 : 2)
      let ascii = true
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          ascii = false
          break
        }
        b[p++] = c
      }
      if (ascii) {
        if (n < 0x20) b[at] = 0xa0 | n
        else {
          b[at] = 0xd9
          b[at + 1] = n
        }
        this.pos = p
        return
      }
    }
    const bytes = Buffer.byteLength(s)
    this.room(bytes + 5)
    if (bytes < 0x20) this.chunk[this.pos++] = 0xa0 | bytes
    else this.sized(bytes, 0xd9, 0xda, 0xdb)
    this.pos += this.chunk.write(s, this.pos, bytes, 'utf8')
  }

  /** Makes room for `n` more bytes; a full chunk is left as it is and the value so far moves to a new one. */
  private room(n: number): void {
    if (this.pos + n <= this.chunk.length) return
    const sofar = this.pos - this.start
    const next = Buffer.allocUnsafeSlow(Math.max(WRITER_CHUNK_BYTES, (sofar + n) * 2))
    this.chunk.copy(next, 0, this.start, this.pos)
    this.chunk = next
    this.view = new DataView(next.buffer, next.byteOffset, next.length)
    this.start = 0
    this.pos = sofar
  }
}
