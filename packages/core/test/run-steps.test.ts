// Session.runSteps as every backend without a faster loop gets it
// (InferenceBackend.runStepsWith), on the in-memory "accumulate" model:
// y = h = h + sum(x), with h carried from step to step.
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as Model from "../src/Model.js"
import * as ModelRef from "../src/ModelRef.js"
import * as Tensor from "../src/Tensor.js"
import { memoryRuntime } from "./support/memoryRuntime.js"

const accumulate = ModelRef.make("accumulate", "mem:accumulate")

// The session outlives the scope that held it: the model stays current, so it stays loaded.
const session = () =>
  Effect.runPromise(Effect.provide(Effect.scoped(Model.session(accumulate)), memoryRuntime().layer))

describe("runSteps over runPromise", () => {
  it("prepares each step in place, carries h, and hands the last h back", async () => {
    const s = await session()
    const x = new Float32Array(2)
    const ys: Array<number> = []
    const done = await s.runSteps({
      feeds: { x: Tensor.float32(x, [1, 2]), h: Tensor.zeros("float32", [1, 1]) },
      steps: 4,
      carry: { h: "h" },
      prepare: (step) => x.fill(step + 1), // sums 2, 4, 6, 8
      read: (_, outputs) => {
        ys.push(Number(outputs.y!.data[0]))
        return false
      },
    })
    expect(ys).toEqual([2, 6, 12, 20])
    expect(done.steps).toBe(4)
    expect(Number(done.feeds.h!.data[0])).toBe(20)
    expect(done.feeds.x!.data).toBe(x)
  })

  it("without carry, every step starts from the given h", async () => {
    const s = await session()
    const ys: Array<number> = []
    await s.runSteps({
      feeds: { x: Tensor.float32(Float32Array.of(1), [1, 1]), h: Tensor.zeros("float32", [1, 1]) },
      steps: 3,
      prepare: () => {},
      read: (_, outputs) => {
        ys.push(Number(outputs.y!.data[0]))
        return false
      },
    })
    expect(ys).toEqual([1, 1, 1])
  })

  it("stops when read returns true", async () => {
    const s = await session()
    const done = await s.runSteps({
      feeds: { x: Tensor.float32(Float32Array.of(1), [1, 1]), h: Tensor.zeros("float32", [1, 1]) },
      steps: 10,
      carry: { h: "h" },
      prepare: () => {},
      read: (step) => step === 2,
    })
    expect(done.steps).toBe(3)
    expect(Number(done.feeds.h!.data[0])).toBe(3)
  })
})
