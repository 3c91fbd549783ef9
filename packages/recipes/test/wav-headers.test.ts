/**
 * WAV headers as they come in the wild: streaming writers' length
 * placeholders, RF64 sizes beyond 4 GiB, and hostile or broken headers. A
 * broken one gets a `WavDecodeError` with a problem and a one-line message
 * that says what is wrong (the same whole and in 1-byte pieces), never a
 * crash, and a header's claims never make the decoder allocate more than
 * the bytes it was given.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { WavDecode, type WavDecodeError, type WavProblem } from "@edgeline/recipes"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { FIXTURES_DIR, loadFixture } from "./support/fixtures.js"
import { mulberry32 } from "./support/prng.js"
import {
  chunk,
  concatBytes,
  dataStart,
  ds64Body,
  type FmtOptions,
  fmtBody,
  pcm16,
  toneWav,
  wavFile,
} from "./support/riff.js"

const decode = (bytes: Uint8Array) => Effect.runPromise(WavDecode.decode(bytes))
const decodeError = (bytes: Uint8Array): Promise<WavDecodeError> =>
  Effect.runPromise(Effect.flip(WavDecode.decode(bytes)))

/** The error a reader gives when fed `bytes` one byte at a time, then ended. */
const errorInBytes = (bytes: Uint8Array): unknown => {
  const reader = new WavDecode.WavReader()
  try {
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1))
    reader.end()
  } catch (e) {
    return e
  }
  return undefined
}

const tone = toneWav()

/** The tone's samples under a `fmt ` chunk built from `options`. */
const withFmt = (options: FmtOptions, samples = pcm16(tone.samples)) =>
  wavFile([chunk("fmt ", fmtBody(options)), chunk("data", samples)])

/** The fixture with a 32-bit field rewritten (little endian). */
const patched = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
  const copy = bytes.slice()
  new DataView(copy.buffer).setUint32(at, value, true)
  return copy
}

const fixture = loadFixture("conversation-16k-mono")
const fixtureData = dataStart(fixture.bytes)

describe("length placeholders: the data runs to the end of the input", () => {
  const placeholders = [
    { writer: "sox to a pipe", data: 0x7ffff000, riff: 0x7ffff024 },
    { writer: "arecord", data: 0x7fffffff, riff: 0x7fffffff },
    { writer: "ffmpeg", data: 0xffffffff, riff: 0xffffffff },
    { writer: "a writer that leaves zeros", data: 0, riff: 0 },
    { writer: "a placeholder in the RIFF size only", data: 0x7ffff000 - 1, riff: 0x7fffffff },
  ]

  it.for(placeholders)("$writer (data size $data)", async ({ data, riff }) => {
    const whole = await decode(fixture.bytes)
    const bytes = patched(patched(fixture.bytes, fixtureData - 4, data), 4, riff)
    expect(await decode(bytes)).toEqual(whole)
    // Cut short, even inside a frame, it is no error: the length was never known.
    const cut = await decode(bytes.subarray(0, fixtureData + 1001))
    expect(cut.samples).toEqual(whole.samples.subarray(0, 500))
  })

  it("a placeholder in a big-endian RIFX header", async () => {
    const samples = new Uint8Array(200).map((_, i) => i)
    const bytes = wavFile(
      [
        chunk("fmt ", fmtBody({ bigEndian: true }), { bigEndian: true }),
        chunk("data", samples, { size: 0x7ffff000, bigEndian: true }),
      ],
      { container: "RIFX" },
    )
    expect((await decode(bytes)).samples.length).toBe(100)
  })

  it("a data size of 0 with nothing after it is an empty file", async () => {
    const bytes = patched(fixture.bytes.subarray(0, fixtureData), fixtureData - 4, 0)
    expect((await decodeError(bytes)).problem).toBe("empty")
  })

  it("a real size just under the placeholders is still a promise: short input is truncated", async () => {
    const bytes = patched(fixture.bytes, fixtureData - 4, 0x7ffeffff)
    const error = await decodeError(bytes)
    expect(error.problem).toBe("truncated")
    expect(error.message).toContain(String(0x7ffeffff))
  })

  it("RF64 has no placeholders: its real sizes are in ds64, so 0x7FFFF000 there is a size", async () => {
    const bytes = wavFile(
      [
        chunk("ds64", ds64Body(0)),
        chunk("fmt ", fmtBody()),
        chunk("data", pcm16(tone.samples), { size: 0x7ffff000 }),
      ],
      { container: "RF64" },
    )
    expect((await decodeError(bytes)).problem).toBe("truncated")
  })
})

