/**
 * Models that change while the app runs, on onnxruntime-node with real ONNX
 * models: `y = x + v`, one per version v, so every output says which version
 * ran. The source is core's `ModelSource.memory`, to which the test
 * publishes each new version, as `@edgeline/sync` will after a download.
 */

import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { createRunner, Infer, Model, ModelRef, ModelSource, Pipeline, Tensor } from "@edgeline/core"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import * as ort from "onnxruntime-node"
import { afterEach, describe, expect, it, vi } from "vitest"
import { OnnxBackend } from "../src/index.js"
import { constantAdd } from "./support/onnxModels.js"

/** `vi.waitFor` with room for a loaded CI machine (its default gives up after 1 s). */
const settled = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 20_000, interval: 10 })

const versioned = ModelRef.make("plus-version", "memory:plus-version")

const plusVersion = Infer.infer<number, number>({
  name: "plus-version",
  model: versioned,
  encode: (x) => ({ x: Tensor.float32(Float32Array.of(x), [1]) }),
  decode: (outputs) => (outputs.y!.data as Float32Array)[0]!,
})

const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

const setup = () => {
  const scope = Scope.makeUnsafe()
  scopes.push(scope)
  const source = Effect.runSync(
    Scope.provide(
      ModelSource.memory({ "plus-version": { bytes: constantAdd(0), version: "0" } }),
      scope,
    ),
  )
  const layer = Layer.mergeAll(OnnxBackend.layer(), Layer.succeed(ModelSource.ModelSource, source))
  const publish = (v: number, bytes = constantAdd(v)) =>
    Effect.runPromise(source.publish("plus-version", { bytes, version: String(v) }))
  return { layer, publish }
}

// A real collection before each reading, so the heap compared is what is still referenced.
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const heapAfterGc = () => {
  gc()
  return process.memoryUsage().heapUsed
}

describe("onnxruntime-node: a model swapped while it serves", () => {
  it("100 swaps under concurrent runs: no failed run, no mixed versions, every old session released, memory flat", async () => {
    const released = vi.spyOn(
      (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype,
      "release",
    )
    const { layer, publish } = setup()
    const runner = await createRunner(Pipeline.make("swapping", plusVersion), { layer })
    await runner.load()
    let swapping = true
    let runs = 0
    const caller = async (id: number) => {
      let last = 0
      while (swapping) {
        const version = (await runner.run(1000 * id)) - 1000 * id
        runs++
        expect(Number.isInteger(version)).toBe(true) // one model's answer, not a blend
        expect(version).toBeGreaterThanOrEqual(last) // never back to an older version
        last = version
      }
    }
    const callers = [1, 2, 3, 4].map(caller)
    const heap: Array<number> = []
    const rss: Array<number> = []
    for (let v = 1; v <= 100; v++) {
      await publish(v)
      // Wait until this version serves before announcing the next one.
      while ((await runner.run(0)) !== v) await new Promise((r) => setTimeout(r, 1))
      if (v === 20 || v === 100) {
        heap.push(heapAfterGc())
        rss.push(process.memoryUsage().rss)
      }
    }
    swapping = false
    await Promise.all(callers)
    expect(runs).toBeGreaterThan(100)
    // Each of the 100 old versions was released once its runs were over.
    await settled(() => expect(released.mock.calls.length).toBeGreaterThanOrEqual(100))
    // Memory flat: 80 more swaps add no more than a few MB (each session is released).
    expect(heap[1]! - heap[0]!).toBeLessThan(8 * 1024 * 1024)
    expect(rss[1]! - rss[0]!).toBeLessThan(40 * 1024 * 1024)
    await runner.close()
  })

  it("a version that is not ONNX leaves the old one serving and reports a typed error", async () => {
    const { layer, publish } = setup()
    // The Effect front door: one runtime for the runs and for watching its models.
    const runtime = ManagedRuntime.make(layer)
    const pipeline = Pipeline.make("bad-version", plusVersion)
    const events: Array<Model.Event> = []
    await runtime.runPromise(Model.watch((event) => events.push(event)))
    expect(await runtime.runPromise(Pipeline.run(pipeline, 1))).toBe(1)
    await publish(9, new TextEncoder().encode("garbage, not ONNX"))
    await settled(() => expect(events.map((e) => e._tag)).toContain("SwapFailed"))
    const failed = events.find((e) => e._tag === "SwapFailed")
    expect(failed).toMatchObject({ model: "plus-version", version: "9" })
    expect(failed?._tag === "SwapFailed" && failed.error._tag).toBe("ModelLoadError")
    expect(failed?._tag === "SwapFailed" && failed.error.message).toMatch(/valid ONNX/)
    expect(await runtime.runPromise(Pipeline.run(pipeline, 1))).toBe(1)
    await publish(10)
    await settled(async () => expect(await runtime.runPromise(Pipeline.run(pipeline, 1))).toBe(11))
    await runtime.dispose()
  })
})
