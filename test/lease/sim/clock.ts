// A simulated node clock: local = base + rate * (t - t0), piecewise linear
// in true time t, with rate within [1 - rho, 1 + rho]. Changing the rate
// re-anchors the line so local time stays continuous and monotonic.

export class SimClock {
  private base: number
  private t0: number
  private rate: number

  constructor(offset: number, rate: number, t: number) {
    this.base = offset
    this.t0 = t
    this.rate = rate
  }

  local(t: number): number {
    return this.base + this.rate * (t - this.t0)
  }

  /** The true time at which this clock will read `local` (assuming the rate holds). */
  trueTimeOf(local: number): number {
    return this.t0 + (local - this.base) / this.rate
  }

  setRate(rate: number, t: number): void {
    this.base = this.local(t)
    this.t0 = t
    this.rate = rate
  }

  get currentRate(): number {
    return this.rate
  }
}
