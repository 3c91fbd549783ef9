/**
 * Drift against the committed student's own reference (its confidence
 * histogram on the validation set, from @edgeline/model-message-triage's
 * report): confidences drawn like the reference read as stable, a shift
 * toward low confidence as significant; a tap reports summaries as
 * telemetry samples.
 */

import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { Pipeline, Tap, Telemetry } from "@edgeline/core"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Drift } from "../src/index.js"

const report = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve("@edgeline/model-message-triage/report.json"),
    "utf8",
  ),
) as {
  confidenceHistogram: { edges: Array<number>; fractions: Array<number>; counts: Array<number> }
}
const reference = Drift.referenceOf({ confidenceHistogram: report.confidenceHistogram })!

/** Confidences at the middle of each bin, as many as the reference's counts. */
const likeReference = () =>
  report.confidenceHistogram.counts.flatMap((n, i) =>
    Array.from({ length: n }, () => (reference.edges[i]! + reference.edges[i + 1]!) / 2),
  )

describe("Drift", () => {
  it("reads the reference from manifest metadata, and refuses a malformed one", () => {
    expect(reference.fractions).toHaveLength(reference.edges.length - 1)
    for (const bad of [
      {},
      { confidenceHistogram: { edges: [0.5, 1], fractions: [0.5, 0.5] } },
      { confidenceHistogram: { edges: [1, 0.5], fractions: [1] } },
      { confidenceHistogram: { edges: [0.5, "1"], fractions: [1] } },
    ]) {
      expect(Drift.referenceOf(bad)).toBeUndefined()
    }
  })

  it("confidences distributed like the validation set are stable; a shift to low confidence is significant", () => {
    const same = Drift.monitor(reference)
    for (const c of likeReference()) same.add(c)
    expect(same.summary().psi).toBeLessThan(0.01)
    expect(same.summary().level).toBe("stable")
    expect(same.summary().counts).toEqual(report.confidenceHistogram.counts)

    const unsure = Drift.monitor(reference)
    const confidences = likeReference()
    confidences.forEach((c, i) => {
      unsure.add(i % 3 === 0 ? 0.55 + (i % 10) / 100 : c)
    })
    expect(unsure.summary().level).toBe("significant")
    expect(unsure.summary().psi).toBeGreaterThan(0.25)
  })

  it("bins values at and beyond the edges into the end bins, and ignores NaN", () => {
    const m = Drift.monitor(reference)
    for (const c of [0, reference.edges[0]!, 1, 2, Number.NaN]) m.add(c)
    const { counts, items } = m.summary()
    expect(items).toBe(4)
    expect(counts[0]).toBe(2)
    expect(counts.at(-1)).toBe(2)
  })

  it("a tap reports a summary as a telemetry sample every N values", async () => {
    const events: Array<Telemetry.Event> = []
    const sink = Layer.succeed(Telemetry.Telemetry, {
      record: (input) => Effect.sync(() => void events.push(Telemetry.complete(input))),
    })
    const pipeline = Pipeline.make(
      "watched",
      Drift.tap<number>({
        name: "drift",
        reference,
        confidence: (c) => c,
        every: 100,
        attributes: { name: "triage", version: "1.0.0" },
      }),
    )
    const confidences = likeReference().slice(0, 250)
    await Effect.runPromise(
      Effect.forEach(confidences, (c) => Pipeline.run(pipeline, c)).pipe(
        Effect.provide(Layer.merge(sink, Tap.layer())),
      ),
    )
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({ kind: "sample", name: "drift", payload: { items: 100 } })
  })
})
