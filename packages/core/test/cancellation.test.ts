import { Cause, Effect, Exit, Fiber, Layer } from "effect"
import { describe, expect, it, vi } from "vitest"
import { CancelledError } from "../src/Errors.js"
import * as Infer from "../src/Infer.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import { memoryRuntime, rowsFeeds, sumModel, sums } from "./support/memoryRuntime.js"
import { rejection } from "./support/rejection.js"

// Upper time bounds are far below the 10 s the slow stages sleep, yet loose
// enough for a loaded 2-core CI machine.

/**
 * quick -> slow (sleeps 10 s) -> after. `events` records "started",
 * "interrupted" (onInterrupt), "finalized" (ensuring) and "after".
 */
const makeSlowPipeline = () => {
  const events: Array<string> = []
  const quick = Stage.preprocess({ name: "quick", run: (n: number) => Effect.succeed(n + 1) })
  const slow = Stage.preprocess({
    name: "slow",
    run: (n: number) =>
      Effect.sync(() => events.push("started")).pipe(
        Effect.andThen(Effect.sleep("10 seconds")),
        Effect.as(n * 2),
        Effect.onInterrupt(() => Effect.sync(() => events.push("interrupted"))),
        Effect.ensuring(Effect.sync(() => events.push("finalized"))),
      ),
  })
  const after = Stage.preprocess({
    name: "after",
    run: (n: number) =>
      Effect.as(
        Effect.sync(() => events.push("after")),
        n,
      ),
  })
  const started = (count = 1) =>
    vi.waitFor(
      () => {
        if (events.filter((e) => e === "started").length < count) throw new Error("not started yet")
      },
      { timeout: 2000, interval: 2 },
    )
  return { events, started, pipeline: Pipeline.make("slow", quick, slow, after) }
}

describe("cancelling a Promise run with an AbortSignal", () => {
  it("rejects quickly with CancelledError and runs the stage's onInterrupt and finalizer", async () => {
    const { events, started, pipeline } = makeSlowPipeline()
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const controller = new AbortController()
      const result = rejection(runner.run(1, { signal: controller.signal }))
      await started()
      const abortedAt = Date.now()
      controller.abort()
      const error = await result
      expect(Date.now() - abortedAt).toBeLessThan(2000)
      expect(error).toBeInstanceOf(CancelledError)
      expect((error as CancelledError)._tag).toBe("CancelledError")
      expect(events).toEqual(["started", "interrupted", "finalized"])
    } finally {
      await runner.close()
    }
  })

  it("rejects at once, running nothing, when the signal is already aborted", async () => {
    const { events, pipeline } = makeSlowPipeline()
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const error = await rejection(runner.run(1, { signal: AbortSignal.abort() }))
      expect(error).toBeInstanceOf(CancelledError)
      expect(events).toEqual([])
    } finally {
      await runner.close()
    }
  })

  it("does not disturb a run whose signal is never aborted", async () => {
    const quick = Stage.preprocess({ name: "double", run: (n: number) => Effect.succeed(n * 2) })
    const runner = await createRunner(Pipeline.make("double", quick), { layer: Layer.empty })
    try {
      const controller = new AbortController()
      expect(await runner.run(21, { signal: controller.signal })).toBe(42)
      // Aborting after the run has finished is harmless.
      controller.abort()
      expect(await runner.run(1)).toBe(2)
    } finally {
      await runner.close()
    }
  })

  it("cancels one push of a stream session", async () => {
    const { events, started, pipeline } = makeSlowPipeline()
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const session = await runner.open()
      const controller = new AbortController()
      const pushed = rejection(session.push(1, { signal: controller.signal }))
      await started()
      controller.abort()
      expect(await pushed).toBeInstanceOf(CancelledError)
      expect(events).toContain("finalized")
      expect(events).not.toContain("after")
    } finally {
      await runner.close()
    }
  })
})

describe("runner.close()", () => {
  it("cancels every in-flight run, then refuses new ones", async () => {
    const { events, started, pipeline } = makeSlowPipeline()
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    const first = rejection(runner.run(1))
    const second = rejection(runner.run(2))
    await started(2)
    const closedAt = Date.now()
    await runner.close()
    const [e1, e2] = await Promise.all([first, second])
    expect(Date.now() - closedAt).toBeLessThan(2000)
    expect(e1).toBeInstanceOf(CancelledError)
    expect(e2).toBeInstanceOf(CancelledError)
    expect(events.filter((e) => e === "finalized")).toHaveLength(2)
    expect(events).not.toContain("after")
    const late = await rejection(runner.run(3))
    expect(late).toBeInstanceOf(CancelledError)
    expect((late as Error).message).toContain("closed")
    // Closing twice is fine.
    await runner.close()
  })

  it("releases the layer's resources", async () => {
    const released: Array<string> = []
    const layer = Layer.effectDiscard(
      Effect.acquireRelease(Effect.void, () => Effect.sync(() => released.push("layer"))),
    )
    const quick = Stage.preprocess({ name: "noop", run: (n: number) => Effect.succeed(n) })
    const runner = await createRunner(Pipeline.make("noop", quick), { layer })
    expect(await runner.run(1)).toBe(1)
    expect(released).toEqual([])
    await runner.close()
    expect(released).toEqual(["layer"])
  })
})

describe("Effect interruption of Pipeline.run", () => {
  it("Fiber.interrupt stops the running stage and runs its finalizers", async () => {
    const { events, started, pipeline } = makeSlowPipeline()
    const fiber = Effect.runFork(Pipeline.run(pipeline, 1))
    await started()
    await Effect.runPromise(Fiber.interrupt(fiber))
    const exit = await Effect.runPromise(Fiber.await(fiber))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) expect(Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    expect(events).toEqual(["started", "interrupted", "finalized"])
  })

  it("Effect.runPromise's own signal option interrupts it", async () => {
    const { events, started, pipeline } = makeSlowPipeline()
    const controller = new AbortController()
    const result = rejection(
      Effect.runPromise(Pipeline.run(pipeline, 1), { signal: controller.signal }),
    )
    await started()
    controller.abort()
    await result
    expect(events).toEqual(["started", "interrupted", "finalized"])
  })

  it("Effect.timeout around Pipeline.run interrupts the slow stage", async () => {
    const { events, pipeline } = makeSlowPipeline()
    const startedAt = Date.now()
    const error = await Effect.runPromise(
      Effect.flip(Effect.timeout(Pipeline.run(pipeline, 1), "30 millis")),
    )
    expect(Date.now() - startedAt).toBeLessThan(2000)
    expect(error._tag).toBe("TimeoutError")
    expect(events).toEqual(["started", "interrupted", "finalized"])
  })

  it("cancelling the first caller of a cold model does not cancel the load for the others", async () => {
    const runtime = memoryRuntime({ loadDelayMs: 50 })
    const pipeline = Pipeline.make(
      "cold-cancel",
      Infer.infer({ name: "sum-cold-cancel", model: sumModel, encode: rowsFeeds, decode: sums }),
    )
    const first = Effect.runFork(Effect.provide(Pipeline.run(pipeline, [[1]]), runtime.layer))
    const second = Effect.runFork(Effect.provide(Pipeline.run(pipeline, [[2, 3]]), runtime.layer))
    await new Promise((resolve) => setTimeout(resolve, 10))
    await Effect.runPromise(Fiber.interrupt(first))
    expect(await Effect.runPromise(Fiber.join(second))).toEqual([5])
    expect(runtime.loads()).toBe(1)
  })
})
