import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as Infer from "../src/Infer.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import { memoryRuntime, rowsFeeds, sumModel, sums } from "./support/memoryRuntime.js"

/** An infer stage over the `sum` model: each input is some rows, the output their row sums. */
const sumStage = (name: string, batch?: Infer.BatchOptions) =>
  Infer.infer<ReadonlyArray<ReadonlyArray<number>>, Array<number>>({
    name,
    model: sumModel,
    encode: rowsFeeds,
    decode: sums,
    batch,
  })

/** Input i is one row [i, i, i]; its answer is [3i]. */
const inputs = (n: number) => Array.from({ length: n }, (_, i) => [[i, i, i]])
const answers = (n: number) => Array.from({ length: n }, (_, i) => [3 * i])

const runAll = <A>(effects: ReadonlyArray<Effect.Effect<A, unknown, never>>) =>
  Effect.runPromise(Effect.all(effects, { concurrency: "unbounded" }))

describe("Infer.infer with batch", () => {
  it("stacks concurrent Effect callers into fewer backend calls, each caller getting its own rows", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "batched",
      sumStage("sum-batched", { maxSize: 8, maxWaitMs: 20 }),
    )
    const results = await runAll(
      inputs(5).map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual(answers(5))
    const session = runtime.session("sum")
    expect(session.calls()).toBeLessThan(5)
    expect(session.calls()).toBe(1)
    expect(session.rowsPerCall).toEqual([5])
  })

  it("respects maxSize: 10 callers with maxSize 4 make 3 calls of 4, 4 and 2 rows", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make("capped", sumStage("sum-capped", { maxSize: 4, maxWaitMs: 20 }))
    const results = await runAll(
      inputs(10).map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual(answers(10))
    const session = runtime.session("sum")
    expect(session.calls()).toBe(3)
    expect(session.rowsPerCall).toEqual([4, 4, 2])
  })

  it("loads the model once even when the first callers all arrive together", async () => {
    const runtime = memoryRuntime({ loadDelayMs: 20 })
    const pipeline = Pipeline.make("cold", sumStage("sum-cold", { maxSize: 16, maxWaitMs: 10 }))
    const results = await runAll(
      inputs(6).map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual(answers(6))
    expect(runtime.loads()).toBe(1)
    expect(runtime.sessions).toHaveLength(1)
    expect(runtime.session("sum").calls()).toBe(1)
  })

  it("splits outputs by each caller's own row count when callers send several rows", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "multi-row",
      sumStage("sum-multi-row", { maxSize: 8, maxWaitMs: 20 }),
    )
    const callers = [
      [
        [1, 1],
        [2, 2],
      ],
      [[10, 0]],
      [
        [0, 5],
        [1, 1],
        [7, 7],
      ],
    ]
    const results = await runAll(
      callers.map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual([[2, 4], [10], [5, 2, 14]])
    // maxSize counts callers, not rows: three callers fit in one call of six rows.
    expect(runtime.session("sum").rowsPerCall).toEqual([6])
  })

  it("with ragged, stacks inputs of different widths, padded with zeros, into one call", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "ragged",
      sumStage("sum-ragged", { maxSize: 8, maxWaitMs: 20, ragged: true }),
    )
    // A bag of features per caller, as many as the message has: widths 2, 3 and 1.
    const callers = [[[1, 2]], [[3, 4, 5]], [[6]]]
    const results = await runAll(
      callers.map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual([[3], [12], [6]])
    expect(runtime.session("sum").rowsPerCall).toEqual([3])
    // Without it the same callers cannot be stacked: a typed shape error for each.
    const strict = Pipeline.make("strict", sumStage("sum-strict", { maxSize: 8, maxWaitMs: 20 }))
    const shared = memoryRuntime()
    const failures = await runAll(
      callers.map((input) =>
        Effect.flip(Effect.provide(Pipeline.run(strict, input), shared.layer)),
      ),
    )
    expect(failures.map((e) => (e as { _tag: string })._tag)).toEqual([
      "TensorShapeError",
      "TensorShapeError",
      "TensorShapeError",
    ])
  })

  it("batches concurrent runner.run Promise calls too", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "runner-batched",
      sumStage("sum-runner", { maxSize: 4, maxWaitMs: 20 }),
    )
    const runner = await createRunner(pipeline, { layer: runtime.layer })
    try {
      // Warm the model so the concurrent calls below share one cached session.
      expect(await runner.run([[1, 2, 3]])).toEqual([6])
      const results = await Promise.all(inputs(6).map((input) => runner.run(input)))
      expect(results).toEqual(answers(6))
      const session = runtime.session("sum")
      // 1 warm-up call, then 6 callers in batches of at most 4.
      expect(session.rowsPerCall).toEqual([1, 4, 2])
    } finally {
      await runner.close()
    }
  })

  it("runs a lone caller once maxWaitMs has passed", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make("lone", sumStage("sum-lone", { maxSize: 64, maxWaitMs: 30 }))
    const started = Date.now()
    const result = await Effect.runPromise(
      Effect.provide(Pipeline.run(pipeline, [[4, 4]]), runtime.layer),
    )
    expect(result).toEqual([8])
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
    expect(runtime.session("sum").calls()).toBe(1)
  })

  it("with maxWaitMs 0, batches the callers that arrive in one turn and runs a lone caller alone", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make("no-wait", sumStage("sum-no-wait", { maxSize: 8, maxWaitMs: 0 }))
    const runner = await createRunner(pipeline, { layer: runtime.layer })
    try {
      expect(await runner.run([[1, 2, 3]])).toEqual([6])
      expect(await Promise.all(inputs(5).map((input) => runner.run(input)))).toEqual(answers(5))
      expect(await runner.run([[4, 4]])).toEqual([8])
      expect(runtime.session("sum").rowsPerCall).toEqual([1, 5, 1])
    } finally {
      await runner.close()
    }
  })

  it("fails every caller of a batch whose backend call fails", async () => {
    const runtime = memoryRuntime()
    const broken = Infer.infer<ReadonlyArray<ReadonlyArray<number>>, Array<number>>({
      name: "broken-batched",
      model: { name: "broken", uri: "mem:broken" },
      encode: rowsFeeds,
      decode: sums,
      batch: { maxSize: 8, maxWaitMs: 10 },
    })
    const pipeline = Pipeline.make("broken", broken)
    const errors = await runAll(
      inputs(3).map((input) =>
        Effect.provide(Effect.flip(Pipeline.run(pipeline, input)), runtime.layer),
      ),
    )
    expect(errors.map((e) => e._tag)).toEqual([
      "InferenceError",
      "InferenceError",
      "InferenceError",
    ])
    expect(runtime.session("broken").calls()).toBe(1)
  })
})

