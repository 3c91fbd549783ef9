import { Cause, Data, Effect, Layer, Logger, Metric, Ref, Tracer } from "effect"
import { describe, expect, it, vi } from "vitest"
import * as Condense from "../src/Condense.js"
import * as Escalate from "../src/Escalate.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tap from "../src/Tap.js"

// Metrics live in one registry per process, keyed by name and attributes,
// and stage metrics are tagged with the stage name: every stage below has
// a name of its own so tests do not see each other's counts.

/** The counter value of metric `id` for a stage, summed over its other attributes. */
const counted = (id: string, attributes: Record<string, string>) =>
  Effect.map(Metric.snapshot, (snapshots) =>
    snapshots
      .filter(
        (s) =>
          s.id === id &&
          s.type === "Counter" &&
          Object.entries(attributes).every(([k, v]) => s.attributes?.[k] === v),
      )
      .reduce((total, s) => total + Number((s.state as Metric.CounterState<number>).count), 0),
  )

/** A tracer that keeps every span it starts. */
const recordingTracer = () => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    },
  })
  return { spans, tracer }
}

describe("Condense.condense", () => {
  const dropSilence = (name: string) =>
    Condense.condense({
      name,
      run: (samples: ReadonlyArray<number>) => Effect.succeed(samples.filter((s) => s !== 0)),
      measure: (input, output) => ({ unit: "samples", before: input.length, after: output.length }),
    })

  it("passes its output on and records before/after sizes in the condense counters", async () => {
    const pipeline = Pipeline.make("condense-metrics", dropSilence("drop-silence-metrics"))
    expect(await Effect.runPromise(Pipeline.run(pipeline, [0, 0, 1, 2, 0, 3]))).toEqual([1, 2, 3])
    await Effect.runPromise(Pipeline.run(pipeline, [5, 0, 0, 0]))
    const attributes = { stage: "drop-silence-metrics", unit: "samples" }
    expect(await Effect.runPromise(counted("edgeline_condense_before_total", attributes))).toBe(10)
    expect(await Effect.runPromise(counted("edgeline_condense_after_total", attributes))).toBe(4)
  })

  it("annotates the stage's span with unit, before and after", async () => {
    const { spans, tracer } = recordingTracer()
    const pipeline = Pipeline.make("condense-span", dropSilence("drop-silence-span"))
    await Effect.runPromise(Pipeline.run(pipeline, [0, 7, 0, 8]).pipe(Effect.withTracer(tracer)))
    const span = spans.find((s) => s.name === "edgeline.condense.drop-silence-span")
    expect(span).toBeDefined()
    expect(Object.fromEntries(span!.attributes)).toMatchObject({
      "edgeline.stage": "drop-silence-span",
      "edgeline.kind": "condense",
      "edgeline.condense.unit": "samples",
      "edgeline.condense.before": 4,
      "edgeline.condense.after": 2,
    })
    // The span is a child of the pipeline's span.
    const parent = spans.find((s) => s.name === "edgeline.pipeline.condense-span")
    expect(parent).toBeDefined()
    expect(span!.parent).toMatchObject({ _tag: "Some", value: parent })
  })

  it("measures every element of a stateful condense stage in a stream", async () => {
    const dedupe = Condense.condense({
      name: "dedupe-stream",
      initial: () => ({ last: undefined as string | undefined }),
      step: (state: { last: string | undefined }, token: string) =>
        Effect.sync(() => {
          const repeated = token === state.last
          state.last = token
          return repeated ? "" : token
        }),
      measure: (input, output) => ({
        unit: "chars",
        before: input?.length ?? 0,
        after: output.length,
      }),
    })
    const session = Pipeline.open(Pipeline.make("dedupe", dedupe))
    const outs: Array<string> = []
    for (const token of ["ab", "ab", "cde", "cde", "cde"])
      outs.push(await Effect.runPromise(session.push(token)))
    expect(outs).toEqual(["ab", "", "cde", "", ""])
    const attributes = { stage: "dedupe-stream", unit: "chars" }
    expect(await Effect.runPromise(counted("edgeline_condense_before_total", attributes))).toBe(13)
    expect(await Effect.runPromise(counted("edgeline_condense_after_total", attributes))).toBe(5)
  })
  it("measures what a stateful stage flushes at the end, in a stream and in a one-shot run", async () => {
    // Keeps words of 3+ letters, holding the last one back until the next arrives or the end.
    const held = (name: string) =>
      Condense.condense({
        name,
        initial: () => ({ last: "" }),
        step: (state: { last: string }, word: string) =>
          Effect.sync(() => {
            const out = state.last
            state.last = word.length >= 3 ? word : ""
            return out
          }),
        flush: (state) => Effect.succeed(state.last),
        concat: (a, b) => a + b,
        measure: (input, output) => ({
          unit: "chars",
          before: input?.length ?? 0,
          after: output.length,
        }),
      })
    const session = Pipeline.open(Pipeline.make("held", held("held-stream")))
    for (const word of ["a", "bcd", "efgh"]) await Effect.runPromise(session.push(word))
    expect(await Effect.runPromise(session.end())).toEqual(["efgh"])
    const stream = { stage: "held-stream", unit: "chars" }
    expect(await Effect.runPromise(counted("edgeline_condense_before_total", stream))).toBe(8)
    expect(await Effect.runPromise(counted("edgeline_condense_after_total", stream))).toBe(7)

    const once = Pipeline.make("held-once", held("held-once"))
    expect(await Effect.runPromise(Pipeline.run(once, "wxyz"))).toBe("wxyz")
    const oneShot = { stage: "held-once", unit: "chars" }
    expect(await Effect.runPromise(counted("edgeline_condense_before_total", oneShot))).toBe(4)
    expect(await Effect.runPromise(counted("edgeline_condense_after_total", oneShot))).toBe(4)
  })
})

