/**
 * The detector as a stream: the same scores whatever the push sizes; a
 * reset starts afresh (warm-up, no stale context) on the stream's clock; fed
 * only a voice gate's speech segments with a little padding, after a reset
 * each, it still wakes once per "hey jarvis" and never on the rest.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { WakeWord } from "@edgeline/recipes"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FileRunner, fileRunner } from "./support/gate.js"
import { chunkLengths, mulberry32, randomInt, split } from "./support/prng.js"
import {
  type DetectorRunner,
  detect,
  detectorRunner,
  loadWakeFixture,
  maxScore,
  pushes,
  WAKE_DIR,
  WAKE_FIXTURES,
} from "./support/wake.js"

let runner: DetectorRunner
let gate: FileRunner
beforeAll(async () => {
  runner = await detectorRunner()
  gate = await fileRunner()
})
afterAll(async () => {
  await runner?.close()
  await gate?.close()
})

const slt = loadWakeFixture("flite-slt")

describe("chunk sizes", () => {
  it("512, 1280, one push and random sizes give the same scores and wakes", async () => {
    const reference = await detect(runner, pushes(slt.samples, 1280))
    const random = mulberry32(0x77a4e)
    const lengths = chunkLengths(slt.samples.length, () => randomInt(random, 1, 5000))
    const variants = [
      pushes(slt.samples, 512),
      [{ samples: slt.samples }],
      split(slt.samples, lengths).map((samples) => ({ samples })),
    ]
    for (const inputs of variants) {
      const detection = await detect(runner, inputs)
      expect(detection.scores.length).toBe(reference.scores.length)
      detection.scores.forEach((s, i) => {
        const r = reference.scores[i]!
        expect(s.start).toBeCloseTo(r.start, 9)
        // One push batches its embeddings: the engine may round differently per batch size.
        expect(Math.abs(s.score - r.score)).toBeLessThan(1e-4)
      })
      expect(detection.wakes.map((w) => w.at)).toEqual(reference.wakes.map((w) => w.at))
    }
    // Four passes over 15 s of audio through three models: a loaded CI took over 30 s.
  }, 120_000)
})

describe("reset", () => {
  it("zeroes the warm-up's 5 scores after the start and after a reset, on the given clock", async () => {
    const head = slt.samples.slice(0, 16000)
    const detection = await detect(runner, [
      { samples: head },
      WakeWord.reset(100),
      { samples: head },
    ])
    expect(detection.scores.length).toBe(24)
    const second = detection.scores.slice(12)
    expect(detection.scores.slice(0, 5).every((s) => s.score === 0)).toBe(true)
    expect(second.slice(0, 5).every((s) => s.score === 0)).toBe(true)
    expect(second[0]!.start).toBe(100)
    expect(second[1]!.start).toBeCloseTo(100.08, 9)
    // The partial chunk before the reset (16000 = 12.5 chunks) is dropped, not carried.
    expect(detection.scores[11]!.end).toBeCloseTo(0.96, 9)
  })

  it("leaves nothing of the previous audio behind: after a reset a stream scores like a fresh one", async () => {
    const u = slt.utterances[3]!
    const from = Math.round((u.start - 0.3) * 16000)
    const segment = slt.samples.slice(from, Math.round((u.end + 0.5) * 16000))
    const fresh = await detect(runner, [{ samples: segment, at: from / 16000 }])
    const afterOther = await detect(runner, [
      { samples: slt.samples.slice(0, from - 16000) },
      WakeWord.reset(from / 16000),
      { samples: segment },
    ])
    const tail = afterOther.scores.slice(-fresh.scores.length)
    expect(tail.map((s) => s.start)).toEqual(fresh.scores.map((s) => s.start))
    for (const [i, s] of tail.entries()) {
      expect(Math.abs(s.score - fresh.scores[i]!.score)).toBeLessThan(1e-4)
    }
  })

  it("keeps the refractory period across resets and wakes at most once per period", async () => {
    const low = await detectorRunner({ threshold: 0.05, refractoryMs: 2000 })
    try {
      const detection = await detect(low, pushes(slt.samples, 1280))
      for (let i = 1; i < detection.wakes.length; i++) {
        expect(detection.wakes[i]!.at - detection.wakes[i - 1]!.at).toBeGreaterThanOrEqual(2 - 1e-9)
      }
      // "hey jarvis" twice, 1.4 s apart, the second after a reset: one wake in 2 s, two in 0.5 s.
      const u = slt.utterances[0]!
      const from = Math.round((u.start - 0.3) * 16000)
      const to = Math.round((u.wakePhraseEnd! + 0.4) * 16000)
      const twice = [
        { samples: slt.samples.slice(from, to), at: from / 16000 },
        WakeWord.reset(to / 16000),
        { samples: slt.samples.slice(from, to) },
      ]
      expect((await detect(low, twice)).wakes.length).toBe(1)
      const short = await detectorRunner({ threshold: 0.05, refractoryMs: 500 })
      try {
        expect((await detect(short, twice)).wakes.length).toBe(2)
      } finally {
        await short.close()
      }
    } finally {
      await low.close()
    }
  })
})

describe("only speech segments, each after a reset", () => {
  /** Padding on each side of a segment, beyond the gate's own: the model scores a phrase once it has ended. */
  const PAD = 0.3

  it.each(WAKE_FIXTURES)("%s: wakes once per wake utterance, never on the rest", async (name) => {
    const fixture = loadWakeFixture(name)
    const gated = await gate.run(new Uint8Array(readFileSync(join(WAKE_DIR, `${name}.wav`))))
    expect(gated.segments.length).toBeGreaterThanOrEqual(fixture.utterances.length)
    const inputs = gated.segments.flatMap((s) => {
      const from = Math.max(0, Math.round((s.start - PAD) * 16000))
      const to = Math.min(fixture.samples.length, Math.round((s.end + PAD) * 16000))
      return [WakeWord.reset(from / 16000), { samples: fixture.samples.slice(from, to) }]
    })
    const detection = await detect(runner, inputs)
    const heard = fixture.samples.length / 16000
    const fed = inputs.reduce((n, i) => n + i.samples.length, 0) / 16000
    console.log(
      name,
      `fed ${fed.toFixed(2)} of ${heard.toFixed(2)} s in ${gated.segments.length} segments;`,
      fixture.utterances.map((u) => maxScore(detection, u.start, u.end + 0.5).toFixed(4)).join(" "),
    )
    for (const u of fixture.utterances) {
      const wakes = detection.wakes.filter((w) => w.at >= u.start && w.at <= u.end + 0.5)
      expect(wakes.length, u.text).toBe(u.wake ? 1 : 0)
      if (u.wake) {
        expect(wakes[0]!.at).toBeGreaterThanOrEqual(u.wakePhraseEnd! - 0.2)
        expect(wakes[0]!.at).toBeLessThanOrEqual(u.wakePhraseEnd! + 0.6)
        expect(maxScore(detection, u.start, u.end + 0.5)).toBeGreaterThanOrEqual(
          fixture.engine === "flite" ? 0.9 : 0.5,
        )
      } else {
        expect(maxScore(detection, u.start, u.end + 0.5), u.text).toBeLessThan(0.3)
      }
    }
    expect(detection.wakes.length).toBe(fixture.utterances.filter((u) => u.wake).length)
  })
})
