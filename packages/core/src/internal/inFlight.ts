/** Counts runs inside an engine, so a session is released only once none is left. */
export class InFlight {
  private count = 0
  private waiting: Array<() => void> = []
  enter(): void {
    this.count++
  }
  leave(): void {
    if (--this.count === 0) for (const wake of this.waiting.splice(0)) wake()
  }
  /** Resolves once nothing is in flight. */
  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((wake) => this.waiting.push(wake))
  }
}
