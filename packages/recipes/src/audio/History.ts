/**
 * Recent audio of a stream, addressed by absolute sample index. Appending
 * keeps a reference to the chunk (no copy); `forget` drops samples no longer
 * needed; `own` copies the samples still kept from appended chunks into the
 * history's own buffer, so the caller's buffers may be reused after the step;
 * `copy` copies out only the range asked for.
 *
 * What is owned lives in one buffer, reused and grown by doubling: a live
 * stream owns its chunk on every push, and a fresh small array per push
 * (allocated, zeroed, later freed by the GC) cost more than the rest of the
 * segmenter's step.
 */
export class History {
  /** Owned samples: `store[i]` is sample `base + i`; those in [kept, ownedEnd) are live. */
  private store = new Float32Array(0)
  private base = 0
  private ownedEnd = 0
  /** Samples before this index are forgotten. */
  private kept = 0
  /** Appended chunks not owned yet, back to back from `ownedEnd` (or from before `kept`). */
  private readonly borrowed: Array<{ readonly start: number; readonly samples: Float32Array }> = []
  private end = 0

  /** Total samples appended so far: the index one past the newest sample. */
  get total(): number {
    return this.end
  }

  append(samples: Float32Array): void {
    if (samples.length === 0) return
    this.borrowed.push({ start: this.end, samples })
    this.end += samples.length
  }

  /** Drops the samples before `index`. */
  forget(index: number): void {
    if (index <= this.kept) return
    this.kept = Math.min(index, this.end)
    const borrowed = this.borrowed
    let drop = 0
    while (drop < borrowed.length) {
      const chunk = borrowed[drop]!
      if (chunk.start + chunk.samples.length > this.kept) break
      drop++
    }
    if (drop > 0) borrowed.splice(0, drop)
  }

  /** Copies the kept samples of chunks still borrowed into the history's own buffer. */
  own(): void {
    const borrowed = this.borrowed
    if (borrowed.length === 0) return
    if (this.ownedEnd < this.kept) {
      // Everything owned is forgotten: the buffer starts afresh at `kept`.
      this.base = this.kept
      this.ownedEnd = this.kept
    }
    this.reserve(this.end - this.ownedEnd)
    for (const { start, samples } of borrowed) {
      const from = Math.max(this.ownedEnd, start)
      this.store.set(samples.subarray(from - start), from - this.base)
      this.ownedEnd = start + samples.length
    }
    borrowed.length = 0
  }

  /** Room after `ownedEnd` for `more` samples: the live ones moved to the front, or a buffer twice as large. */
  private reserve(more: number): void {
    const live = this.ownedEnd - this.kept
    if (this.ownedEnd - this.base + more <= this.store.length) return
    const from = this.kept - this.base
    if (live + more <= this.store.length / 2) {
      this.store.copyWithin(0, from, from + live)
    } else {
      const grown = new Float32Array(Math.max(2 * (live + more), 4096))
      grown.set(this.store.subarray(from, from + live))
      this.store = grown
    }
    this.base = this.kept
  }

  /** A copy of samples [from, to); they must not have been forgotten. */
  copy(from: number, to: number): Float32Array {
    const out = new Float32Array(Math.max(0, to - from))
    const ownedLo = Math.max(from, this.kept, this.base)
    const ownedHi = Math.min(to, this.ownedEnd)
    if (ownedLo < ownedHi) {
      out.set(this.store.subarray(ownedLo - this.base, ownedHi - this.base), ownedLo - from)
    }
    for (const { start, samples } of this.borrowed) {
      const lo = Math.max(from, start, this.ownedEnd)
      const hi = Math.min(to, start + samples.length)
      if (lo < hi) out.set(samples.subarray(lo - start, hi - start), lo - from)
    }
    return out
  }
}