class Offline extends Data.TaggedError("Offline")<{ readonly message: string }> {}

describe("Escalate.escalate", () => {
  /** Local answer: the input rounded; escalates when the fractional part is near 0.5. */
  const makeStage = (
    name: string,
    ask: (x: number) => Effect.Effect<string, Offline>,
    timeoutMs?: number,
  ) => {
    const asked: Array<number> = []
    const stage = Escalate.escalate({
      name,
      local: (x: number) => `local:${Math.round(x)}`,
      shouldEscalate: (x) => Math.abs((x % 1) - 0.5) < 0.1,
      ask: (x) =>
        Effect.suspend(() => {
          asked.push(x)
          return ask(x)
        }),
      timeoutMs,
    })
    return { asked, pipeline: Pipeline.make(name, stage) }
  }
  const outcome = (stage: string, outcome: string) =>
    Effect.runPromise(counted("edgeline_escalations_total", { stage, outcome }))

  it("answers locally, without asking, when the device is sure", async () => {
    const { asked, pipeline } = makeStage("esc-sure", (x) => Effect.succeed(`cloud:${x}`))
    expect(await Effect.runPromise(Pipeline.run(pipeline, 2.1))).toEqual({
      value: "local:2",
      source: "local",
      degraded: false,
      input: 2.1,
    })
    expect(asked).toEqual([])
    expect(await outcome("esc-sure", "local")).toBe(1)
  })

  it("asks the cloud when unsure, and the cloud's answer wins", async () => {
    const { asked, pipeline } = makeStage("esc-unsure", (x) => Effect.succeed(`cloud:${x}`))
    expect(await Effect.runPromise(Pipeline.run(pipeline, 2.5))).toEqual({
      value: "cloud:2.5",
      source: "cloud",
      degraded: false,
      input: 2.5,
    })
    expect(asked).toEqual([2.5])
    expect(await outcome("esc-unsure", "cloud")).toBe(1)
  })

  it("falls back to the local answer, degraded, when the cloud fails", async () => {
    const { pipeline } = makeStage("esc-fails", () =>
      Effect.fail(new Offline({ message: "no route to host" })),
    )
    const result = await Effect.runPromise(Pipeline.run(pipeline, 3.45))
    expect(result).toMatchObject({ value: "local:3", source: "local", degraded: true, input: 3.45 })
    expect(result.reason).toContain("no route to host")
    expect(await outcome("esc-fails", "degraded")).toBe(1)
  })

  it("falls back to the local answer, degraded, when the cloud client throws", async () => {
    const { pipeline } = makeStage("esc-throws", () => {
      throw new Error("client bug: fetch is not a function")
    })
    const result = await Effect.runPromise(Pipeline.run(pipeline, 1.5))
    expect(result).toMatchObject({ value: "local:2", source: "local", degraded: true })
    expect(result.reason).toContain("fetch is not a function")
    expect(await outcome("esc-throws", "degraded")).toBe(1)
  })

  it("falls back to the local answer, degraded, when the cloud times out, without waiting for it", async () => {
    const interrupted: Array<number> = []
    const { pipeline } = makeStage(
      "esc-timeout",
      (x) =>
        Effect.sleep("10 seconds").pipe(
          Effect.as(`cloud:${x}`),
          Effect.onInterrupt(() => Effect.sync(() => interrupted.push(x))),
        ),
      30,
    )
    const startedAt = Date.now()
    const result = await Effect.runPromise(Pipeline.run(pipeline, 0.5))
    expect(Date.now() - startedAt).toBeLessThan(2000)
    expect(result).toMatchObject({ value: "local:1", source: "local", degraded: true })
    expect(result.reason).toBeDefined()
    // The cloud call is not left running.
    expect(interrupted).toEqual([0.5])
  })

  it("hands a degraded input to an Effect recorder (a queue, an outbox), and only a degraded one", async () => {
    const program = Effect.gen(function* () {
      const later = yield* Ref.make<ReadonlyArray<Escalate.DegradedItem<number, string>>>([])
      const stage = Escalate.escalate({
        name: "esc-recorded",
        local: (x: number) => `local:${Math.round(x)}`,
        shouldEscalate: (x) => x > 1,
        ask: (x) =>
          x > 5 ? Effect.fail(new Offline({ message: "offline" })) : Effect.succeed(`cloud:${x}`),
        onDegraded: (item) => Ref.update(later, (items) => [...items, item]),
      })
      const pipeline = Pipeline.make("esc-recorded", stage)
      const results = yield* Effect.forEach([0.5, 2, 7], (x) => Pipeline.run(pipeline, x))
      return { results, later: yield* Ref.get(later) }
    })
    const { results, later } = await Effect.runPromise(program)
    expect(results.map((r) => [r.input, r.source, r.degraded])).toEqual([
      [0.5, "local", false],
      [2, "cloud", false],
      [7, "local", true],
    ])
    expect(later).toEqual([
      {
        stage: "esc-recorded",
        input: 7,
        local: "local:7",
        reason: "offline",
        at: expect.any(Number),
      },
    ])
  })

  it("does not time out a cloud answer that arrives in time", async () => {
    const { pipeline } = makeStage(
      "esc-in-time",
      (x) => Effect.as(Effect.sleep("5 millis"), `cloud:${x}`),
      500,
    )
    expect(await Effect.runPromise(Pipeline.run(pipeline, 1.5))).toMatchObject({
      source: "cloud",
      degraded: false,
    })
  })
})

