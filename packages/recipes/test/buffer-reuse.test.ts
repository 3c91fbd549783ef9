/**
 * Live audio APIs (AudioWorklet, ring buffers) hand over the same buffer for
 * every chunk. The gate must copy whatever it keeps past a push, so a caller
 * that overwrites its buffer after each push gets the same segments and
 * speech as one that never does.
 */
import { WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { loadFixture } from "./support/fixtures.js"
import { streamRunner, streamThrough } from "./support/gate.js"

describe("the live gate and a reused input buffer", async () => {
  const runner = await streamRunner()
  afterAll(() => runner.close())

  it("gives the same segments and speech when the caller reuses one buffer", async () => {
    const audio = await Effect.runPromise(
      WavDecode.decode(loadFixture("conversation-16k-mono").bytes),
    )
    const size = 4000
    const fresh = []
    for (let at = 0; at < audio.samples.length; at += size) {
      fresh.push({ samples: audio.samples.slice(at, at + size), sampleRate: audio.sampleRate })
    }
    const expected = await streamThrough(runner, fresh)

    const session = await runner.open()
    const shared = new Float32Array(size)
    const outputs = []
    for (let at = 0; at < audio.samples.length; at += size) {
      const part = audio.samples.subarray(at, at + size)
      shared.set(part)
      outputs.push(
        await session.push({
          samples: shared.subarray(0, part.length),
          sampleRate: audio.sampleRate,
        }),
      )
      shared.fill(Number.NaN) // the caller's next write: nothing the gate kept may change
    }
    outputs.push(...(await session.end()))

    const segments = (all: ReadonlyArray<{ segments: ReadonlyArray<unknown> }>) =>
      all.flatMap((o) => o.segments)
    expect(segments(outputs)).toEqual(segments(expected.all))
    const speech = (all: ReadonlyArray<{ speech: Int16Array }>) => all.flatMap((o) => [...o.speech])
    expect(speech(outputs)).toEqual(speech(expected.all))
    expect(segments(outputs).length).toBeGreaterThan(2)
  })
})
