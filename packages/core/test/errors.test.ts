import { Cause, Data, Effect, Exit, Layer } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import {
  CancelledError,
  InferenceError,
  type InputValidationError,
  ModelLoadError,
  ModelNotFoundError,
  TensorShapeError,
  UnexpectedError,
} from "../src/Errors.js"
import * as Infer from "../src/Infer.js"
import { toError } from "../src/internal/calls.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import {
  brokenModel,
  memoryRuntime,
  missingModel,
  rowsFeeds,
  sumModel,
  sums,
  unloadableModel,
} from "./support/memoryRuntime.js"
import { rejection } from "./support/rejection.js"

class Overheated extends Data.TaggedError("Overheated")<{
  readonly message: string
  readonly celsius: number
}> {}

/** check -> heat (fails above 90) -> report; `ran` lists the stages that ran. */
const makePipeline = (failWith?: () => Effect.Effect<never, unknown>) => {
  const ran: Array<string> = []
  const check = Stage.preprocess({
    name: "check",
    run: (celsius: number) =>
      Effect.as(
        Effect.sync(() => ran.push("check")),
        celsius,
      ),
  })
  const heat = Stage.preprocess({
    name: "heat",
    run: (celsius: number): Effect.Effect<number, Overheated> =>
      Effect.suspend(() => {
        ran.push("heat")
        if (failWith) return failWith() as Effect.Effect<never>
        return celsius > 90
          ? Effect.fail(new Overheated({ message: `${celsius}°C is too hot`, celsius }))
          : Effect.succeed(celsius + 1)
      }),
  })
  const report = Stage.preprocess({
    name: "report",
    run: (celsius: number) =>
      Effect.as(
        Effect.sync(() => ran.push("report")),
        `${celsius}°C`,
      ),
  })
  return { ran, pipeline: Pipeline.make("thermal", check, heat, report) }
}

describe("typed errors through Pipeline.run", () => {
  it("a stage's Data.TaggedError is catchable by Effect.catchTag, and later stages do not run", async () => {
    const { ran, pipeline } = makePipeline()
    const handled = Pipeline.run(pipeline, 95).pipe(
      Effect.catchTag("Overheated", (e) => Effect.succeed(`cooled down from ${e.celsius}`)),
    )
    // Once caught, only the entry validation error is left in the type.
    expectTypeOf(handled).toEqualTypeOf<Effect.Effect<string, InputValidationError>>()
    expect(await Effect.runPromise(handled)).toBe("cooled down from 95")
    expect(ran).toEqual(["check", "heat"])
  })

  it("fails with the very instance the stage failed with", async () => {
    const boom = new Overheated({ message: "boom", celsius: 1000 })
    const { pipeline } = makePipeline(() => Effect.fail(boom))
    const exit = await Effect.runPromiseExit(Pipeline.run(pipeline, 1))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isSuccess(exit)) return
    expect(Cause.findErrorOption(exit.cause)).toMatchObject({ _tag: "Some", value: boom })
  })

  it("leaves other tags to a later handler", async () => {
    const { ran, pipeline } = makePipeline()
    const result = await Effect.runPromise(
      Pipeline.run(pipeline, 20).pipe(
        Effect.catchTag("Overheated", () => Effect.succeed("caught")),
      ),
    )
    expect(result).toBe("21°C")
    expect(ran).toEqual(["check", "heat", "report"])
  })
})

describe("typed errors through createRunner", () => {
  it("rejects with the same class instance, and later stages do not run", async () => {
    const boom = new Overheated({ message: "boom", celsius: 120 })
    const { ran, pipeline } = makePipeline(() => Effect.fail(boom))
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const error = await rejection(runner.run(120))
      expect(error).toBe(boom)
      expect(error).toBeInstanceOf(Overheated)
      expect((error as Overheated)._tag).toBe("Overheated")
      expect((error as Overheated).celsius).toBe(120)
      expect(ran).toEqual(["check", "heat"])
    } finally {
      await runner.close()
    }
  })

  it("turns a defect (a throw inside a stage) into UnexpectedError keeping its message", async () => {
    const { ran, pipeline } = makePipeline(() =>
      Effect.sync(() => {
        throw new RangeError("index 7 out of range")
      }),
    )
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const error = await rejection(runner.run(1))
      expect(error).toBeInstanceOf(UnexpectedError)
      expect((error as UnexpectedError)._tag).toBe("UnexpectedError")
      expect((error as UnexpectedError).message).toContain("index 7 out of range")
      expect(ran).toEqual(["check", "heat"])
    } finally {
      await runner.close()
    }
  })

  it("turns Effect.die with a non-Error and a failure that is not an Error into UnexpectedError", async () => {
    const died = makePipeline(() => Effect.die("the kettle is on fire"))
    const failedPlain = makePipeline(() => Effect.fail("plain string failure"))
    const runner1 = await createRunner(died.pipeline, { layer: Layer.empty })
    const runner2 = await createRunner(failedPlain.pipeline, { layer: Layer.empty })
    try {
      const e1 = await rejection(runner1.run(1))
      expect(e1).toBeInstanceOf(UnexpectedError)
      expect((e1 as Error).message).toContain("the kettle is on fire")
      const e2 = await rejection(runner2.run(1))
      expect(e2).toBeInstanceOf(UnexpectedError)
      expect((e2 as Error).message).toBe("plain string failure")
    } finally {
      await runner1.close()
      await runner2.close()
    }
  })

  it("rejects createRunner itself when the layer fails to build", async () => {
    const { pipeline } = makePipeline()
    const layer = Layer.effectDiscard(
      Effect.fail(new ModelNotFoundError({ model: "vad", message: "vad.onnx is missing" })),
    )
    const error = await rejection(createRunner(pipeline, { layer }))
    expect(error).toBeInstanceOf(ModelNotFoundError)
  })
})

