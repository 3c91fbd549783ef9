/**
 * Seeded integer noise (mulberry32): the same samples on every platform and
 * run, where upstream openWakeWord draws fresh random noise.
 */
export const intNoise = (length: number, low: number, high: number, seed: number): Float32Array => {
  const out = new Float32Array(length)
  let a = seed >>> 0
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296
    out[i] = low + Math.floor(u * (high - low))
  }
  return out
}
