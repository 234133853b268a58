// Randomness as protocol code sees it: injected, so a seeded simulator can
// replay a run. `seededRandom` is sfc32, small, fast and good enough for
// jitter and fault schedules; it is not for secrets.

export interface Random {
  /** A float in [0, 1). */
  next(): number
}

export const systemRandom: Random = { next: () => Math.random() }

export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed
  let b = 0x243f6a88 ^ (seed >>> 16)
  let c = 0xb7e15162 ^ Math.imul(seed, 0x85ebca6b)
  let d = 1
  const step = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 15; i++) step()
  return { next: step }
}

/** An integer in [min, max]. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1))
}
