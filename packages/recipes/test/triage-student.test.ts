/**
 * The message-triage student on runtime-node, as the recipe runs it: the
 * committed model through ModelSource, the featurizer from its package,
 * micro-batched callers (two stages: featurize, then the model). Its probabilities match @edgeline/distill's
 * TypeScript forward pass of the same file.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { Pipeline } from "@edgeline/core"
import { Classifier } from "@edgeline/distill"
import * as Student from "@edgeline/model-message-triage"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { TriageStudent } from "../src/index.js"

const SPAM = [
  "Subject: URGENT: claim your FREE prize now!!!\n\nClick here to claim your cash prize. Limited offer, act now!",
  "From: Deals <deals@example.com>\nSubject: Lowest mortgage rates\n\n<html><body>Refinance today and SAVE $$$ - no obligation! Reply REMOVE to unsubscribe</body></html>",
]
const HAM = [
  "Subject: Re: build failure on the nightly\nFrom: Ann <ann@example.org>\n\nThanks, I reverted the change to the Makefile; the nightly build passes again.",
  "Subject: lunch?\n\nAre we still on for lunch on Thursday? The new place by the station has good soup.",
]
/** Odd texts too: empty, no features at all, a long one, emoji. */
const ODD = ["", "   ", "🙂🙂🙂", `Subject: long\n\n${"word ".repeat(50_000)}`]

const texts = [...SPAM, ...HAM, ...ODD]

const run = (student: Awaited<ReturnType<typeof build>>, inputs: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.all(
      inputs.map((text) => Pipeline.run(student, { text })),
      { concurrency: "unbounded" },
    ).pipe(Effect.provide(NodeRuntime.layer())),
  )

const build = (options?: TriageStudent.Options) => Effect.runPromise(TriageStudent.make(options))

describe("TriageStudent", () => {
  it("labels real-looking spam and ham, and gives the TypeScript forward pass's probabilities within 1e-5", async () => {
    const stage = await build({ batch: false })
    const results = await run(stage, texts)
    expect(results.slice(0, 2).map((r) => r.label)).toEqual(["spam", "spam"])
    expect(results.slice(2, 4).map((r) => r.label)).toEqual(["ham", "ham"])
    const bytes = new Uint8Array(
      await readFile(createRequire(import.meta.url).resolve(Student.specifier)),
    )
    const reference = await Classifier.load(bytes)
    for (const [i, text] of texts.entries()) {
      const expected = reference.classify(text)
      expect(results[i]!.probabilities).toHaveLength(2)
      for (let c = 0; c < 2; c++)
        expect(Math.abs(results[i]!.probabilities[c]! - expected[c]!)).toBeLessThan(1e-5)
      expect(results[i]!.confidence).toBe(Math.max(...results[i]!.probabilities))
    }
  })

  it("gives 16 concurrent callers, batched with ragged widths, the answers each would get alone", async () => {
    const inputs = Array.from({ length: 16 }, (_, i) => texts[i % texts.length]!)
    const alone = await run(await build({ batch: false }), inputs)
    const batched = await run(await build({ batch: { maxSize: 16, maxWaitMs: 20 } }), inputs)
    for (const [i, result] of batched.entries()) {
      expect(result.label).toBe(alone[i]!.label)
      for (let c = 0; c < 2; c++)
        expect(Math.abs(result.probabilities[c]! - alone[i]!.probabilities[c]!)).toBeLessThan(1e-6)
    }
  })

  it("is two stages, featurize then the model, each timed on its own", async () => {
    const student = await build({ batch: false })
    const [before, after] = await Effect.runPromise(
      Effect.gen(function* () {
        // Timings accumulate per pipeline name in the process's registry (other tests ran it too).
        const before = yield* Pipeline.timings(student)
        for (const text of texts) yield* Pipeline.run(student, { text })
        return [before, yield* Pipeline.timings(student)] as const
      }).pipe(Effect.provide(NodeRuntime.layer())),
    )
    expect(after.map((t) => [t.stage, t.kind])).toEqual([
      [TriageStudent.FEATURES_STAGE, "preprocess"],
      [TriageStudent.STAGE, "infer"],
    ])
    after.forEach((t, i) => {
      expect(t.count - (before[i]?.count ?? 0)).toBe(texts.length)
      expect(t.totalMs).toBeGreaterThan(before[i]?.totalMs ?? 0)
    })
  })

  it("refuses a featurizer config it cannot run, with a typed error", async () => {
    const error = await Effect.runPromise(
      Effect.flip(TriageStudent.make({ featurizer: { ...Student.featurizer, buckets: 1000 } })),
    )
    expect(error._tag).toBe("FeaturizerConfigError")
  })
})
