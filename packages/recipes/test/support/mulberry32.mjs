// A small seeded PRNG (mulberry32), so "random" inputs are the same on every
// run. Plain JS: the fixture script (make-fixtures.mjs, run by node alone)
// and the TypeScript tests share it.

/** Floats in [0, 1), the same sequence for the same seed. */
export const mulberry32 = (seed) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
