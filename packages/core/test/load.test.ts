import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Data, Deferred, Effect } from "effect"
import { afterEach, describe, expect, expectTypeOf, it } from "vitest"
import { CancelledError, ModelNotFoundError } from "../src/Errors.js"
import * as Infer from "../src/Infer.js"
import * as Pipeline from "../src/Pipeline.js"
import type * as Progress from "../src/Progress.js"
import { createRunner, type Runner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import { connect, serve } from "../src/Transport.js"
import {
  accumulateModel,
  memoryRuntime,
  missingModel,
  rowsFeeds,
  sumModel,
  sums,
} from "./support/memoryRuntime.js"
import { rejection } from "./support/rejection.js"

const runners: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.close()))
})

const sumStage = (model = sumModel) =>
  Infer.infer<ReadonlyArray<ReadonlyArray<number>>, Array<number>>({
    name: `sum-${model.name}`,
    model,
    encode: rowsFeeds,
    decode: sums,
  })

/** A running total over a stream, through the recurrent `accumulate` model. */
const accumulate = Infer.inferStateful({
  name: "accumulate",
  model: accumulateModel,
  initial: () => ({ h: 0 }),
  step: (session, state: { h: number }, xs: Array<number>) =>
    Effect.map(
      session.run({
        x: Tensor.float32(Float32Array.from(xs), [1, xs.length]),
        h: Tensor.float32(Float32Array.of(state.h), [1, 1]),
      }),
      (outputs) => {
        state.h = outputs.h!.data[0] as number
        return state.h
      },
    ),
})

/** Both kinds of infer stage, two models: [[1, 2], [3, 0]] -> [3, 3] -> 6. */
const twoModels = Pipeline.make("two-models", sumStage(), accumulate)

const createTestRunner = async <P extends Pipeline.Any>(
  pipeline: P,
  layer = memoryRuntime().layer,
) => {
  const runner = await createRunner(pipeline, { layer })
  runners.push(runner)
  return runner
}