describe("RF64 sizes beyond 4 GiB", () => {
  it("a chunk of 4 GiB + 10 bytes (size in the ds64 table) is skipped to the byte", async () => {
    const JUNK = 2 ** 32 + 10
    const head = wavFile(
      [chunk("ds64", ds64Body(tone.samples.length * 2, [{ id: "junk", size: JUNK }]))],
      { container: "RF64" },
    )
    const junkHeader = chunk("junk", new Uint8Array(0), { size: 0xffffffff })
    const tail = concatBytes(chunk("fmt ", fmtBody()), chunk("data", pcm16(tone.samples)))

    const reader = new WavDecode.WavReader()
    expect(reader.push(concatBytes(head, junkHeader)).length).toBe(0)
    const block = new Uint8Array(64 * 2 ** 20).fill(0x55)
    for (let left = JUNK; left > 0; left -= block.length) {
      expect(reader.push(block.subarray(0, Math.min(left, block.length))).length).toBe(0)
      expect(reader.bytesHeld).toBe(0)
    }
    const samples = reader.push(tail)
    reader.end()
    expect(samples).toEqual(tone.samples)
  })

  it("a data size over 2^32 from ds64 is kept exactly (a short file reports it)", async () => {
    const declared = 2 ** 32 + 2 ** 31 + 6
    const bytes = wavFile(
      [
        chunk("ds64", ds64Body(declared)),
        chunk("fmt ", fmtBody()),
        chunk("data", pcm16(tone.samples), { size: 0xffffffff }),
      ],
      { container: "RF64" },
    )
    const error = await decodeError(bytes)
    expect(error.problem).toBe("truncated")
    expect(error.message).toContain(`promises ${declared} bytes of audio but 3200 are present`)
  })
})

interface Case {
  readonly name: string
  readonly bytes: () => Uint8Array
  readonly problem: WavProblem
  readonly says: RegExp
}

const rateCase = (rate: number): Case => ({
  name: `a sample rate of ${rate} Hz`,
  bytes: () => withFmt({ sampleRate: rate }),
  problem: "unsupported-rate",
  says: new RegExp(`${rate} Hz is outside the supported 4000–384000 Hz`),
})

const text = (n: number) => new Uint8Array(n).fill(0x20)

