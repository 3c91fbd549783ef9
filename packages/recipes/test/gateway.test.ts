/**
 * The gateway for many live streams (`VoiceGate.gateway`) on the real
 * onnxruntime-node backend and the real Silero v5: streams fed different
 * fixtures, from different offsets, in different chunk sizes, all at once,
 * each get what they get alone through `VoiceGate.stream`; streams join,
 * leave and end while others go on; one stream's bad chunk fails its push
 * only; closing settles what is pending; a long stream holds bounded memory.
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { CancelledError, InputValidationError, StreamEndedError } from "@edgeline/core"
import { type Audio, ResampleError, VoiceGate, WavDecode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadFixture } from "./support/fixtures.js"
import { maxAbsDiff, show } from "./support/frames.js"
import { type StreamRunner, streamRunner, streamThrough } from "./support/gate.js"
import { chunkLengths, mulberry32, randomInt, split } from "./support/prng.js"

type Gateway = VoiceGate.GatewayRunner

const decode = (name: string): Promise<Audio.AudioChunk> =>
  Effect.runPromise(WavDecode.decode(loadFixture(name).bytes))

/** A stream's input: a fixture from `offset` (its own samples), cut into chunks. */
interface Feed {
  readonly name: string
  readonly chunks: ReadonlyArray<Audio.AudioChunk>
}

const feed = (
  audio: Audio.AudioChunk,
  name: string,
  offset: number,
  size: (random: () => number) => number,
  seed: number,
): Feed => {
  const samples = audio.samples.subarray(offset)
  const random = mulberry32(seed)
  const lengths = chunkLengths(samples.length, () => size(random))
  return {
    name,
    chunks: split(samples, lengths).map((s) => ({ samples: s, sampleRate: audio.sampleRate })),
  }
}

let alone: StreamRunner
let gateway: Gateway
let feeds: Array<Feed>

beforeAll(async () => {
  alone = await streamRunner()
  gateway = await VoiceGate.gateway({ layer: NodeRuntime.layer() })
  const conversation = await decode("conversation-16k-mono")
  const noisy = await decode("noisy-8k-mono")
  const fast = await decode("fast-22k-stereo")
  const slow = await decode("slow-24k-float")
  feeds = [
    feed(conversation, "conversation, 512", 0, () => 512, 1),
    feed(conversation, "conversation +0.7 s, 700", 11_200, () => 700, 2),
    feed(conversation, "conversation +2.3 s, 160", 36_900, () => 160, 3),
    feed(noisy, "noisy 8 kHz, 256", 0, () => 256, 4),
    feed(noisy, "noisy 8 kHz +1 s, random 1..3000", 8_000, (r) => randomInt(r, 1, 3000), 5),
    feed(fast, "fast 22 kHz, 4096", 0, () => 4096, 6),
    feed(slow, "slow 24 kHz +0.5 s, 1000", 12_000, () => 1000, 7),
    feed(slow, "slow 24 kHz, random 100..9000", 0, (r) => randomInt(r, 100, 9000), 8),
  ]
})
afterAll(async () => {
  await gateway?.close()
  await alone?.close()
})

/** Pushes each chunk after the one before has resolved, as a microphone's handler would. */
const pushAll = async (
  session: { push: (chunk: Audio.AudioChunk) => Promise<VoiceGate.Gated> },
  chunks: ReadonlyArray<Audio.AudioChunk>,
) => {
  const outputs: Array<VoiceGate.Gated> = []
  for (const chunk of chunks) outputs.push(await session.push(chunk))
  return outputs
}

/** Pushes with frames counted, to compare with the model calls they took. */
let pushesWithFrames = 0

const viaGateway = async (chunks: ReadonlyArray<Audio.AudioChunk>) => {
  const session = await gateway.open()
  const pushed = await pushAll(session, chunks)
  pushesWithFrames += pushed.filter((out) => out.probabilities.length > 0).length
  return VoiceGate.merge([...pushed, ...(await session.end())])
}

const expectSame = (name: string, got: VoiceGate.Gated, want: VoiceGate.Gated) => {
  const diff = maxAbsDiff(got.probabilities, want.probabilities)
  expect(diff, `${name}: max |Δp| ${diff}`).toBeLessThanOrEqual(1e-5)
  expect(show(got.segments), name).toBe(show(want.segments))
  expect(got.samples, name).toBe(want.samples)
  expect(got.bytesOut, name).toBe(want.bytesOut)
}

const aloneMerged = async (chunks: ReadonlyArray<Audio.AudioChunk>) =>
  VoiceGate.merge((await streamThrough(alone, chunks)).all)