describe("Tap.tap", () => {
  const double = Stage.preprocess({ name: "tap-double", run: (n: number) => Effect.succeed(n * 2) })

  it("passes the value through at once without waiting for a slow recorder", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const started: Array<number> = []
    const finished: Array<number> = []
    const tap = Tap.tap({
      name: "slow-recorder",
      record: (n: number) =>
        Effect.sync(() => started.push(n)).pipe(
          Effect.andThen(Effect.promise(() => gate)),
          Effect.andThen(Effect.sync(() => finished.push(n))),
        ),
    })
    const pipeline = Pipeline.make("tapped", tap, double)
    try {
      const startedAt = Date.now()
      expect(await Effect.runPromise(Pipeline.run(pipeline, 21))).toBe(42)
      expect(Date.now() - startedAt).toBeLessThan(2000)
      expect(finished).toEqual([])
      // The recording did start, with the value that passed through.
      await vi.waitFor(() => expect(started).toEqual([21]))
    } finally {
      release()
    }
    await vi.waitFor(() => expect(finished).toEqual([21]))
  })

  it("a failing or crashing recorder does not fail the pipeline, and its failure is logged", async () => {
    const logs: Array<{ level: string; message: unknown; cause: string }> = []
    const logger = Logger.make(({ logLevel, message, cause }) => {
      logs.push({ level: logLevel, message, cause: Cause.pretty(cause) })
    })
    const failing = Tap.tap({
      name: "failing-recorder",
      record: (_: number) => Effect.fail(new Offline({ message: "telemetry endpoint down" })),
    })
    const crashing = Tap.tap({
      name: "crashing-recorder",
      record: (_: number) =>
        Effect.sync(() => {
          throw new Error("recorder bug")
        }),
    })
    const pipeline = Pipeline.make("tapped-failing", failing, crashing, double)
    const out = await Effect.runPromise(
      Pipeline.run(pipeline, 5).pipe(Effect.provide(Logger.layer([logger]))),
    )
    expect(out).toBe(10)
    await vi.waitFor(() => expect(logs).toHaveLength(2))
    const text = JSON.stringify(logs)
    expect(text).toContain("failing-recorder")
    expect(text).toContain("telemetry endpoint down")
    expect(text).toContain("crashing-recorder")
    expect(text).toContain("recorder bug")
    expect(logs.every((l) => l.level === "Warn")).toBe(true)
  })

  it("records nothing with sampleRate 0 and everything with sampleRate 1", async () => {
    const never: Array<number> = []
    const always: Array<number> = []
    const pipeline = Pipeline.make(
      "sampled",
      Tap.tap({
        name: "never",
        sampleRate: 0,
        record: (n: number) => Effect.sync(() => never.push(n)),
      }),
      Tap.tap({
        name: "always",
        sampleRate: 1,
        record: (n: number) => Effect.sync(() => always.push(n)),
      }),
    )
    for (const n of [1, 2, 3]) expect(await Effect.runPromise(Pipeline.run(pipeline, n))).toBe(n)
    await vi.waitFor(() => expect(always).toEqual([1, 2, 3]))
    expect(never).toEqual([])
  })
})

