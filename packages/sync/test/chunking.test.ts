/**
 * FastCDC on real model bytes and on random bytes: cut points come from
 * content, so an edit moves only the chunks around it; sizes stay within
 * bounds; streaming in any piece sizes gives the same chunks.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"
import { Chunking } from "../src/index.js"

const silero = async () =>
  new Uint8Array(
    await readFile(
      createRequire(import.meta.url).resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx"),
    ),
  )

/** Deterministic pseudo-random bytes (xorshift32). */
const noise = (length: number, seed = 1) => {
  const bytes = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

const key = (chunk: Uint8Array) => Buffer.from(chunk).toString("base64")
const sizes = (chunks: ReadonlyArray<Uint8Array>) => chunks.map((c) => c.length)
const { minSize, averageSize, maxSize } = Chunking.DEFAULTS

describe("Chunking", () => {
  it("splits 8 MiB of random bytes into chunks within bounds, about 64 KiB on average, covering every byte", () => {
    const bytes = noise(8 << 20)
    const chunks = Chunking.split(bytes)
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true)
    for (const size of sizes(chunks).slice(0, -1)) {
      expect(size).toBeGreaterThan(minSize)
      expect(size).toBeLessThanOrEqual(maxSize)
    }
    const mean = bytes.length / chunks.length
    expect(mean).toBeGreaterThan(averageSize * 0.6)
    expect(mean).toBeLessThan(averageSize * 1.5)
  })

  it("is deterministic, and streaming in any piece sizes gives the same chunks", () => {
    const bytes = noise(3 << 20, 7)
    const whole = Chunking.split(bytes).map(key)
    expect(Chunking.split(bytes).map(key)).toEqual(whole)
    for (const piece of [1, 4093, 65_536, 1 << 20]) {
      const chunker = Chunking.chunker()
      const streamed: Array<Uint8Array> = []
      for (let at = 0; at < bytes.length; at += piece) {
        streamed.push(...chunker.push(bytes.subarray(at, at + piece)))
      }
      const last = chunker.end()
      if (last !== undefined) streamed.push(last)
      expect(streamed.map(key)).toEqual(whole)
    }
  })

  it("an insertion in the middle of a real model changes only the chunks around it", async () => {
    const model = await silero()
    const at = model.length >> 1
    const edited = new Uint8Array(model.length + 100)
    edited.set(model.subarray(0, at))
    edited.set(noise(100, 3), at)
    edited.set(model.subarray(at), at + 100)
    const before = Chunking.split(model).map(key)
    const after = Chunking.split(edited).map(key)
    const kept = new Set(before)
    const changed = after.filter((c) => !kept.has(c))
    expect(before.length).toBeGreaterThan(20)
    expect(changed.length).toBeLessThanOrEqual(2)
  })

  it("a change to the last bytes of a real model leaves every earlier chunk as it was", async () => {
    const model = await silero()
    const edited = model.slice()
    for (let i = model.length - 10_000; i < model.length; i++) edited[i] = edited[i]! ^ 0x5a
    const before = Chunking.split(model).map(key)
    const after = Chunking.split(edited).map(key)
    const kept = new Set(before)
    expect(after.filter((c) => !kept.has(c)).length).toBeLessThanOrEqual(1)
  })

  it("caps chunks at maxSize on bytes with no cut points (all zeros), and handles empty and tiny inputs", () => {
    const zeros = Chunking.split(new Uint8Array(1 << 20))
    for (const size of sizes(zeros)) expect(size).toBeLessThanOrEqual(maxSize)
    expect(Chunking.split(new Uint8Array(0))).toEqual([])
    expect(sizes(Chunking.split(Uint8Array.of(1, 2, 3)))).toEqual([3])
  })

  it("refuses sizes that cannot chunk", () => {
    expect(() => Chunking.chunker({ minSize: 1024, averageSize: 512, maxSize: 4096 })).toThrow(
      RangeError,
    )
    expect(() => Chunking.chunker({ minSize: 0, averageSize: 512, maxSize: 4096 })).toThrow(
      /64 ≤ minSize/,
    )
  })
})
