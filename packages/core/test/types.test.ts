/**
 * Type inference of composed pipelines. The `expectTypeOf` and
 * `@ts-expect-error` lines are checked by `tsc -p test/tsconfig.json`
 * (part of `npm test`); an unused `@ts-expect-error` is itself an error, so a
 * mismatched composition that starts compiling breaks the typecheck.
 */
import { Context, Data, Effect, Layer } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import type { InputValidationError } from "../src/Errors.js"
import * as Escalate from "../src/Escalate.js"
import * as Infer from "../src/Infer.js"
import type { InferenceBackend } from "../src/InferenceBackend.js"
import type { ModelSource } from "../src/ModelSource.js"
import * as Pipeline from "../src/Pipeline.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import { memoryRuntime, sumModel } from "./support/memoryRuntime.js"

class TooLoud extends Data.TaggedError("TooLoud")<{
  readonly message: string
  readonly level: number
}> {}

class Units extends Context.Service<Units, { readonly suffix: string }>()("test/Units") {}

/** string "1,2,3" -> number[] */
const parse = Stage.preprocess({
  name: "parse",
  run: (csv: string) => Effect.succeed(csv.split(",").map(Number)),
})

/** number[] -> number, on the device */
const total = Infer.infer({
  name: "total",
  model: sumModel,
  encode: (xs: ReadonlyArray<number>) => ({
    x: Tensor.float32(Float32Array.from(xs), [1, xs.length]),
  }),
  decode: (outputs) => outputs.y!.data[0] as number,
})

/** number -> string; may fail with TooLoud; needs Units */
const label = Stage.preprocess({
  name: "label",
  run: (n: number) =>
    Effect.gen(function* () {
      if (n > 100) return yield* new TooLoud({ message: `${n} is too loud`, level: n })
      const units = yield* Units
      return `${n}${units.suffix}`
    }),
})

const shout = Stage.preprocess({
  name: "shout",
  run: (s: string) => Effect.succeed(s.toUpperCase()),
})

const pipeline = Pipeline.make("types", parse, total, label)

type InferServices = InferenceBackend | ModelSource

describe("Pipeline.make type inference", () => {
  it("infers In, Out, E and R from three stages including an infer stage", () => {
    expectTypeOf(total).toEqualTypeOf<
      Stage.Stage<ReadonlyArray<number>, number, Infer.InferError, InferServices>
    >()
    expectTypeOf<Pipeline.Input<typeof pipeline>>().toEqualTypeOf<string>()
    expectTypeOf<Pipeline.Output<typeof pipeline>>().toEqualTypeOf<string>()
    expectTypeOf<Pipeline.Error<typeof pipeline>>().toEqualTypeOf<Infer.InferError | TooLoud>()
    expectTypeOf<Pipeline.Services<typeof pipeline>>().toEqualTypeOf<InferServices | Units>()
    expectTypeOf(pipeline).toEqualTypeOf<
      Pipeline.Pipeline<string, string, Infer.InferError | TooLoud, InferServices | Units>
    >()
  })

  it("types Pipeline.run with the input-validation error added", () => {
    const run = Pipeline.run(pipeline, "1,2")
    expectTypeOf(run).toEqualTypeOf<
      Effect.Effect<
        string,
        Infer.InferError | TooLoud | InputValidationError,
        InferServices | Units
      >
    >()
    // Data-last form gives the same type.
    expectTypeOf(pipeline.pipe(Pipeline.run("1,2"))).toEqualTypeOf(run)
  })

  it("accumulates through Pipeline.andThen and Pipeline.concat", () => {
    const longer = pipeline.pipe(Pipeline.andThen(shout))
    expectTypeOf(longer).toEqualTypeOf<
      Pipeline.Pipeline<string, string, Infer.InferError | TooLoud, InferServices | Units>
    >()
    const escalated = Pipeline.make("counted", parse, total).pipe(
      Pipeline.andThen(
        Escalate.escalate({
          name: "ask",
          local: (n: number) => n,
          shouldEscalate: (n: number) => n > 10,
          ask: (n: number) => Effect.succeed(n * 2),
        }),
      ),
    )
    expectTypeOf<Pipeline.Output<typeof escalated>>().toEqualTypeOf<
      Escalate.Escalated<number, number>
    >()
    // Escalate swallows the cloud's error, so it adds none.
    expectTypeOf<Pipeline.Error<typeof escalated>>().toEqualTypeOf<Infer.InferError>()
    const joined = Pipeline.make("head", parse).pipe(
      Pipeline.concat(Pipeline.make("tail", total, label)),
    )
    expectTypeOf(joined).toEqualTypeOf(pipeline)
  })

  it("composes up to ten stages", () => {
    const inc = Stage.preprocess({ name: "inc", run: (x: number) => Effect.succeed(x + 1) })
    const toText = Stage.preprocess({ name: "text", run: (x: number) => Effect.succeed(`${x}`) })
    const long = Pipeline.make("long", inc, inc, inc, inc, inc, inc, inc, inc, inc, toText)
    expectTypeOf(long).toEqualTypeOf<Pipeline.Pipeline<number, string, never, never>>()
    expect(Effect.runSync(Pipeline.run(long, 0))).toBe("9")
  })

  it("rejects compositions whose types do not line up", () => {
    // Type-checked, never called: these lines are compile-time assertions.
    const compileOnly = () => {
      // parse outputs number[], label takes a number:
      // @ts-expect-error mismatched stage composition does not compile
      Pipeline.make("bad", parse, label)
      // total takes number[], shout gives a string:
      // @ts-expect-error mismatched stage composition does not compile
      Pipeline.make("bad", parse, shout, total)
      // the pipeline outputs a string, total takes number[]:
      // @ts-expect-error andThen with a mismatched stage does not compile
      pipeline.pipe(Pipeline.andThen(total))
      // the pipeline takes a string:
      // @ts-expect-error running with an input of the wrong type does not compile
      Pipeline.run(pipeline, 42)
      // @ts-expect-error a pipeline needing Units cannot run without it
      Effect.runPromise(Effect.provide(Pipeline.run(pipeline, "1"), memoryRuntime().layer))
    }
    expectTypeOf(compileOnly).returns.toBeVoid()
    // The check is only static: at run time nothing stops a bad composition.
    expect(Pipeline.make("unchecked", parse, label as Stage.Any).stages).toHaveLength(2)
  })

  it("runs the typed pipeline to the value its type promises", async () => {
    const runtime = memoryRuntime()
    const layer = Layer.mergeAll(runtime.layer, Layer.succeed(Units, { suffix: " dB" }))
    const out = await Effect.runPromise(Effect.provide(Pipeline.run(pipeline, "1,2,3.5"), layer))
    expect(out).toBe("6.5 dB")
    const tooLoud = await Effect.runPromise(
      Effect.provide(Effect.flip(Pipeline.run(pipeline, "99,2")), layer),
    )
    expect(tooLoud).toBeInstanceOf(TooLoud)
    expect(tooLoud._tag).toBe("TooLoud")
  })
})