describe("Infer.infer without batch", () => {
  it("makes one backend call per caller", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make("unbatched", sumStage("sum-unbatched"))
    // Warm the model so all callers share one session.
    await Effect.runPromise(Effect.provide(Pipeline.run(pipeline, [[0]]), runtime.layer))
    const results = await runAll(
      inputs(5).map((input) => Effect.provide(Pipeline.run(pipeline, input), runtime.layer)),
    )
    expect(results).toEqual(answers(5))
    expect(runtime.session("sum").rowsPerCall).toEqual([1, 1, 1, 1, 1, 1])
  })
})

describe("model sessions", () => {
  it("does not remember a failed load: the next run tries again", async () => {
    const runtime = memoryRuntime({ failResolves: 1 })
    const pipeline = Pipeline.make("flaky", sumStage("sum-flaky"))
    const first = await Effect.runPromise(
      Effect.provide(Effect.flip(Pipeline.run(pipeline, [[1]])), runtime.layer),
    )
    expect(first._tag).toBe("ModelNotFoundError")
    const second = await Effect.runPromise(
      Effect.provide(Pipeline.run(pipeline, [[1, 2]]), runtime.layer),
    )
    expect(second).toEqual([3])
    expect(runtime.loads()).toBe(1)
  })

  it("shares a session across runs and across stages naming the same model", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make("shared", sumStage("sum-shared-a"))
    const other = Pipeline.make("shared-2", sumStage("sum-shared-b"))
    await Effect.runPromise(Effect.provide(Pipeline.run(pipeline, [[1]]), runtime.layer))
    await Effect.runPromise(Effect.provide(Pipeline.run(pipeline, [[2]]), runtime.layer))
    await Effect.runPromise(Effect.provide(Pipeline.run(other, [[3]]), runtime.layer))
    expect(runtime.loads()).toBe(1)
    expect(runtime.session("sum").calls()).toBe(3)
  })
})
