import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Data, Effect, Layer, Schema } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { CancelledError, InputValidationError, WorkerError } from "../src/Errors.js"
import * as Infer from "../src/Infer.js"
import * as Pipeline from "../src/Pipeline.js"
import * as Progress from "../src/Progress.js"
import type { Runner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import { type ConnectOptions, connect, serve, type WorkerWatch } from "../src/Transport.js"
import { accumulateModel, memoryRuntime, sumModel } from "./support/memoryRuntime.js"
import { rejection } from "./support/rejection.js"

// Both ends live in this thread, joined by a Node MessageChannel: the same
// comlink protocol as a real worker, and a test can look at both sides.
// comlink's node adapter listens with `port.on("message")`, which starts a
// Node port by itself (and `expose` calls `start()` too).

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const pair = <P extends Pipeline.Any>(
  pipeline: P,
  layer: Layer.Layer<Pipeline.Services<P>>,
  options?: ConnectOptions,
): Runner<Pipeline.Input<P>, Pipeline.Output<P>> => {
  const { port1, port2 } = new MessageChannel()
  serve(pipeline, layer, nodeEndpoint(port1))
  const runner = connect<P>(nodeEndpoint(port2), options)
  cleanups.push(async () => {
    await runner.close()
    port1.close()
    port2.close()
  })
  return runner
}

class Overheated extends Data.TaggedError("Overheated")<{
  readonly message: string
  readonly celsius: number
}> {}

interface Frame {
  readonly samples: Float32Array
}

/** Frame -> the `sum` model -> { total, samples back }, with its own progress reports. */
const sumFrame = Infer.infer({
  name: "sum-frame",
  model: sumModel,
  input: Schema.Struct({ samples: Schema.instanceOf(Float32Array) }),
  encode: (frame: Frame) => ({ x: Tensor.float32(frame.samples, [1, frame.samples.length]) }),
  decode: (outputs, frame) => ({ total: outputs.y!.data[0] as number, samples: frame.samples }),
})
const reportHalf = Stage.preprocess({
  name: "report-half",
  run: (out: { total: number; samples: Float32Array }) =>
    Effect.as(Progress.report({ scope: "stage", name: "report-half", done: 1, total: 2 }), out),
})
const scaled = Stage.preprocess({
  name: "scaled",
  run: (out: { total: number; samples: Float32Array }) =>
    Effect.succeed({ total: out.total, scaled: out.samples.map((s) => s * 10) }),
})
const framePipeline = Pipeline.make("frames", sumFrame, reportHalf, scaled)

describe("serve / connect over a MessageChannel", () => {
  it("runs the pipeline in the served end and returns its output intact", async () => {
    const runtime = memoryRuntime()
    const runner = pair(framePipeline, runtime.layer)
    const out = await runner.run({ samples: Float32Array.of(1, 2, 3.5) })
    expect(out.total).toBe(6.5)
    expect(out.scaled).toBeInstanceOf(Float32Array)
    expect(Array.from(out.scaled)).toEqual([10, 20, 35])
    expect(runtime.session("sum").calls()).toBe(1)
  })

  it("runs pipelines whose input and output are primitives", async () => {
    const words = Stage.preprocess({
      name: "count-words",
      run: (s: string) => Effect.succeed(s.split(" ").length),
    })
    const runner = pair(Pipeline.make("count-words", words), Layer.empty)
    expect(await runner.run("on the edge")).toBe(3)
  })

  it("forwards progress events to onProgress, in order, all before the result", async () => {
    const runner = pair(framePipeline, memoryRuntime().layer)
    for (let i = 0; i < 3; i++) {
      const events: Array<Progress.Event> = []
      await runner.run({ samples: Float32Array.of(i) }, { onProgress: (e) => events.push(e) })
      expect(events).toEqual([
        { scope: "pipeline", name: "frames", done: 1, total: 3 },
        { scope: "stage", name: "report-half", done: 1, total: 2 },
        { scope: "pipeline", name: "frames", done: 2, total: 3 },
        { scope: "pipeline", name: "frames", done: 3, total: 3 },
      ])
    }
  })

  it("forwards the progress of stream pushes too", async () => {
    const runner = pair(framePipeline, memoryRuntime().layer)
    const session = await runner.open()
    const events: Array<Progress.Event> = []
    await session.push({ samples: Float32Array.of(2) }, { onProgress: (e) => events.push(e) })
    expect(events.map((e) => `${e.scope}:${e.name} ${e.done}/${e.total}`)).toEqual([
      "pipeline:frames 1/3",
      "stage:report-half 1/2",
      "pipeline:frames 2/3",
      "pipeline:frames 3/3",
    ])
  })

  it("cancels a slow run when the AbortSignal fires: CancelledError, and the served stage is interrupted", async () => {
    const interrupted: Array<number> = []
    const started: Array<number> = []
    const slow = Stage.preprocess({
      name: "slow",
      run: (n: number) =>
        Effect.sync(() => started.push(n)).pipe(
          Effect.andThen(Effect.sleep("10 seconds")),
          Effect.as(n),
          Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n))),
        ),
    })
    const runner = pair(Pipeline.make("slow", slow), Layer.empty)
    const controller = new AbortController()
    const result = rejection(runner.run(7, { signal: controller.signal }))
    await vi.waitFor(() => expect(started).toEqual([7]))
    const abortedAt = Date.now()
    controller.abort()
    const error = await result
    expect(Date.now() - abortedAt).toBeLessThan(2000)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError)._tag).toBe("CancelledError")
    expect(interrupted).toEqual([7])
    // An already-aborted signal rejects without calling the worker.
    expect(await rejection(runner.run(8, { signal: AbortSignal.abort() }))).toBeInstanceOf(
      CancelledError,
    )
    expect(started).toEqual([7])
  })

  describe("typed errors", () => {
    const overheat = Pipeline.make(
      "overheat",
      Stage.preprocess({
        name: "overheat",
        run: (celsius: number) =>
          Effect.fail(new Overheated({ message: `${celsius}°C is too hot`, celsius })),
      }),
    )

    it("arrive with their _tag, message and fields when the class is not registered", async () => {
      const runner = pair(overheat, Layer.empty)
      const error = await rejection(runner.run(120))
      expect(error).toBeInstanceOf(Error)
      expect(error).not.toBeInstanceOf(Overheated)
      expect(error).toMatchObject({
        _tag: "Overheated",
        name: "Overheated",
        celsius: 120,
        message: "120°C is too hot",
      })
    })

    it("arrive as their own class when passed in `errors`", async () => {
      const runner = pair(overheat, Layer.empty, { errors: [Overheated] })
      const error = await rejection(runner.run(130))
      expect(error).toBeInstanceOf(Overheated)
      expect(error).toMatchObject({ _tag: "Overheated", celsius: 130, message: "130°C is too hot" })
    })

    it("core errors arrive as their class without registering, e.g. InputValidationError", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer)
      const error = await rejection(runner.run({ samples: [1, 2, 3] } as unknown as Frame))
      expect(error).toBeInstanceOf(InputValidationError)
      expect(error).toMatchObject({ _tag: "InputValidationError", stage: "sum-frame" })
      expect((error as Error).message).toContain("samples")
    })
  })

  describe("buffers", () => {
    it("transfers input ArrayBuffers: the caller's buffer is detached", async () => {
      const runtime = memoryRuntime()
      const runner = pair(framePipeline, runtime.layer)
      const samples = Float32Array.of(1, 2, 3)
      const pending = runner.run({ samples })
      expect(samples.buffer.byteLength).toBe(0)
      expect((await pending).total).toBe(6)
    })

    it("copies instead with transferInput: false", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer, { transferInput: false })
      const samples = Float32Array.of(1, 2, 3)
      expect((await runner.run({ samples })).total).toBe(6)
      expect(samples.buffer.byteLength).toBe(12)
      expect(Array.from(samples)).toEqual([1, 2, 3])
    })

    it("refuses a buffer an earlier call transferred, saying what happened and how to keep it", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer)
      const samples = Float32Array.of(1, 2, 3)
      expect((await runner.run({ samples })).total).toBe(6)
      const error = await rejection(runner.run({ samples }))
      expect(error).toBeInstanceOf(WorkerError)
      const message = (error as WorkerError).message
      expect(message).toMatch(
        /^input\.samples is empty: its ArrayBuffer was transferred to the worker by an earlier call/,
      )
      expect(message).toContain("pass a copy")
      expect(message).toContain("{ transfer: false }")
      expect(message).toContain("transferInput: false")
      // Only that call failed.
      expect((await runner.run({ samples: Float32Array.of(4) })).total).toBe(4)
      // A stream push is checked the same way.
      const session = await runner.open()
      expect(await rejection(session.push({ samples }))).toBeInstanceOf(WorkerError)
    })

    it("keeps the caller's buffer for one call with { transfer: false }", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer)
      const samples = Float32Array.of(1, 2, 3)
      expect((await runner.run({ samples }, { transfer: false })).total).toBe(6)
      expect(samples.buffer.byteLength).toBe(12)
      expect((await runner.run({ samples }, { transfer: false })).total).toBe(6)
      // The default still moves it.
      expect((await runner.run({ samples })).total).toBe(6)
      expect(samples.buffer.byteLength).toBe(0)
    })

    it("a call's { transfer: true } moves the buffer even when the connection copies", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer, { transferInput: false })
      const samples = Float32Array.of(1, 2, 3)
      expect((await runner.run({ samples }, { transfer: true })).total).toBe(6)
      expect(samples.buffer.byteLength).toBe(0)
    })

    it("copies a view into a larger buffer rather than moving the whole buffer", async () => {
      const runner = pair(framePipeline, memoryRuntime().layer)
      const shared = new Float32Array([9, 1, 2, 9])
      const samples = shared.subarray(1, 3)
      expect((await runner.run({ samples })).total).toBe(3)
      expect(shared.buffer.byteLength).toBe(16)
    })

    it("transfers output buffers back to the caller", async () => {
      const outputs: Array<Float32Array> = []
      const keep = Stage.preprocess({
        name: "keep-output",
        run: (n: number) =>
          Effect.sync(() => {
            const out = new Float32Array(n).fill(n)
            outputs.push(out)
            return out
          }),
      })
      const runner = pair(Pipeline.make("keep-output", keep), Layer.empty)
      const got = await runner.run(4)
      expect(Array.from(got)).toEqual([4, 4, 4, 4])
      // The served end's copy was moved, not copied.
      expect(outputs[0]!.buffer.byteLength).toBe(0)
    })
  })

  describe("streams", () => {
    const runningTotal = Infer.inferStateful({
      name: "running-total-remote",
      model: accumulateModel,
      initial: () => ({ h: Tensor.zeros("float32", [1, 1]) as Tensor.Tensor }),
      step: (session, state, x: number) =>
        Effect.map(
          session.run({ x: Tensor.float32(Float32Array.of(x), [1, 1]), h: state.h }),
          (out) => {
            state.h = out.h!
            return out.y!.data[0] as number
          },
        ),
    })
    const chunker = Stage.preprocess({
      name: "chunker",
      initial: () => ({ held: [] as Array<number> }),
      step: (state: { held: Array<number> }, x: number) =>
        Effect.sync(() => {
          state.held.push(x)
          return state.held.length === 2 ? state.held.splice(0) : []
        }),
      flush: (state) => Effect.sync(() => state.held.splice(0)),
      concat: (a: Array<number>, b: Array<number>) => [...a, ...b],
    })

    it("a stream session carries state across pushes, and separate sessions do not share it", async () => {
      const runner = pair(Pipeline.make("remote-recurrent", runningTotal), memoryRuntime().layer)
      const a = await runner.open()
      const b = await runner.open()
      expect(await a.push(1)).toBe(1)
      expect(await a.push(2)).toBe(3)
      expect(await b.push(10)).toBe(10)
      expect(await a.push(3)).toBe(6)
      expect(await a.end()).toEqual([])
      expect(await b.push(1)).toBe(11)
    })

    it("runner.stream yields every output and then the flushed ones", async () => {
      const runner = pair(Pipeline.make("remote-chunker", chunker), Layer.empty)
      const outs: Array<Array<number>> = []
      for await (const out of runner.stream([1, 2, 3, 4, 5])) outs.push(out)
      expect(outs).toEqual([[], [1, 2], [], [3, 4], [], [5]])
    })

    it("a session that has ended is gone in the served end", async () => {
      const runner = pair(Pipeline.make("remote-chunker-ended", chunker), Layer.empty)
      const session = await runner.open()
      await session.push(1)
      expect(await session.end()).toEqual([[1]])
      const error = await rejection(session.push(2))
      expect(error).toBeInstanceOf(WorkerError)
    })
  })

  it("reports the served pipeline's timings", async () => {
    const runner = pair(
      Pipeline.make(
        "remote-timed",
        Stage.preprocess({ name: "remote-timed", run: (n: number) => Effect.succeed(n) }),
      ),
      Layer.empty,
    )
    await runner.run(1)
    await runner.run(2)
    expect(await runner.timings()).toMatchObject([{ stage: "remote-timed", count: 2 }])
  })

  it("close() cancels calls still running in the served end and then refuses new ones", async () => {
    const started: Array<number> = []
    const slow = Stage.preprocess({
      name: "slow-close",
      run: (n: number) =>
        Effect.sync(() => started.push(n)).pipe(Effect.andThen(Effect.never), Effect.as(n)),
    })
    const runner = pair(Pipeline.make("slow-close", slow), Layer.empty)
    const pending = rejection(runner.run(1))
    await vi.waitFor(() => expect(started).toEqual([1]))
    await runner.close()
    expect(await pending).toBeInstanceOf(CancelledError)
    expect(await rejection(runner.run(2))).toBeInstanceOf(CancelledError)
  })

  it("watch's fail callback rejects pending calls, and later ones, with WorkerError", async () => {
    let fail: (message: string) => void = () => {}
    let terminated = 0
    const hang = Stage.preprocess({ name: "hang", run: (n: number) => Effect.as(Effect.never, n) })
    const runner = pair(Pipeline.make("hang", hang), Layer.empty, {
      watch: (worker) => {
        fail = worker.fail
      },
      terminate: () => {
        terminated++
      },
    })
    const first = rejection(runner.run(1))
    const second = rejection(runner.run(2))
    await new Promise((resolve) => setTimeout(resolve, 10))
    fail("worker exited with code 1")
    const [e1, e2] = await Promise.all([first, second])
    expect(e1).toBeInstanceOf(WorkerError)
    expect(e2).toBe(e1)
    expect((e1 as WorkerError)._tag).toBe("WorkerError")
    expect((e1 as WorkerError).message).toBe("worker exited with code 1")
    const later = await rejection(runner.run(3))
    expect(later).toBeInstanceOf(WorkerError)
    // Closing a dead worker does not wait on it, and still terminates it.
    await runner.close()
    expect(terminated).toBe(1)
  })

  describe("watch's stop (the runtime is about to end the worker)", () => {
    const hanging = () => {
      const started: Array<number> = []
      const interrupted: Array<number> = []
      const hang = Stage.preprocess({
        name: "hang-stop",
        run: (n: number) =>
          Effect.sync(() => started.push(n)).pipe(
            Effect.andThen(Effect.never),
            Effect.as(n),
            Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n))),
          ),
      })
      return { started, interrupted, pipeline: Pipeline.make("hang-stop", hang) }
    }

    it("rejects pending calls with WorkerError at once, then shuts the served pipeline down", async () => {
      const { started, interrupted, pipeline } = hanging()
      let watched: WorkerWatch | undefined
      let terminated = 0
      const runner = pair(pipeline, Layer.empty, {
        watch: (worker) => {
          watched = worker
        },
        terminate: () => {
          terminated++
        },
      })
      const first = rejection(runner.run(1))
      const second = rejection(runner.run(2))
      await vi.waitFor(() => expect(started).toEqual([1, 2]))
      let stopped = false
      const stopping = watched!.stop("the worker was terminated").then(() => {
        stopped = true
      })
      const [e1, e2] = await Promise.all([first, second])
      // Rejected before the served end even answered.
      expect(stopped).toBe(false)
      for (const error of [e1, e2]) {
        expect(error).toBeInstanceOf(WorkerError)
        expect((error as WorkerError).message).toBe(
          "the worker was terminated with 2 calls pending",
        )
      }
      await stopping
      expect(interrupted.sort()).toEqual([1, 2])
      const later = await rejection(runner.run(3))
      expect(later).toBeInstanceOf(WorkerError)
      expect((later as WorkerError).message).toBe(
        "the worker was terminated; this runner takes no more calls",
      )
      expect(started).toEqual([1, 2])
      // Ending the worker is left to the runtime; close() still ends it, once.
      expect(terminated).toBe(0)
      await runner.close()
      expect(terminated).toBe(1)
      // A second stop shares the finished shutdown.
      await watched!.stop("again")
    })

    /** A runner whose served end never answers: only the worker's death can settle anything. */
    const unanswered = () => {
      let watched: WorkerWatch | undefined
      const { port2 } = new MessageChannel()
      const runner = connect<typeof framePipeline>(nodeEndpoint(port2), {
        watch: (worker) => {
          watched = worker
        },
      })
      cleanups.push(async () => {
        await runner.close()
        port2.close()
      })
      return { runner, watched: watched! }
    }

    it("resolves at once when the worker already died, which stays the reason calls fail", async () => {
      const { runner, watched } = unanswered()
      const pending = rejection(runner.timings())
      watched.fail("the worker exited with code 1")
      expect(((await pending) as WorkerError).message).toBe("the worker exited with code 1")
      await watched.stop("the worker was terminated")
      const later = await rejection(runner.run({ samples: Float32Array.of(1) }))
      expect((later as WorkerError).message).toBe("the worker exited with code 1")
    })

    it("resolves when the worker dies while it waits for the served end", async () => {
      const { watched } = unanswered()
      const stopping = watched.stop("the worker was terminated")
      watched.fail("the worker exited with code 1")
      await stopping
    })
  })
})
