/**
 * What goes wrong in real use: overlapping pushes, pushes after the end,
 * listeners that throw, consumers that stop early, several runners in one
 * process, error classes with required fields.
 */
import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Effect, Layer, Schema } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { CancelledError, StreamEndedError } from "../src/Errors.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import { connect, serve } from "../src/Transport.js"

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A running total that takes a moment per element: interleaving would corrupt it. */
const slowTotal = (name: string) =>
  Stage.preprocess({
    name,
    initial: () => ({ total: 0 }),
    step: (state, x: number) =>
      Effect.gen(function* () {
        const before = state.total
        yield* Effect.sleep("5 millis")
        state.total = before + x
        return state.total
      }),
  })

describe("a stream session", () => {
  it("runs overlapping pushes one after another, in order", async () => {
    const runner = await createRunner(Pipeline.make("overlap", slowTotal("overlap-total")), {
      layer: Layer.empty,
    })
    cleanups.push(() => runner.close())
    const session = await runner.open()
    const outputs = await Promise.all([1, 2, 3, 4].map((x) => session.push(x)))
    expect(outputs).toEqual([1, 3, 6, 10])
  })

  it("drops a push cancelled while it waits its turn; the others run in order", async () => {
    const runner = await createRunner(Pipeline.make("line", slowTotal("line-total")), {
      layer: Layer.empty,
    })
    cleanups.push(() => runner.close())
    const session = await runner.open()
    const abort = new AbortController()
    const first = session.push(1)
    const second = session.push(2, { signal: abort.signal })
    const third = session.push(3)
    abort.abort()
    expect(await second.catch((e) => e)).toBeInstanceOf(CancelledError)
    expect(await Promise.all([first, third])).toEqual([1, 4])
    // The turn is free again.
    expect(await session.push(5)).toBe(9)
  })

  it("runs thousands of overlapping pushes in order (each handed the turn on a fresh stack)", async () => {
    const total = Stage.preprocess({
      name: "line-sync-total",
      initial: () => ({ total: 0 }),
      step: (state, x: number) =>
        // A first push that takes a moment, so all the others wait in line behind it.
        x === 0 ? Effect.as(Effect.sleep("5 millis"), 0) : Effect.sync(() => (state.total += x)),
    })
    const runner = await createRunner(Pipeline.make("line-sync", total), { layer: Layer.empty })
    cleanups.push(() => runner.close())
    const session = await runner.open()
    const outputs = await Promise.all(
      [0, ...Array.from({ length: 5000 }, () => 1)].map((x) => session.push(x)),
    )
    expect(outputs).toEqual(Array.from({ length: 5001 }, (_, i) => i))
  })

  it("refuses a push after end() with a typed StreamEndedError", async () => {
    const runner = await createRunner(Pipeline.make("ended", slowTotal("ended-total")), {
      layer: Layer.empty,
    })
    cleanups.push(() => runner.close())
    const session = await runner.open()
    await session.push(1)
    await session.end()
    const error = await session.push(2).catch((e) => e)
    expect(error).toBeInstanceOf(StreamEndedError)
    expect(error.message).toMatch(/open a new one/)
  })

  it("is closed, not flushed, when a consumer of runner.stream stops early: its outputs would go nowhere", async () => {
    const flushed: Array<number> = []
    const counting = Stage.preprocess({
      name: "early-stop",
      initial: () => ({ seen: 0 }),
      step: (state, x: number) => Effect.sync(() => (state.seen += x)),
      flush: (state) =>
        Effect.sync(() => {
          flushed.push(state.seen)
          return 0
        }),
      concat: (a: number, b: number) => a + b,
    })
    const runner = await createRunner(Pipeline.make("early", counting), { layer: Layer.empty })
    cleanups.push(() => runner.close())
    for await (const out of runner.stream([1, 2, 3, 4])) if (out >= 3) break
    expect(flushed).toEqual([])
    // Read to the end, the same stream flushes what it holds.
    const all: Array<number> = []
    for await (const out of runner.stream([1, 2])) all.push(out)
    expect(flushed).toEqual([3])
    expect(all).toEqual([1, 3, 0])
  })
})