describe("toError", () => {
  it("maps a typed failure to itself, interruption to CancelledError and a defect to UnexpectedError", () => {
    const boom = new Overheated({ message: "x", celsius: 1 })
    expect(toError(Cause.fail(boom))).toBe(boom)
    expect(toError(Cause.interrupt())).toBeInstanceOf(CancelledError)
    const defect = toError(Cause.die(new TypeError("undefined is not a function")))
    expect(defect).toBeInstanceOf(UnexpectedError)
    expect(defect.message).toBe("undefined is not a function")
  })
})

describe("infer stage errors", () => {
  const inferPipeline = (model: typeof brokenModel) =>
    Pipeline.make(
      `infer-${model.name}`,
      Infer.infer({ name: `infer-${model.name}`, model, encode: rowsFeeds, decode: sums }),
    )

  it("a failing session run is an InferenceError naming the model", async () => {
    const runtime = memoryRuntime()
    const error = await Effect.runPromise(
      Effect.provide(Effect.flip(Pipeline.run(inferPipeline(brokenModel), [[1]])), runtime.layer),
    )
    expect(error).toBeInstanceOf(InferenceError)
    if (!(error instanceof InferenceError)) throw error
    expect(error.model).toBe("broken")
    expect(error.message).toContain("MatMul")
  })

  it("a model the source cannot find is a ModelNotFoundError; bytes the backend cannot load a ModelLoadError", async () => {
    const runtime = memoryRuntime()
    const runner = await createRunner(inferPipeline(missingModel), { layer: runtime.layer })
    const runner2 = await createRunner(inferPipeline(unloadableModel), { layer: runtime.layer })
    try {
      const notFound = await rejection(runner.run([[1]]))
      expect(notFound).toBeInstanceOf(ModelNotFoundError)
      expect((notFound as ModelNotFoundError).model).toBe("missing")
      const notLoaded = await rejection(runner2.run([[1]]))
      expect(notLoaded).toBeInstanceOf(ModelLoadError)
      expect((notLoaded as ModelLoadError).model).toBe("garbage")
    } finally {
      await runner.close()
      await runner2.close()
    }
  })

  it("an encode that builds a bad tensor fails with TensorShapeError without calling the backend", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "bad-encode",
      Infer.infer({
        name: "bad-encode",
        model: sumModel,
        // 3 values cannot be 2 x 2: Tensor.float32 throws TensorShapeError.
        encode: (xs: Array<number>) => ({ x: Tensor.float32(Float32Array.from(xs), [2, 2]) }),
        decode: sums,
      }),
    )
    const error = await Effect.runPromise(
      Effect.provide(Effect.flip(Pipeline.run(pipeline, [1, 2, 3])), runtime.layer),
    )
    expect(error).toBeInstanceOf(TensorShapeError)
    expect(error._tag).toBe("TensorShapeError")
    expect(runtime.session("sum").calls()).toBe(0)
  })

  it("a bug in encode (not a shape error) is a defect, not a typed failure", async () => {
    const runtime = memoryRuntime()
    const pipeline = Pipeline.make(
      "buggy-encode",
      Infer.infer({
        name: "buggy-encode",
        model: sumModel,
        encode: (_: Array<number>): Tensor.Feeds => {
          throw new TypeError("cannot read properties of undefined")
        },
        decode: sums,
      }),
    )
    const exit = await Effect.runPromiseExit(
      Effect.provide(Pipeline.run(pipeline, [1]), runtime.layer),
    )
    expect(exit._tag).toBe("Failure")
    if (exit._tag === "Failure") {
      expect(Cause.hasFails(exit.cause)).toBe(false)
      expect(Cause.squash(exit.cause)).toBeInstanceOf(TypeError)
    }
    expect(runtime.session("sum").calls()).toBe(0)
  })
})
