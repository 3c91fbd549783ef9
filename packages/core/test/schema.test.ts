import { Effect, Layer, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { InputValidationError } from "../src/Errors.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import { rejection } from "./support/rejection.js"

interface Clip {
  readonly text: string
  readonly sampleRate: number
}

/** A two-stage pipeline whose entry stage declares its input schema; `ran` lists the stages that ran. */
const makePipeline = () => {
  const ran: Array<string> = []
  const entry = Stage.preprocess({
    name: "describe",
    input: Schema.Struct({ text: Schema.String, sampleRate: Schema.Number }),
    run: (clip: Clip) =>
      Effect.sync(() => {
        ran.push("describe")
        return `${clip.text}@${clip.sampleRate}`
      }),
  })
  const after = Stage.preprocess({
    name: "length",
    run: (s: string) =>
      Effect.sync(() => {
        ran.push("length")
        return s.length
      }),
  })
  return { ran, pipeline: Pipeline.make("clips", entry, after) }
}

/** Input of the wrong shape, as an untyped caller (JSON, postMessage) would send it. */
const bad = (value: unknown) => value as Clip

describe("input schema at pipeline entry", () => {
  it("Pipeline.run rejects a wrongly typed field with InputValidationError before any stage runs", async () => {
    const { ran, pipeline } = makePipeline()
    const error = await Effect.runPromise(
      Effect.flip(Pipeline.run(pipeline, bad({ text: 42, sampleRate: 16000 }))),
    )
    expect(error).toBeInstanceOf(InputValidationError)
    expect(error._tag).toBe("InputValidationError")
    if (error._tag !== "InputValidationError") throw error
    expect(error.stage).toBe("describe")
    expect(error.message).toContain("clips")
    expect(error.message).toContain("text")
    expect(error.message).toMatch(/string/i)
    expect(ran).toEqual([])
  })

  it("names a missing field", async () => {
    const { ran, pipeline } = makePipeline()
    const error = await Effect.runPromise(Effect.flip(Pipeline.run(pipeline, bad({ text: "hi" }))))
    expect(error._tag).toBe("InputValidationError")
    expect(error.message).toContain("sampleRate")
    expect(error.message).toMatch(/missing/i)
    expect(ran).toEqual([])
  })

  it("rejects a value that is not an object at all", async () => {
    const { ran, pipeline } = makePipeline()
    const error = await Effect.runPromise(Effect.flip(Pipeline.run(pipeline, bad("hello"))))
    expect(error._tag).toBe("InputValidationError")
    expect(error.message).toMatch(/object/i)
    expect(ran).toEqual([])
  })

  it("lets valid input through every stage", async () => {
    const { ran, pipeline } = makePipeline()
    const out = await Effect.runPromise(Pipeline.run(pipeline, { text: "hey", sampleRate: 8000 }))
    expect(out).toBe("hey@8000".length)
    expect(ran).toEqual(["describe", "length"])
  })

  it("validates every push of an opened stream too", async () => {
    const { ran, pipeline } = makePipeline()
    const session = Pipeline.open(pipeline)
    const error = await Effect.runPromise(
      Effect.flip(session.push(bad({ text: null, sampleRate: 1 }))),
    )
    expect(error._tag).toBe("InputValidationError")
    expect(ran).toEqual([])
    expect(await Effect.runPromise(session.push({ text: "a", sampleRate: 1 }))).toBe(3)
  })
})

describe("input schema through createRunner", () => {
  it("rejects the Promise with an Error subclass carrying _tag and stage, before any stage runs", async () => {
    const { ran, pipeline } = makePipeline()
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const error = await rejection(runner.run(bad({ text: "hi", sampleRate: "fast" })))
      expect(error).toBeInstanceOf(Error)
      expect(error).toBeInstanceOf(InputValidationError)
      const e = error as InputValidationError
      expect(e._tag).toBe("InputValidationError")
      expect(e.stage).toBe("describe")
      expect(e.message).toContain("sampleRate")
      expect(ran).toEqual([])
      // The runner still works for good input afterwards.
      expect(await runner.run({ text: "ok", sampleRate: 1 })).toBe(4)
    } finally {
      await runner.close()
    }
  })
})
