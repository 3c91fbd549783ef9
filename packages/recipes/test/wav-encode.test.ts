/**
 * Writing WAV without wavefile: the 44-byte PCM header, and `VoiceGate.toWav`
 * files that sox reads as what they claim and that decode back to the samples.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { VoiceGate, WavDecode, WavEncode } from "@edgeline/recipes"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { mulberry32 } from "./support/prng.js"
import { headerOf } from "./support/riff.js"

/** What `soxi` says about the file, one field per flag. */
const soxi = (bytes: Uint8Array) => {
  const dir = mkdtempSync(join(tmpdir(), "edgeline-wav-encode-"))
  try {
    const file = join(dir, "out.wav")
    writeFileSync(file, bytes)
    const ask = (flag: string) => execFileSync("soxi", [flag, file], { encoding: "utf8" }).trim()
    return {
      rate: ask("-r"),
      channels: ask("-c"),
      bits: ask("-b"),
      samples: ask("-s"),
      encoding: ask("-e"),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const speech = (length: number) => {
  const random = mulberry32(13)
  const out = Int16Array.from({ length }, () => Math.floor(random() * 65536) - 32768)
  out[0] = -32768
  out[1] = 32767
  return out
}

describe("WavEncode.header", () => {
  it("is the canonical 44-byte RIFF header for 16-bit mono PCM", () => {
    const bytes = WavEncode.header({
      sampleRate: 16_000,
      channels: 1,
      bitsPerSample: 16,
      dataBytes: 1000,
    })
    expect(bytes.length).toBe(44)
    expect(headerOf(bytes)).toEqual({
      container: "RIFF",
      formatTag: 1,
      subformat: undefined,
      channels: 1,
      sampleRate: 16_000,
      bitsPerSample: 16,
      dataSizeField: 1000,
      chunks: ["fmt ", "data"],
    })
    const view = new DataView(bytes.buffer)
    expect(view.getUint32(4, true)).toBe(1036) // RIFF size
    expect(view.getUint32(16, true)).toBe(16) // fmt size
    expect(view.getUint32(28, true)).toBe(32_000) // byte rate
    expect(view.getUint16(32, true)).toBe(2) // block align
  })

  it("patched after the samples, like a streaming writer, gives a file sox reads whole", () => {
    const samples = speech(4000)
    const placeholder = WavEncode.header({
      sampleRate: 8000,
      channels: 1,
      bitsPerSample: 16,
      dataBytes: 0,
    })
    const file = new Uint8Array(44 + samples.byteLength)
    file.set(placeholder)
    file.set(new Uint8Array(samples.buffer), 44)
    file.set(
      WavEncode.header({
        sampleRate: 8000,
        channels: 1,
        bitsPerSample: 16,
        dataBytes: samples.byteLength,
      }),
    )
    expect(soxi(file)).toMatchObject({ rate: "8000", samples: "4000" })
  })

  it("refuses a data size a RIFF header cannot state", () => {
    const options = { sampleRate: 16_000, channels: 1, bitsPerSample: 16 } as const
    expect(() => WavEncode.header({ ...options, dataBytes: 2 ** 32 })).toThrow(RangeError)
    expect(() => WavEncode.header({ ...options, dataBytes: -1 })).toThrow(/whole number of bytes/)
    expect(WavEncode.header({ ...options, dataBytes: WavEncode.MAX_DATA_BYTES }).length).toBe(44)
  })
})

describe("VoiceGate.toWav", () => {
  it("writes 16 kHz 16-bit mono PCM that sox reads as such", () => {
    const samples = speech(12_345)
    expect(soxi(VoiceGate.toWav(samples))).toEqual({
      rate: "16000",
      channels: "1",
      bits: "16",
      samples: "12345",
      encoding: "Signed Integer PCM",
    })
  })

  it("decodes back to the same samples", async () => {
    const samples = speech(12_345)
    const audio = await Effect.runPromise(WavDecode.decode(VoiceGate.toWav(samples)))
    expect(audio.sampleRate).toBe(16_000)
    expect(Int16Array.from(audio.samples, (x) => x * 32768)).toEqual(samples)
  })

  it("of no speech is a valid empty file", () => {
    expect(soxi(VoiceGate.toWav(new Int16Array(0)))).toMatchObject({ samples: "0" })
  })
})