describe("VoiceGate.gateway", () => {
  it("streams pushed at once each get what they get alone, in shared model calls", async () => {
    const before = await gateway.timings()
    pushesWithFrames = 0
    const got = await Promise.all(feeds.map((f) => viaGateway(f.chunks)))
    const after = await gateway.timings()
    for (const [i, f] of feeds.entries()) expectSame(f.name, got[i]!, await aloneMerged(f.chunks))
    // Shared calls: far fewer batches than pushes that carried frames.
    const count = (timings: typeof before, stage: string) =>
      timings.find((t) => t.stage === stage)!.count
    const batches = count(after, "silero-vad") - count(before, "silero-vad")
    expect(batches).toBeGreaterThan(0)
    expect(batches).toBeLessThan(pushesWithFrames / 2)
    expect(after.map((t) => t.stage)).toEqual([
      "resample-16k",
      "frames-512",
      "silero-vad",
      "speech-segments",
      "speech-pcm16",
    ])
    expect(gateway.streams).toBe(0)
  })

  it("more streams than maxBatch are scored in groups, with the same results", async () => {
    const small = await VoiceGate.gateway({ layer: NodeRuntime.layer(), maxBatch: 2 })
    try {
      const five = feeds.slice(0, 5)
      const got = await Promise.all(
        five.map(async (f) => {
          const session = await small.open()
          const pushed = await pushAll(session, f.chunks)
          return VoiceGate.merge([...pushed, ...(await session.end())])
        }),
      )
      for (const [i, f] of five.entries()) expectSame(f.name, got[i]!, await aloneMerged(f.chunks))
    } finally {
      await small.close()
    }
  })

  it("a push without a complete frame adds no row and resolves with no probabilities", async () => {
    const session = await gateway.open()
    const count = async () => (await gateway.timings()).find((t) => t.stage === "silero-vad")!.count
    const before = await count()
    const out = await session.push({ samples: new Float32Array(300), sampleRate: 16_000 })
    expect(out.probabilities.length).toBe(0)
    expect(await count()).toBe(before)
    const next = await session.push({ samples: new Float32Array(300), sampleRate: 16_000 })
    expect(next.probabilities.length).toBe(1)
    await session.close()
  })

  it("streams join and leave mid-way; one ends while the others go on", async () => {
    const [a, b, c, d] = [feeds[0]!, feeds[3]!, feeds[5]!, feeds[6]!]
    const half = Math.floor(a.chunks.length / 2)
    const late = Math.floor(c.chunks.length / 3)
    const run = await Promise.all([
      // Ends half way, while the others push on.
      (async () => {
        const session = await gateway.open()
        const pushed = await pushAll(session, a.chunks.slice(0, half))
        return VoiceGate.merge([...pushed, ...(await session.end())])
      })(),
      viaGateway(b.chunks),
      // Joins once the others are under way.
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        return viaGateway(c.chunks)
      })(),
      // Leaves without ending (close): its pushes so far stand.
      (async () => {
        const session = await gateway.open()
        const pushed = await pushAll(session, d.chunks.slice(0, late))
        await session.close()
        await expect(session.push(d.chunks[late]!)).rejects.toBeInstanceOf(StreamEndedError)
        return VoiceGate.merge(pushed)
      })(),
    ])
    expectSame("ended half way", run[0], await aloneMerged(a.chunks.slice(0, half)))
    expectSame("alongside", run[1], await aloneMerged(b.chunks))
    expectSame("joined late", run[2], await aloneMerged(c.chunks))
    const left = await streamThrough(alone, d.chunks.slice(0, late))
    expectSame("left early", run[3], VoiceGate.merge(left.pushed))
    expect(gateway.streams).toBe(0)
  })

  it("a bad chunk fails that push only, with a typed error; its stream and the others go on", async () => {
    const good = feeds[1]!
    const other = feeds[7]!
    const nan = new Float32Array(512).fill(0.1)
    nan[100] = Number.NaN
    const bad: Array<[unknown, new (...args: any) => Error]> = [
      [{ samples: nan, sampleRate: 16_000 }, InputValidationError],
      [{ samples: new Float32Array(512), sampleRate: 1000 }, ResampleError],
      [{ samples: [0.1, 0.2], sampleRate: 16_000 }, InputValidationError],
      ["not a chunk", InputValidationError],
    ]
    const badStream = await gateway.open()
    const errors: Array<unknown> = []
    const outputs: Array<VoiceGate.Gated> = []
    const pushing = (async () => {
      for (const [k, chunk] of good.chunks.entries()) {
        // The bad chunks go in the same turn as the good ones of this and the other stream.
        const [out, failed] = await Promise.all([
          badStream.push(chunk),
          k < bad.length
            ? badStream.push(bad[k]![0] as Audio.AudioChunk).catch((e: unknown) => e)
            : undefined,
        ])
        outputs.push(out)
        if (failed !== undefined) errors.push(failed)
      }
      return VoiceGate.merge([...outputs, ...(await badStream.end())])
    })()
    const [withBad, others] = await Promise.all([pushing, viaGateway(other.chunks)])
    expect(errors).toHaveLength(bad.length)
    for (const [k, [, type]] of bad.entries()) expect(errors[k]).toBeInstanceOf(type)
    expect((errors[0] as Error).message).toMatch(/finite/)
    expectSame("stream with bad chunks", withBad, await aloneMerged(good.chunks))
    expectSame("other stream", others, await aloneMerged(other.chunks))
  })

  it("the Effect API: streams opened in a scope batch together", async () => {
    const [a, b] = [feeds[0]!, feeds[4]!]
    const got = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const gate = yield* VoiceGate.gatewayEffect()
          const through = (chunks: ReadonlyArray<Audio.AudioChunk>) =>
            Effect.gen(function* () {
              const session = yield* gate.open
              const outs: Array<VoiceGate.Gated> = []
              for (const chunk of chunks) outs.push(yield* session.push(chunk))
              outs.push(...(yield* session.end()))
              return VoiceGate.merge(outs)
            })
          const both = yield* Effect.all([through(a.chunks), through(b.chunks)], {
            concurrency: "unbounded",
          })
          const timings = yield* gate.timings
          return { both, timings }
        }),
      ).pipe(Effect.provide(NodeRuntime.layer())),
    )
    expectSame(a.name, got.both[0], await aloneMerged(a.chunks))
    expectSame(b.name, got.both[1], await aloneMerged(b.chunks))
    expect(got.timings.find((t) => t.stage === "silero-vad")!.count).toBeGreaterThan(0)
  })

  it("an aborted push leaves the queue and changes nothing; an already aborted one is refused", async () => {
    const { chunks } = feeds[0]!
    const session = await gateway.open()
    const first = session.push(chunks[0]!)
    const abort = new AbortController()
    const second = session.push(chunks[1]!, { signal: abort.signal })
    abort.abort() // before the gateway's fiber has taken the queue
    await expect(second).rejects.toBeInstanceOf(CancelledError)
    await expect(session.push(chunks[1]!, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    )
    const third = session.push(chunks[2]!)
    const outputs = [await first, await third, ...(await session.end())]
    // As if the stream had been pushed the first and third chunks only.
    expectSame("abort", VoiceGate.merge(outputs), await aloneMerged([chunks[0]!, chunks[2]!]))
  })

  it("closing settles pending pushes (scored or CancelledError) and refuses new ones", async () => {
    const own = await VoiceGate.gateway({ layer: NodeRuntime.layer(), maxBatch: 4 })
    const sessions = await Promise.all(feeds.map(() => own.open()))
    const pending = sessions.flatMap((session, i) =>
      feeds[i]!.chunks.slice(0, 20).map((chunk) =>
        session.push(chunk).then(
          () => "scored",
          (e: unknown) => e,
        ),
      ),
    )
    await own.close()
    const settled = await Promise.all(pending)
    const cancelled = settled.filter((s) => s instanceof CancelledError)
    expect(settled.every((s) => s === "scored" || s instanceof CancelledError)).toBe(true)
    expect(cancelled.length).toBeGreaterThan(0)
    await expect(sessions[0]!.push(feeds[0]!.chunks[0]!)).rejects.toBeInstanceOf(CancelledError)
    await expect(own.open()).rejects.toBeInstanceOf(CancelledError)
    await expect(sessions[1]!.close()).resolves.toBeUndefined()
  })

  it("a long stream holds bounded memory", { timeout: 60_000 }, async () => {
    setFlagsFromString("--expose-gc")
    const gc = runInNewContext("gc") as () => void
    const audio = (await decode("conversation-16k-mono")).samples
    const chunk = 4096
    const sessions = await Promise.all([0, 1, 2, 3].map(() => gateway.open()))
    /** Pushes `seconds` of the fixture, looped, through every stream at once. */
    let at = 0
    const feedFor = async (seconds: number) => {
      for (let done = 0; done < seconds * 16_000; done += chunk) {
        const samples = new Float32Array(chunk)
        for (let i = 0; i < chunk; i++) samples[i] = audio[(at + i) % audio.length]!
        at += chunk
        await Promise.all(sessions.map((s) => s.push({ samples, sampleRate: 16_000 })))
      }
    }
    const heap = () => {
      gc()
      return process.memoryUsage().heapUsed
    }
    await feedFor(30)
    const early = heap()
    await feedFor(240)
    const late = heap()
    // 4 streams × 4 minutes more of Float32 audio is 61 MB; a stream keeps only an open segment's.
    expect(late - early).toBeLessThan(4 * 2 ** 20)
    await Promise.all(sessions.map((s) => s.close()))
  })
})
