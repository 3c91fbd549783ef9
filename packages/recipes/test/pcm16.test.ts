import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Audio, WavDecode } from "../src/index.js"
import { mulberry32 } from "./support/prng.js"
import { makeWav } from "./support/wav.js"

/** The obvious definition, to check the fast one against. */
const reference = (s: number): number =>
  Number.isNaN(s) ? 0 : Math.min(32767, Math.max(-32768, Math.round(s * 32768)))

describe("toPcm16", () => {
  it("clips, rounds to nearest and maps NaN to 0", () => {
    const input = [1, -1, 1.5, -1.5, 32767 / 32768, 0, -0, 0.4 / 32768, 0.6 / 32768, -0.6 / 32768]
    expect([...Audio.toPcm16(Float32Array.from([...input, Number.NaN]))]).toEqual([
      32767, -32768, 32767, -32768, 32767, 0, 0, 0, 1, -1, 0,
    ])
  })

  it("agrees with the plain definition on random values in and beyond full scale", () => {
    const random = mulberry32(7)
    const samples = Float32Array.from({ length: 100_000 }, () => (random() * 2 - 1) * 1.2)
    const fast = Audio.toPcm16(samples)
    const mismatches = samples.filter((s, i) => reference(s) !== fast[i])
    expect(mismatches.length).toBe(0)
  })

  it("gives back every 16-bit value exactly after the gate's WAV decoder", async () => {
    const all = Float64Array.from({ length: 65536 }, (_, i) => (i - 32768) / 32768)
    const decoded = await Effect.runPromise(WavDecode.decode(makeWav([all], 16_000, "16")))
    const pcm = Audio.toPcm16(decoded.samples)
    expect(pcm[0]).toBe(-32768)
    expect(pcm[65535]).toBe(32767)
    expect(pcm.every((k, i) => k === i - 32768)).toBe(true)
  })

  it("writes into the buffer it is given", () => {
    const out = new Int16Array(4)
    expect(Audio.toPcm16(Float32Array.of(0.5, -0.5), out.subarray(2))).toEqual(
      Int16Array.of(16384, -16384),
    )
    expect([...out]).toEqual([0, 0, 16384, -16384])
  })
})