describe("a span per stage run", () => {
  it("gives every stage of every run its own timed span under the pipeline's", async () => {
    const { spans, tracer } = recordingTracer()
    const double = Stage.preprocess({
      name: "span-double",
      run: (x: number) => Effect.succeed(x * 2),
    })
    const slow = Stage.preprocess({
      name: "span-slow",
      run: (x: number) => Effect.as(Effect.sleep("20 millis"), x + 1),
    })
    const pipeline = Pipeline.make("spans", double, slow)
    await Effect.runPromise(
      Effect.all([Pipeline.run(pipeline, 1), Pipeline.run(pipeline, 2)]).pipe(
        Effect.withTracer(tracer),
      ),
    )
    const named = (name: string) => spans.filter((s) => s.name === name)
    expect(named("edgeline.pipeline.spans")).toHaveLength(2)
    expect(named("edgeline.preprocess.span-double")).toHaveLength(2)
    const slowSpans = named("edgeline.preprocess.span-slow")
    expect(slowSpans).toHaveLength(2)
    for (const span of slowSpans) {
      expect(span.status._tag).toBe("Ended")
      if (span.status._tag === "Ended") {
        const ms = Number(span.status.endTime - span.status.startTime) / 1e6
        expect(ms).toBeGreaterThanOrEqual(15)
      }
      expect(Object.fromEntries(span.attributes)).toMatchObject({ "edgeline.kind": "preprocess" })
    }
  })
})

describe("a stream's pushes", () => {
  it("get a span per stage when a tracer is installed, and are counted with or without one", async () => {
    const { spans, tracer } = recordingTracer()
    const pipeline = Pipeline.make(
      "pushes-traced",
      Stage.preprocess({ name: "pushes-traced-double", run: (x: number) => Effect.succeed(x * 2) }),
      Stage.preprocess({ name: "pushes-traced-inc", run: (x: number) => Effect.succeed(x + 1) }),
    )
    const registry = new Map()
    const outputs = await Effect.runPromise(
      Effect.gen(function* () {
        const session = Pipeline.open(pipeline)
        const traced = yield* session.push(1).pipe(Effect.withTracer(tracer))
        const untraced = yield* session.push(2)
        return [traced, untraced]
      }).pipe(Effect.provideService(Metric.MetricRegistry, registry)),
    )
    expect(outputs).toEqual([3, 5])
    // Only the traced push made spans: one per stage.
    expect(spans.map((s) => s.name)).toEqual([
      "edgeline.preprocess.pushes-traced-double",
      "edgeline.preprocess.pushes-traced-inc",
    ])
    const timings = await Effect.runPromise(
      Pipeline.timings(pipeline).pipe(Effect.provideService(Metric.MetricRegistry, registry)),
    )
    expect(timings.map((t) => [t.stage, t.count])).toEqual([
      ["pushes-traced-double", 2],
      ["pushes-traced-inc", 2],
    ])
  })
})

