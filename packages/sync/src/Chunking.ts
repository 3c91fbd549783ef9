/**
 * Content-defined chunking (FastCDC, Xia et al., USENIX ATC 2016): cut
 * points come from the bytes themselves (a gear rolling hash), so an edit
 * moves only the chunks around it and every other chunk keeps its hash. A
 * new model version that changes its last layer shares all earlier chunks
 * with the old one, and a device fetches only what changed.
 *
 * Normalised chunking (the paper's level 2): a harder mask before the
 * average size and an easier one after it pull sizes toward the average;
 * no chunk is under `minSize` (except a model's last) or over `maxSize`.
 * No kept JavaScript FastCDC exists on npm (the bindings need a Rust
 * build), hence these few lines.
 *
 * The chunker is streaming: it holds at most one chunk, so publishing a
 * model of any size takes `maxSize` of memory.
 */

export interface Options {
  readonly minSize: number
  readonly averageSize: number
  readonly maxSize: number
}

/** About 64 KiB on average: small enough to share most of an updated model, few enough to list. */
export const DEFAULTS: Options = { minSize: 16 * 1024, averageSize: 64 * 1024, maxSize: 256 * 1024 }

/**
 * 256 fixed pseudo-random 32-bit words (SplitMix32 from a fixed seed). They
 * define where cuts fall: changing them changes every chunk, so they never
 * change.
 */
const GEAR = (() => {
  const table = new Int32Array(256)
  let state = 0x9e3779b9
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    table[i] = z ^ (z >>> 16)
  }
  return table
})()

/** `bits` one-bits at the top of a 32-bit word: the bits that depend on the most recent bytes. */
const topBits = (bits: number) => (bits >= 32 ? -1 : ((1 << bits) - 1) << (32 - bits))

export interface Chunker {
  /** Feeds bytes; returns the chunks they complete (copies, in order). */
  push(bytes: Uint8Array): Array<Uint8Array>
  /** The last chunk (what is left), if any. */
  end(): Uint8Array | undefined
}

/** A streaming FastCDC chunker. */
export const chunker = (options: Options = DEFAULTS): Chunker => {
  const { minSize, averageSize, maxSize } = options
  if (!(minSize >= 64 && minSize < averageSize && averageSize < maxSize)) {
    throw new RangeError(
      `chunk sizes must satisfy 64 ≤ minSize < averageSize < maxSize (got ${minSize}, ${averageSize}, ${maxSize})`,
    )
  }
  const bits = Math.round(Math.log2(averageSize))
  const hardMask = topBits(bits + 2)
  const easyMask = topBits(bits - 2)
  const pending = new Uint8Array(maxSize)
  let length = 0
  let hash = 0
  const close = (): Uint8Array => {
    const chunk = pending.slice(0, length)
    length = 0
    hash = 0
    return chunk
  }
  return {
    push: (bytes) => {
      const done: Array<Uint8Array> = []
      for (let i = 0; i < bytes.length; i++) {
        pending[length++] = bytes[i]!
        if (length <= minSize) continue
        hash = ((hash << 1) + GEAR[bytes[i]!]!) | 0
        const mask = length < averageSize ? hardMask : easyMask
        if ((hash & mask) === 0 || length === maxSize) done.push(close())
      }
      return done
    },
    end: () => (length > 0 ? close() : undefined),
  }
}

/** The chunks of bytes held in memory (for a stream, use `chunker`). */
export const split = (bytes: Uint8Array, options: Options = DEFAULTS): Array<Uint8Array> => {
  const c = chunker(options)
  const chunks = c.push(bytes)
  const last = c.end()
  if (last !== undefined) chunks.push(last)
  return chunks
}
