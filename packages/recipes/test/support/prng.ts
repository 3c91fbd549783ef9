/** Seeded random test inputs: the same on every run. */
export { mulberry32 } from "./mulberry32.mjs"

/** Integer in [min, max]. */
export const randomInt = (random: () => number, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1))

/** Cuts `total` into consecutive chunk lengths, each from `sizes()`; the last may be shorter. */
export const chunkLengths = (total: number, sizes: () => number): Array<number> => {
  const out: Array<number> = []
  for (let done = 0; done < total; ) {
    const size = Math.min(Math.max(1, sizes()), total - done)
    out.push(size)
    done += size
  }
  return out
}

/** Splits samples into consecutive copies of the given lengths. */
export const split = (
  samples: Float32Array,
  lengths: ReadonlyArray<number>,
): Array<Float32Array> => {
  const out: Array<Float32Array> = []
  let offset = 0
  for (const length of lengths) {
    out.push(samples.slice(offset, offset + length))
    offset += length
  }
  return out
}