describe("progress listeners", () => {
  const reporting = Pipeline.make(
    "listener",
    Stage.preprocess({ name: "listener-a", run: (x: number) => Effect.succeed(x + 1) }),
    Stage.preprocess({ name: "listener-b", run: (x: number) => Effect.succeed(x * 2) }),
  )
  const throwing = () => {
    throw new Error("a bug in the caller's progress bar")
  }

  it("a listener that throws does not fail an in-process run", async () => {
    const runner = await createRunner(reporting, { layer: Layer.empty })
    cleanups.push(() => runner.close())
    expect(await runner.run(1, { onProgress: throwing })).toBe(4)
  })

  it("a listener that throws is reported once, in one line, however many events follow", async () => {
    const lines: Array<Array<unknown>> = []
    const spy = vi.spyOn(console, "error").mockImplementation((...args) => void lines.push(args))
    try {
      const runner = await createRunner(reporting, { layer: Layer.empty })
      cleanups.push(() => runner.close())
      const listener = () => {
        throw new Error("a bug in the caller's progress bar")
      }
      for (const x of [1, 2, 3])
        expect(await runner.run(x, { onProgress: listener })).toBe(2 * (x + 1))
    } finally {
      spy.mockRestore()
    }
    // Six events threw; one report, a single string naming the error, no stack trace.
    expect(lines).toHaveLength(1)
    expect(lines[0]).toHaveLength(1)
    expect(lines[0]![0]).toMatch(/onProgress listener threw \(a bug in the caller's progress bar\)/)
    expect(String(lines[0]![0])).not.toMatch(/\n\s+at /)
  })

  it("a listener that throws does not break the worker transport", async () => {
    const { port1, port2 } = new MessageChannel()
    serve(reporting, Layer.empty, nodeEndpoint(port1))
    const runner = connect<typeof reporting>(nodeEndpoint(port2))
    cleanups.push(async () => {
      await runner.close()
      port1.close()
      port2.close()
    })
    expect(await runner.run(1, { onProgress: throwing })).toBe(4)
    expect(await runner.run(2)).toBe(6)
  })
})

describe("runners in one process", () => {
  it("each count their own stage timings", async () => {
    const pipeline = Pipeline.make(
      "shared-timings",
      Stage.preprocess({ name: "shared-timings-stage", run: (x: number) => Effect.succeed(x) }),
    )
    const a = await createRunner(pipeline, { layer: Layer.empty })
    const b = await createRunner(pipeline, { layer: Layer.empty })
    cleanups.push(
      () => a.close(),
      () => b.close(),
    )
    await a.run(1)
    await a.run(2)
    await b.run(3)
    expect((await a.timings())[0]!.count).toBe(2)
    expect((await b.timings())[0]!.count).toBe(1)
  })
})

class Overloaded extends Schema.TaggedError<Overloaded>()("Overloaded", {
  message: Schema.String,
  queue: Schema.Number,
}) {}

describe("the worker transport and error classes", () => {
  it("rebuilds a registered class whose constructor needs fields", async () => {
    const failing = Pipeline.make(
      "overloaded",
      Stage.preprocess({
        name: "overloaded",
        run: (_: number) => Effect.fail(new Overloaded({ message: "queue full", queue: 42 })),
      }),
    )
    const { port1, port2 } = new MessageChannel()
    serve(failing, Layer.empty, nodeEndpoint(port1))
    const runner = connect<typeof failing>(nodeEndpoint(port2), { errors: [Overloaded] })
    cleanups.push(async () => {
      await runner.close()
      port1.close()
      port2.close()
    })
    const error = await runner.run(1).catch((e) => e)
    expect(error).toBeInstanceOf(Overloaded)
    expect(error.queue).toBe(42)
  })

  it("an output that cannot be structured-cloned is a WorkerError saying so", async () => {
    const unclonable = Pipeline.make(
      "unclonable",
      Stage.preprocess({ name: "unclonable", run: (_: number) => Effect.succeed({ f: () => 1 }) }),
    )
    const { port1, port2 } = new MessageChannel()
    serve(unclonable, Layer.empty, nodeEndpoint(port1))
    const runner = connect<typeof unclonable>(nodeEndpoint(port2))
    cleanups.push(async () => {
      await runner.close()
      port1.close()
      port2.close()
    })
    const error = await runner.run(1).catch((e) => e)
    expect(error._tag).toBe("WorkerError")
    expect(error.message).toMatch(/structured-cloneable/)
  })
})