const hostile: ReadonlyArray<Case> = [
  ...[1, 64, 3999, 384_001, 0, 0xffffffff].map(rateCase),
  {
    name: "0 channels",
    bytes: () => withFmt({ channels: 0, blockAlign: 2 }),
    problem: "invalid-header",
    says: /0 channels/,
  },
  {
    name: "65535 channels of 16-bit (frames larger than blockAlign can say)",
    bytes: () => withFmt({ channels: 65535, blockAlign: 65534 }),
    problem: "invalid-header",
    says: /blockAlign is 65534 bytes, but 65535 channel\(s\) of 16-bit samples take 131070/,
  },
  {
    name: "a blockAlign that does not match channels × sample size",
    bytes: () => withFmt({ channels: 2, blockAlign: 2 }),
    problem: "invalid-header",
    says: /blockAlign is 2 bytes, but 2 channel\(s\) of 16-bit samples take 4/,
  },
  {
    name: "a fmt chunk of 14 bytes",
    bytes: () => wavFile([chunk("fmt ", fmtBody().subarray(0, 14)), chunk("data", text(100))]),
    problem: "invalid-header",
    says: /fmt chunk is 14 bytes, fewer than the 16/,
  },
  {
    name: "a fmt chunk of 0 bytes",
    bytes: () => wavFile([chunk("fmt ", new Uint8Array(0)), chunk("data", text(100))]),
    problem: "invalid-header",
    says: /fmt chunk is 0 bytes/,
  },
  {
    name: "an EXTENSIBLE fmt chunk of 18 bytes",
    bytes: () => {
      const fmt = fmtBody({ subformat: 1 }).slice(0, 18)
      return wavFile([chunk("fmt ", fmt), chunk("data", pcm16(tone.samples))])
    },
    problem: "invalid-header",
    says: /WAVE_FORMAT_EXTENSIBLE but is 18 bytes/,
  },
  {
    name: "data before fmt",
    bytes: () => wavFile([chunk("data", pcm16(tone.samples)), chunk("fmt ", fmtBody())]),
    problem: "invalid-header",
    says: /data chunk comes before any fmt chunk/,
  },
  {
    name: "no fmt at all",
    bytes: () => wavFile([chunk("LIST", text(40)), chunk("data", pcm16(tone.samples))]),
    problem: "invalid-header",
    says: /before any fmt chunk/,
  },
  {
    name: "a data size far beyond the bytes present, in a RIFF with a normal size",
    bytes: () =>
      wavFile([chunk("fmt ", fmtBody()), chunk("data", pcm16(tone.samples), { size: 3_200_000 })], {
        riffSize: 3_200_036,
      }),
    problem: "truncated",
    says: /truncated: the header promises 3200000 bytes of audio but 3200 are present/,
  },
  {
    name: "a LIST chunk claiming 3 GB before the data",
    bytes: () =>
      wavFile([
        chunk("fmt ", fmtBody()),
        chunk("LIST", text(500), { size: 3_000_000_000 }),
        chunk("data", pcm16(tone.samples)),
      ]),
    problem: "not-wav",
    says: /ends after 3752 bytes, inside the "LIST" chunk \(3000000000 bytes declared\), before any audio/,
  },
  {
    name: "an RF64 data chunk without ds64",
    bytes: () =>
      wavFile(
        [chunk("fmt ", fmtBody()), chunk("data", pcm16(tone.samples), { size: 0xffffffff })],
        {
          container: "RF64",
        },
      ),
    problem: "invalid-header",
    says: /ds64 chunk that is missing/,
  },
  {
    name: "a ds64 chunk of 8 bytes",
    bytes: () => wavFile([chunk("ds64", new Uint8Array(8))], { container: "RF64" }),
    problem: "invalid-header",
    says: /ds64 chunk is 8 bytes/,
  },
  {
    name: "random bytes",
    bytes: () => {
      const random = mulberry32(5)
      return Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256))
    },
    problem: "not-wav",
    says: /not a WAV file: it starts with (0x[0-9a-f]{8}|".{4}"), not "RIFF", "RIFX" or "RF64"/,
  },
  {
    name: "RIFF WAVE followed by garbage",
    bytes: () => {
      const random = mulberry32(6)
      return concatBytes(
        wavFile([]),
        Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256)),
      )
    },
    problem: "not-wav",
    says: /not a WAV file: the input ends after 5012 bytes/,
  },
  {
    name: "an empty input",
    bytes: () => new Uint8Array(0),
    problem: "not-wav",
    says: /the input is empty/,
  },
  {
    name: "a header cut after 10 bytes",
    bytes: () => fixture.bytes.slice(0, 10),
    problem: "not-wav",
    says: /the input ends after 10 bytes/,
  },
  {
    name: "MP3 in a WAV",
    bytes: () => withFmt({ tag: 0x55, bitsPerSample: 0, blockAlign: 1 }),
    problem: "unsupported-format",
    says: /encoding MP3 \(format tag 0x0055\) is not supported; convert it to 16-bit PCM WAV/,
  },
  {
    name: "an unknown format tag",
    bytes: () => withFmt({ tag: 0x1234 }),
    problem: "unsupported-format",
    says: /encoding unknown \(format tag 0x1234\)/,
  },
  {
    name: "12-bit PCM",
    bytes: () => withFmt({ bitsPerSample: 12, blockAlign: 2 }),
    problem: "unsupported-format",
    says: /encoding 12-bit PCM \(format tag 0x0001\)/,
  },
  {
    name: "16-bit float",
    bytes: () => withFmt({ tag: 3, bitsPerSample: 16 }),
    problem: "unsupported-format",
    says: /encoding 16-bit IEEE float/,
  },
  {
    name: "EXTENSIBLE with a GSM 6.10 subformat",
    bytes: () => withFmt({ subformat: 0x31 }),
    problem: "unsupported-format",
    says: /encoding GSM 6.10 \(extensible subformat 0x0031\)/,
  },
  {
    name: "EXTENSIBLE with a non-standard subformat GUID (Ambisonic B-format)",
    bytes: () => {
      const fmt = fmtBody({ channels: 4, subformat: 1 })
      // AMBISONIC_B_FORMAT_PCM: 00000001-0721-11d3-8644-c8c1ca000000
      fmt.set([0, 0, 0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0, 0, 0], 26)
      return wavFile([chunk("fmt ", fmt), chunk("data", new Uint8Array(800))])
    },
    problem: "unsupported-format",
    says: /extensible subformat \{00000001-0721-11d3-8644-c8c1ca000000\}/,
  },
]