describe("Pipeline.timings", () => {
  it("counts every run of every stage and their wall time", async () => {
    const fast = Stage.preprocess({ name: "timed-fast", run: (n: number) => Effect.succeed(n + 1) })
    const slow = Stage.preprocess({
      name: "timed-slow",
      run: (n: number) => Effect.as(Effect.sleep("20 millis"), n),
    })
    const pipeline = Pipeline.make("timed", fast, slow)
    const before = await Effect.runPromise(Pipeline.timings(pipeline))
    expect(before.map((t) => [t.stage, t.count])).toEqual([
      ["timed-fast", 0],
      ["timed-slow", 0],
    ])
    expect(before[0]!.meanMs).toBe(0)
    for (const n of [1, 2, 3]) await Effect.runPromise(Pipeline.run(pipeline, n))
    const [fastT, slowT] = await Effect.runPromise(Pipeline.timings(pipeline))
    expect(fastT).toMatchObject({ stage: "timed-fast", kind: "preprocess", count: 3 })
    expect(slowT).toMatchObject({ stage: "timed-slow", kind: "preprocess", count: 3 })
    expect(slowT!.meanMs).toBeGreaterThanOrEqual(15)
    expect(slowT!.totalMs).toBeCloseTo(slowT!.meanMs * 3, 5)
    expect(slowT!.maxMs).toBeGreaterThanOrEqual(slowT!.meanMs)
    expect(fastT!.meanMs).toBeLessThan(slowT!.meanMs)
  })

  it("counts stream elements and flushes, and is readable through the runner", async () => {
    const held = Stage.preprocess({
      name: "timed-held",
      initial: () => ({ n: 0 }),
      step: (state: { n: number }, x: number) => Effect.sync(() => (state.n += x)),
      flush: (state) => Effect.succeed(state.n),
      concat: (a: number, b: number) => a + b,
    })
    const runner = await createRunner(Pipeline.make("timed-stream", held), { layer: Layer.empty })
    try {
      const outs: Array<number> = []
      for await (const out of runner.stream([1, 2, 3])) outs.push(out)
      expect(outs).toEqual([1, 3, 6, 6])
      const [timing] = await runner.timings()
      // Three steps and one flush.
      expect(timing).toMatchObject({ stage: "timed-held", kind: "preprocess", count: 4 })
    } finally {
      await runner.close()
    }
  })

  it("counts only its own pipeline's runs when other pipelines share a stage or a stage name", async () => {
    const shared = Stage.preprocess({ name: "timed-shared", run: (n: number) => Effect.succeed(n) })
    const sameName = Stage.preprocess({
      name: "timed-shared",
      run: (n: number) => Effect.succeed(n * 2),
    })
    const first = Pipeline.make("timed-first", shared)
    const second = Pipeline.make("timed-second", shared)
    const third = Pipeline.make("timed-third", sameName)
    // One registry for all three, as an Effect app with one runtime has.
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Pipeline.run(first, 1)
        for (const n of [1, 2]) yield* Pipeline.run(second, n)
        for (const n of [1, 2, 3]) yield* Pipeline.run(third, n)
      }),
    )
    const count = async (p: Pipeline.Any) =>
      (await Effect.runPromise(Pipeline.timings(p)))[0]!.count
    expect([await count(first), await count(second), await count(third)]).toEqual([1, 2, 3])
  })

  it("reports the kind of each stage", async () => {
    const pipeline = Pipeline.make(
      "kinds",
      Condense.condense({
        name: "kinds-condense",
        run: (s: string) => Effect.succeed(s.trim()),
        measure: (i, o) => ({ unit: "chars", before: i.length, after: o.length }),
      }),
      Escalate.escalate({
        name: "kinds-escalate",
        local: (s: string) => s,
        shouldEscalate: () => false,
        ask: (s: string) => Effect.succeed(s),
      }),
      Tap.tap({ name: "kinds-tap", record: () => Effect.void }),
    )
    await Effect.runPromise(Pipeline.run(pipeline, " x "))
    const timings = await Effect.runPromise(Pipeline.timings(pipeline))
    expect(timings.map((t) => [t.kind, t.count])).toEqual([
      ["condense", 1],
      ["escalate", 1],
      ["sync", 1],
    ])
  })
})