describe("Pipeline.load and runner.load", () => {
  it("loads every model before the first input, and the runs then reuse those sessions", async () => {
    const runtime = memoryRuntime()
    const runner = await createTestRunner(twoModels, runtime.layer)
    expect(runtime.loads()).toBe(0)

    await runner.load()
    expect(runtime.sessions.map((s) => s.model).sort()).toEqual(["accumulate", "sum"])
    // Loaded, but no stage has run yet.
    expect((await runner.timings()).map((t) => t.count)).toEqual([0, 0])

    const rows = [
      [1, 2],
      [3, 0],
    ]
    expect(await runner.run(rows)).toBe(6)
    const session = await runner.open()
    expect(await session.push([[1], [1]])).toBe(2)
    expect(await session.push([[5]])).toBe(7)
    expect(runtime.loads()).toBe(2)
    expect(runtime.session("sum").calls()).toBe(3)
  })

  it("reports load progress as each stage's model is ready", async () => {
    const runner = await createTestRunner(twoModels)
    const events: Array<Progress.Event> = []
    await runner.load({ onProgress: (event) => events.push(event) })
    expect(events).toEqual([
      { scope: "load", name: "two-models", done: 1, total: 2 },
      { scope: "load", name: "two-models", done: 2, total: 2 },
    ])
  })

  it("an abort stops the waiting; the loads under way finish and the next load() reuses them", async () => {
    const runtime = memoryRuntime({ loadDelayMs: 300 })
    const runner = await createTestRunner(twoModels, runtime.layer)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    const error = await rejection(runner.load({ signal: controller.signal }))
    expect(error).toBeInstanceOf(CancelledError)
    expect(runtime.loads()).toBe(0) // still loading

    await runner.load()
    expect(runtime.loads()).toBe(2) // the same two loads, not two more
    expect(await runner.run([[7]])).toBe(7)
    expect(runtime.loads()).toBe(2)
  })

  it("loads the stages at once, not one after another", async () => {
    // Each stage's load waits for the other's to start: one after another, neither would finish.
    const started = { a: Deferred.makeUnsafe<void>(), b: Deferred.makeUnsafe<void>() }
    const waitingFor = (mine: keyof typeof started, other: keyof typeof started) =>
      Stage.preprocess({
        name: `loads-${mine}`,
        load: Effect.andThen(
          Deferred.succeed(started[mine], undefined),
          Deferred.await(started[other]),
        ),
        run: (n: number) => Effect.succeed(n + 1),
      })
    const pipeline = Pipeline.make("concurrent-loads", waitingFor("a", "b"), waitingFor("b", "a"))
    const outcome = await Effect.runPromise(
      Pipeline.load(pipeline).pipe(
        Effect.timeout("5 seconds"),
        Effect.as("loaded"),
        Effect.orElseSucceed(() => "stuck"),
      ),
    )
    expect(outcome).toBe("loaded")
  })

  it("fails with the model's typed error and keeps no failed load: the next load tries again", async () => {
    const flaky = memoryRuntime({ failResolves: 1 })
    const runner = await createTestRunner(twoModels, flaky.layer)
    const error = await rejection(runner.load())
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect((error as ModelNotFoundError).message).toMatch(/download of "mem:.*" failed/)

    await runner.load()
    expect(await runner.run([[4]])).toBe(4)

    const missing = await createTestRunner(Pipeline.make("missing", sumStage(missingModel)))
    const notFound = await rejection(missing.load())
    expect(notFound).toBeInstanceOf(ModelNotFoundError)
    expect((notFound as ModelNotFoundError).model).toBe("missing")
  })

  it("is a no-op for a pipeline without models, and honours an aborted signal", async () => {
    const plain = await createTestRunner(
      Pipeline.make(
        "plain",
        Stage.preprocess({ name: "inc", run: (n: number) => Effect.succeed(n + 1) }),
      ),
    )
    await expect(plain.load()).resolves.toBeUndefined()
    await expect(plain.run(1)).resolves.toBe(2)

    const runtime = memoryRuntime()
    const runner = await createTestRunner(twoModels, runtime.layer)
    await expect(runner.load({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    )
    expect(runtime.loads()).toBe(0)
  })

  it("types a stage's load errors apart from its run errors, and the pipeline's as both", () => {
    class Offline extends Data.TaggedError("Offline")<{ readonly message: string }> {}
    class Negative extends Data.TaggedError("Negative")<{ readonly message: string }> {}
    const stage = Stage.preprocess({
      name: "warm",
      load: Effect.fail(new Offline({ message: "no network" })),
      run: (n: number) =>
        n < 0 ? Effect.fail(new Negative({ message: "negative" })) : Effect.succeed(n),
    })
    expectTypeOf(stage).toEqualTypeOf<Stage.Stage<number, number, Offline | Negative, never>>()
    expectTypeOf(Pipeline.load(Pipeline.make("warm", stage))).toEqualTypeOf<
      Effect.Effect<void, Offline | Negative, never>
    >()
  })

  it("types the load's errors and services as the stages'", () => {
    const effect = Pipeline.load(twoModels)
    expectTypeOf(effect).toEqualTypeOf<Effect.Effect<void, Infer.InferError, Infer.InferServices>>()
  })
})

describe("runner.load across a worker transport", () => {
  const pair = <P extends Pipeline.Any>(pipeline: P, runtime = memoryRuntime()) => {
    const { port1, port2 } = new MessageChannel()
    serve(pipeline, runtime.layer, nodeEndpoint(port1))
    const runner: Runner<Pipeline.Input<P>, Pipeline.Output<P>> = connect<P>(nodeEndpoint(port2))
    runners.push({
      close: async () => {
        await runner.close()
        port1.close()
        port2.close()
      },
    })
    return runner
  }

  it("loads the models in the served end, where the runs then find them", async () => {
    const runtime = memoryRuntime()
    const runner = pair(twoModels, runtime)
    await runner.load()
    expect(runtime.loads()).toBe(2)
    expect(await runner.run([[2], [2]])).toBe(4)
    expect(runtime.loads()).toBe(2)
  })

  it("delivers a failed load as its typed error", async () => {
    const runner = pair(Pipeline.make("missing", sumStage(missingModel)))
    const error = await rejection(runner.load())
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect((error as ModelNotFoundError).model).toBe("missing")
  })
})
