/**
 * Bad input: each kind of broken WAV gets a `WavDecodeError` with the right
 * `problem` and a one-line message that says what is wrong, through the
 * Effect API and through the Promise runner; input that is not bytes at all
 * is refused at the pipeline's entry.
 */
import { InputValidationError, Pipeline, type Progress } from "@edgeline/core"
import { VoiceGate, WavDecode, WavDecodeError, type WavProblem } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadFixture } from "./support/fixtures.js"
import { type FileRunner, fileRunner } from "./support/gate.js"
import { mulberry32 } from "./support/prng.js"
import { dataOffset, imaAdpcmWav, makeWav } from "./support/wav.js"

const fixture = loadFixture("conversation-16k-mono")

let runner: FileRunner
beforeAll(async () => {
  runner = await fileRunner()
})
afterAll(() => runner?.close())

const randomBytes = (length: number, seed: number): Uint8Array => {
  const random = mulberry32(seed)
  return Uint8Array.from({ length }, () => Math.floor(random() * 256))
}

/** The fixture cut `keep` bytes into its data chunk. */
const cut = (keep: number): Uint8Array => fixture.bytes.slice(0, dataOffset(fixture.bytes) + keep)

/** A 32-bit float WAV with `value` written over float sample `index` (interleaved). */
const floatWavWith = (channels: number, index: number, value: number): Uint8Array => {
  const samples = Array.from({ length: channels }, (_, c) =>
    Float32Array.from(
      { length: 1600 },
      (_, i) => 0.25 * Math.sin((2 * Math.PI * 440 * i) / 16000 + c),
    ),
  )
  const bytes = makeWav(samples, 16_000, "32f")
  new DataView(bytes.buffer, bytes.byteOffset).setFloat32(
    dataOffset(bytes) + 4 * index,
    value,
    true,
  )
  return bytes
}

interface Case {
  readonly name: string
  readonly bytes: () => Uint8Array
  readonly problem: WavProblem
  /** What the message must say. */
  readonly says: RegExp
}

const dataBytes = fixture.truth.durationSec * fixture.truth.sampleRate * 2

const cases: ReadonlyArray<Case> = [
  {
    name: "random bytes",
    bytes: () => randomBytes(4096, 1),
    problem: "not-wav",
    says: /not a WAV/,
  },
  {
    name: "text",
    bytes: () => new TextEncoder().encode("Hello, this is a text file and not audio.\n"),
    problem: "not-wav",
    says: /not a WAV/,
  },
  {
    name: "a RIFF file that is not WAVE",
    bytes: () => {
      const bytes = fixture.bytes.slice()
      bytes.set(new TextEncoder().encode("AVI "), 8)
      return bytes
    },
    problem: "not-wav",
    says: /not a WAV/,
  },
  {
    name: "a WAV cut in the middle of its data chunk",
    bytes: () => cut(dataBytes / 2),
    problem: "truncated",
    says: new RegExp(`truncated.*${dataBytes}.*${dataBytes / 2}`),
  },
  {
    name: "a WAV cut in the middle of a sample",
    bytes: () => cut(1001),
    problem: "truncated",
    says: /truncated.*1001/,
  },
  {
    name: "a float WAV with a NaN sample",
    bytes: () => floatWavWith(1, 700, Number.NaN),
    problem: "invalid-samples",
    says: /sample 700 is NaN/,
  },
  {
    name: "a stereo float WAV with an infinite sample in the right channel",
    bytes: () => floatWavWith(2, 2 * 300 + 1, Number.POSITIVE_INFINITY),
    problem: "invalid-samples",
    says: /sample 300 is Infinity/,
  },
  {
    name: "an IMA ADPCM WAV",
    bytes: () => imaAdpcmWav(Float32Array.from({ length: 1600 }, (_, i) => 0.3 * Math.sin(i / 5))),
    problem: "unsupported-format",
    says: /encoding IMA ADPCM \(format tag 0x0011\) is not supported; convert it/,
  },
  {
    name: "a WAV at 64 Hz",
    bytes: () => makeWav([new Float32Array(640)], 64, "16"),
    problem: "unsupported-rate",
    says: /64 Hz is outside the supported 4000–384000 Hz/,
  },
  {
    name: "a WAV with zero samples",
    bytes: () => makeWav([new Float32Array(0)], 16_000, "16"),
    problem: "empty",
    says: /no audio/,
  },
]

const expectOneLine = (message: string) => {
  expect(message.length).toBeGreaterThan(10)
  expect(message.length).toBeLessThan(200)
  expect(message).not.toMatch(/[\r\n]/)
}

describe("WavDecodeError", () => {
  it.for(cases)("$name: $problem (Effect)", async ({ bytes, problem, says }) => {
    const error = await Effect.runPromise(Effect.flip(WavDecode.decode(bytes())))
    expect(error).toBeInstanceOf(WavDecodeError)
    expect(error._tag).toBe("WavDecodeError")
    expect(error.problem).toBe(problem)
    expect(error.message).toMatch(says)
    expectOneLine(error.message)
  })

  it.for(cases)("$name: $problem (Promise runner)", async ({ bytes, problem, says }) => {
    const error: unknown = await runner.run(bytes()).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ _tag: "WavDecodeError", problem })
    expect((error as Error).message).toMatch(says)
    expectOneLine((error as Error).message)
  })

  it("the fixture itself decodes (the broken cases above differ from it only as described)", async () => {
    const audio = await Effect.runPromise(WavDecode.decode(fixture.bytes))
    expect(audio.sampleRate).toBe(16_000)
    expect(audio.samples.length * 2).toBe(dataBytes)
    const float = await Effect.runPromise(WavDecode.decode(floatWavWith(2, 0, 0)))
    expect(float.samples.length).toBe(1600)
  })
})

describe("input that is not bytes", () => {
  const notBytes: ReadonlyArray<{ readonly name: string; readonly input: unknown }> = [
    { name: "a string", input: "talk.wav" },
    { name: "an ArrayBuffer", input: fixture.bytes.slice().buffer },
    { name: "an array of numbers", input: Array.from(fixture.bytes.subarray(0, 64)) },
    { name: "undefined", input: undefined },
  ]

  it.for(notBytes)("$name is refused at the entry (Promise runner)", async ({ input }) => {
    const events: Array<Progress.Event> = []
    const error: unknown = await runner
      .run(input as Uint8Array, { onProgress: (event) => events.push(event) })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ _tag: "InputValidationError", stage: "wav-decode" })
    expectOneLine((error as Error).message)
    expect((error as Error).message).toMatch(
      /input to "voice-gate" \(stage "wav-decode"\) is invalid/,
    )
    // Nothing ran: no stage reported progress.
    expect(events).toEqual([])
  })

  it("a string is refused with InputValidationError (Effect)", async () => {
    const error = await Effect.runPromise(
      Pipeline.run(VoiceGate.file, "talk.wav" as unknown as Uint8Array).pipe(
        Effect.flip,
        Effect.provide(NodeRuntime.layer()),
      ),
    )
    expect(error).toBeInstanceOf(InputValidationError)
    expect(error._tag).toBe("InputValidationError")
  })

  it("a Node Buffer is bytes and is accepted", async () => {
    const gated = await runner.run(Buffer.from(fixture.bytes))
    expect(gated.segments.length).toBeGreaterThan(0)
  })
})
