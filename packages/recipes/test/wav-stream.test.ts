/**
 * The WAV decoder as a stream: a file pushed in pieces of any size, split
 * anywhere (inside the header, inside a sample frame), decodes to exactly the
 * samples of the whole file, each piece giving the frames it completes, while
 * holding no more than a partial frame and a few header bytes between pieces.
 * The whole voice gate, streamed a file in pieces, gives the one-shot result.
 */
import { Pipeline } from "@edgeline/core"
import { type Audio, VoiceGate, WavDecode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { type Fixture, loadFixtures } from "./support/fixtures.js"
import { chunkLengths, mulberry32, randomInt } from "./support/prng.js"
import { chunk, concatBytes, dataStart, ds64Body, fmtBody, wavFile } from "./support/riff.js"

const fixtures = loadFixtures()

/** Piece lengths: 1-byte pieces through the header (and a little beyond), then random sizes. */
const pieceLengths = (total: number, seed: number, largest: number): Array<number> => {
  const random = mulberry32(seed)
  let sent = 0
  return chunkLengths(total, () => {
    const size = sent < 120 ? 1 : randomInt(random, 1, largest)
    sent += size
    return size
  })
}

const cut = (bytes: Uint8Array, lengths: ReadonlyArray<number>): Array<Uint8Array> => {
  const pieces: Array<Uint8Array> = []
  let at = 0
  for (const length of lengths) {
    pieces.push(bytes.subarray(at, at + length))
    at += length
  }
  return pieces
}

const decodeWhole = (bytes: Uint8Array) => Effect.runPromise(WavDecode.decode(bytes))

/** Odd layouts the fixtures do not have: big endian, RF64, chunks before fmt and data, 3 channels of 24-bit. */
const layouts = (): Array<{ readonly name: string; readonly bytes: Uint8Array }> => {
  const random = mulberry32(3)
  const frames = 4001
  const pcm24 = new Uint8Array(frames * 9)
  for (let i = 0; i < pcm24.length; i++) pcm24[i] = Math.floor(random() * 256)
  const be16 = new Uint8Array(frames * 2).map(() => Math.floor(random() * 256))
  const text = (n: number) => new Uint8Array(n).fill(0x41)
  return [
    {
      name: "RIFF, LIST/bext/junk before fmt and data, 3 × 24-bit",
      bytes: wavFile([
        chunk("LIST", text(101)),
        chunk("bext", text(602)),
        chunk("fmt ", fmtBody({ channels: 3, bitsPerSample: 24, subformat: 1 })),
        chunk("junk", text(3)),
        chunk("data", pcm24),
      ]),
    },
    {
      name: "RIFX, 16-bit",
      bytes: wavFile(
        [
          chunk("fmt ", fmtBody({ bigEndian: true }), { bigEndian: true }),
          chunk("data", be16, { bigEndian: true }),
        ],
        { container: "RIFX" },
      ),
    },
    {
      name: "RF64 with ds64 sizes, 3 × 24-bit",
      bytes: wavFile(
        [
          chunk("ds64", ds64Body(pcm24.length)),
          chunk("fmt ", fmtBody({ channels: 3, bitsPerSample: 24, subformat: 1 })),
          chunk("data", pcm24, { size: 0xffffffff }),
        ],
        { container: "RF64" },
      ),
    },
  ]
}

const files = [...fixtures.map((f: Fixture) => ({ name: f.name, bytes: f.bytes })), ...layouts()]

describe("WavDecode.WavReader in pieces", () => {
  it.for(files)("$name: pieces of 1..5000 bytes give the whole file's samples", async (file) => {
    const whole = await decodeWhole(file.bytes)
    for (const seed of [1, 2, 3]) {
      const reader = new WavDecode.WavReader()
      const outputs: Array<Float32Array> = []
      let held = 0
      for (const piece of cut(file.bytes, pieceLengths(file.bytes.length, seed, 5000))) {
        outputs.push(reader.push(piece))
        // Before the fmt chunk the rate is unknown (0); after it, the file's.
        if (reader.format === undefined) expect(reader.sampleRate).toBe(0)
        else expect(reader.sampleRate).toBe(whole.sampleRate)
        held = Math.max(held, reader.bytesHeld)
      }
      reader.end()
      const joined = Float32Array.from(outputs.flatMap((o) => Array.from(o)))
      expect(joined).toEqual(whole.samples)
      // Between pieces: at most a header's bytes (fmt, 40) or a frame less one byte.
      expect(held).toBeLessThanOrEqual(Math.max(40, reader.format!.blockAlign - 1))
    }
  })

  it.for(files)("$name: each piece gives exactly the frames it completes", (file) => {
    const reader = new WavDecode.WavReader()
    const start = dataStart(file.bytes)
    let sent = 0
    let samples = 0
    for (const piece of cut(file.bytes, pieceLengths(file.bytes.length, 9, 777))) {
      samples += reader.push(piece).length
      sent += piece.length
      const block = reader.format?.blockAlign ?? 1
      expect(samples).toBe(Math.max(0, Math.floor((sent - start) / block)))
    }
  })

  it("a caller that overwrites its buffer after every push gets the same samples", async () => {
    const file = fixtures.find((f) => f.name === "fast-22k-stereo")!
    const whole = await decodeWhole(file.bytes)
    const reader = new WavDecode.WavReader()
    const buffer = new Uint8Array(1001) // odd: frames of 4 bytes keep splitting
    const outputs: Array<number> = []
    for (let at = 0; at < file.bytes.length; at += buffer.length) {
      const part = file.bytes.subarray(at, at + buffer.length)
      buffer.set(part)
      outputs.push(...reader.push(buffer.subarray(0, part.length)))
      buffer.fill(0x7f)
    }
    reader.end()
    expect(Float32Array.from(outputs)).toEqual(whole.samples)
  })
})

describe("the wav-decode stage in a stream", () => {
  const decoder = Pipeline.make("decode-only", WavDecode.stage)

  it("pushes give chunks (empty, rate 0, until the header is read); end gives an empty chunk", async () => {
    const file = fixtures.find((f) => f.name === "noisy-8k-mono")!
    const whole = await decodeWhole(file.bytes)
    const { pushed, ended } = await Effect.runPromise(
      Effect.gen(function* () {
        const session = Pipeline.open(decoder)
        const pushed: Array<Audio.AudioChunk> = []
        for (const piece of cut(file.bytes, pieceLengths(file.bytes.length, 5, 3000))) {
          pushed.push(yield* session.push(piece))
        }
        return { pushed, ended: yield* session.end() }
      }),
    )
    expect(pushed[0]).toEqual({ samples: new Float32Array(0), sampleRate: 0 })
    expect(pushed.at(-1)!.sampleRate).toBe(8000)
    expect(ended).toEqual([{ samples: new Float32Array(0), sampleRate: 8000 }])
    const joined = Float32Array.from(pushed.flatMap((c) => Array.from(c.samples)))
    expect(joined).toEqual(whole.samples)
  })

  it("a one-shot run gives what decode gives", async () => {
    const file = fixtures.find((f) => f.name === "slow-24k-float")!
    const run = await Effect.runPromise(Pipeline.run(decoder, file.bytes))
    expect(run).toEqual(await decodeWhole(file.bytes))
  })
})

describe("VoiceGate.file streamed a file in pieces", () => {
  /** The gate on the file in one run, and pushed in pieces through one opened session. */
  const both = (bytes: Uint8Array, lengths: ReadonlyArray<number>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const whole = yield* Pipeline.run(VoiceGate.file, bytes)
        const session = Pipeline.open(VoiceGate.file)
        const outputs: Array<VoiceGate.Gated> = []
        for (const piece of cut(bytes, lengths)) outputs.push(yield* session.push(piece))
        outputs.push(...(yield* session.end()))
        return { whole, pushed: outputs, streamed: VoiceGate.merge(outputs) }
      }).pipe(Effect.provide(NodeRuntime.layer())),
    )

  it.for(fixtures)(
    "$name: random pieces (1-byte through the header) give exactly the one-shot result",
    { timeout: 60_000 },
    async (fixture) => {
      const lengths = pieceLengths(fixture.bytes.length, 11, 20_000)
      const { whole, pushed, streamed } = await both(fixture.bytes, lengths)
      expect(streamed.segments).toEqual(whole.segments)
      expect(streamed.speech).toEqual(whole.speech)
      expect(streamed.probabilities).toEqual(whole.probabilities)
      expect(streamed.samples).toBe(whole.samples)
      expect(streamed.bytesIn).toBe(whole.bytesIn)
      expect(streamed.bytesOut).toBe(whole.bytesOut)
      // Segments come out while the file is still arriving, not only at the end.
      expect(pushed.slice(0, lengths.length).some((out) => out.segments.length > 0)).toBe(true)
    },
  )

  it("a piece of a few bytes that completes no sample runs through every stage", {
    timeout: 30_000,
  }, async () => {
    const bytes = concatBytes(fixtures[0]!.bytes)
    const { whole, streamed } = await both(bytes, [3, 41, 1, 1, bytes.length - 46])
    expect(streamed.segments).toEqual(whole.segments)
  })
})
