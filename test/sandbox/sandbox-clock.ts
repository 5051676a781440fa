/**
 * The sandbox PVE's idea of "now". Tests shift it to age tickets and auth states without waiting; the identity
 * provider keeps real time, as a real IdP would when the PVE node's clock is off.
 */
export class SandboxClock {
  private offsetSeconds = 0

  setOffsetSeconds(offsetSeconds: number): void {
    this.offsetSeconds = offsetSeconds
  }

  getOffsetSeconds(): number {
    return this.offsetSeconds
  }

  /** Unix epoch seconds on the sandbox clock. */
  nowSeconds(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds
  }
}
