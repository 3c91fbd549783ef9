/**
 * The Telemetry spec: events get unique ids (their idempotency keys) and
 * times; a tap records samples off the caller's path; `none` keeps nothing.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as Pipeline from "../src/Pipeline.js"
import * as Stage from "../src/Stage.js"
import * as Tap from "../src/Tap.js"
import * as Telemetry from "../src/Telemetry.js"

/** A sink that keeps what it is given, as the outbox would. */
const collecting = () => {
  const events: Array<Telemetry.Event> = []
  const layer = Layer.succeed(Telemetry.Telemetry, {
    record: (input) => Effect.sync(() => void events.push(Telemetry.complete(input))),
  })
  return { events, layer }
}

describe("Telemetry", () => {
  it("fills in a unique id and the time, and keeps ids and times given", () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () => Telemetry.complete({ kind: "counter", name: "n" }).id),
    )
    expect(ids.size).toBe(1000)
    const event = Telemetry.complete({ kind: "sample", name: "s", payload: { a: 1 } })
    expect(Date.parse(event.at)).toBeGreaterThan(Date.now() - 60_000)
    expect(
      Telemetry.complete({ kind: "counter", name: "n", id: "k", at: "2026-01-01T00:00:00Z" }),
    ).toMatchObject({ id: "k", at: "2026-01-01T00:00:00Z" })
  })

  it("count and sample go to the Telemetry in context", async () => {
    const sink = collecting()
    await Effect.runPromise(
      Effect.all([
        Telemetry.count("escalations", 2, { model: "triage" }),
        Telemetry.sample("labelled", { text: "hi", label: "ham" }),
      ]).pipe(Effect.provide(sink.layer)),
    )
    expect(
      sink.events.map(({ kind, name, value, payload, attributes }) => ({
        kind,
        name,
        value,
        payload,
        attributes,
      })),
    ).toEqual([
      {
        kind: "counter",
        name: "escalations",
        value: 2,
        payload: undefined,
        attributes: { model: "triage" },
      },
      {
        kind: "sample",
        name: "labelled",
        value: undefined,
        payload: { text: "hi", label: "ham" },
        attributes: undefined,
      },
    ])
  })

  it("tapSamples records what passes (skipping undefined payloads) and passes every value on", async () => {
    const sink = collecting()
    const pipeline = Pipeline.make(
      "tapped",
      Stage.preprocess({ name: "double", run: (n: number) => Effect.succeed(n * 2) }),
      Telemetry.tapSamples<number>({
        name: "doubled",
        payload: (n) => (n % 4 === 0 ? { n } : undefined),
      }),
    )
    const out = await Effect.runPromise(
      Effect.forEach([1, 2, 3, 4], (n) => Pipeline.run(pipeline, n)).pipe(
        Effect.provide(Layer.merge(sink.layer, Tap.layer())),
      ),
    )
    expect(out).toEqual([2, 4, 6, 8])
    expect(sink.events.map((e) => e.payload)).toEqual([{ n: 4 }, { n: 8 }])
  })

  it("none keeps nothing and never fails", async () => {
    await expect(
      Effect.runPromise(Telemetry.count("x").pipe(Effect.provide(Telemetry.none))),
    ).resolves.toBeUndefined()
  })
})