const expectOneLine = (message: string) => {
  expect(message.length).toBeGreaterThan(10)
  expect(message.length).toBeLessThan(200)
  expect(message).not.toMatch(/[\r\n]/)
}

describe("hostile and broken headers", () => {
  it.for(hostile)("$name: $problem", async ({ bytes, problem, says }) => {
    const input = bytes()
    const error = await decodeError(input)
    expect(error._tag).toBe("WavDecodeError")
    expect(error.problem).toBe(problem)
    expect(error.message).toMatch(says)
    expectOneLine(error.message)
    // Fed one byte at a time, the reader fails the same way.
    expect(errorInBytes(input)).toEqual(error)
  })

  it("the rates at the ends of the range, 4000 and 384000 Hz, decode", async () => {
    for (const sampleRate of [4000, 384_000]) {
      const audio = await decode(withFmt({ sampleRate }))
      expect(audio.sampleRate).toBe(sampleRate)
      expect(audio.samples).toEqual(tone.samples)
    }
  })

  it("65535 channels of 8-bit (a 65535-byte frame) decode, averaged", async () => {
    const frame = new Uint8Array(65535).fill(128 + 64)
    const audio = await decode(
      withFmt({ channels: 65535, bitsPerSample: 8 }, concatBytes(frame, frame)),
    )
    expect(audio.samples).toEqual(Float32Array.of(0.5, 0.5))
  })

  it("IMA ADPCM written by sndfile-convert is refused by name", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgeline-adpcm-"))
    try {
      const out = join(dir, "ima.wav")
      execFileSync("sndfile-convert", ["-ima-adpcm", join(FIXTURES_DIR, fixture.truth.file), out])
      const bytes = new Uint8Array(readFileSync(out))
      return decodeError(bytes).then((error) => {
        expect(error.problem).toBe("unsupported-format")
        expect(error.message).toMatch(/IMA ADPCM \(format tag 0x0011\).*convert it to 16-bit PCM/)
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("a header's claims do not size allocations", () => {
  const claims = [
    {
      name: "RIFF promising 0x7FFEFFFF bytes (74 hours at 8 kHz, 8-bit)",
      bytes: () =>
        wavFile([
          chunk("fmt ", fmtBody({ sampleRate: 8000, bitsPerSample: 8 })),
          chunk("data", new Uint8Array(1000).fill(128), { size: 0x7ffeffff }),
        ]),
    },
    {
      name: "RF64 promising 2^52 bytes",
      bytes: () =>
        wavFile(
          [
            chunk("ds64", ds64Body(2 ** 52)),
            chunk("fmt ", fmtBody()),
            chunk("data", new Uint8Array(1000), { size: 0xffffffff }),
          ],
          { container: "RF64" },
        ),
    },
  ]

  it.for(claims)(
    "$name: each piece gives its own samples, and nothing more is held",
    ({ bytes }) => {
      const input = bytes()
      const reader = new WavDecode.WavReader()
      const before = process.memoryUsage().arrayBuffers
      let total = 0
      for (let at = 0; at < input.length; at += 97) {
        const piece = input.subarray(at, at + 97)
        const samples = reader.push(piece)
        expect(samples.length).toBeLessThanOrEqual(piece.length)
        expect(reader.bytesHeld).toBeLessThan(64)
        total += samples.length
      }
      expect(total).toBeGreaterThan(0)
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000)
      expect(() => reader.end()).toThrow(/truncated/)
    },
  )
})
