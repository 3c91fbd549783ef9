/**
 * Recent audio of a stream, addressed by absolute sample index. Appending
 * keeps a reference to the chunk (no copy); `copy` copies only the range
 * asked for; `forget` drops whole chunks no longer needed; `own` copies what
 * is still kept, once, so the caller's buffers may be reused after the step.
 */
export class History {
  private readonly chunks: Array<{ start: number; samples: Float32Array; owned: boolean }> = []
  private end = 0

  /** Total samples appended so far: the index one past the newest sample. */
  get total(): number {
    return this.end
  }

  append(samples: Float32Array): void {
    if (samples.length === 0) return
    this.chunks.push({ start: this.end, samples, owned: false })
    this.end += samples.length
  }

  /** Drops the samples before `index`: whole chunks, and the head of the first one kept (as a view). */
  forget(index: number): void {
    let drop = 0
    while (drop < this.chunks.length) {
      const chunk = this.chunks[drop]!
      if (chunk.start + chunk.samples.length > index) break
      drop++
    }
    this.chunks.splice(0, drop)
    const first = this.chunks[0]
    if (first !== undefined && first.start < index) {
      this.chunks[0] = {
        start: index,
        samples: first.samples.subarray(index - first.start),
        owned: first.owned,
      }
    }
  }

  /**
   * Copies the chunks still kept that are views of someone else's buffer.
   * Those are the newest ones (everything older was owned by an earlier
   * call), so it walks back from the end only as far as they go: a long
   * open segment keeps a chunk per push, and a live stream calls this on
   * every push.
   */
  own(): void {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i]!
      if (chunk.owned) break
      chunk.samples = chunk.samples.slice()
      chunk.owned = true
    }
  }

  /** A copy of samples [from, to); they must not have been forgotten. */
  copy(from: number, to: number): Float32Array {
    const out = new Float32Array(Math.max(0, to - from))
    for (const { start, samples } of this.chunks) {
      const lo = Math.max(from, start)
      const hi = Math.min(to, start + samples.length)
      if (lo < hi) out.set(samples.subarray(lo - start, hi - start), lo - from)
    }
    return out
  }
}
