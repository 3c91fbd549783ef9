import { Model, ModelRef, Tensor } from "@edgeline/core"
import sileroUrl from "@ricky0123/vad-web/dist/silero_vad_v5.onnx?url"
import { Effect, Layer } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { describe, expect, it } from "vitest"
import { WebBackend, WebRuntime } from "../src/index.js"

const silero = ModelRef.make("silero_vad_v5", "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx")
const frame = {
  input: Tensor.zeros("float32", [1, 576]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: Tensor.int64(BigInt64Array.from([16000n]), []),
}

const runOnce = (options: Partial<WebRuntime.Options> = {}) =>
  Effect.gen(function* () {
    const session = yield* Model.session(silero)
    const out = yield* session.run(frame)
    return { provider: session.provider, output: out.output!, stateN: out.stateN! }
  }).pipe(
    Effect.provide(
      WebRuntime.layer({
        wasmPaths: { wasm: wasmUrl },
        models: { [silero.uri]: sileroUrl },
        cacheName: false,
        ...options,
      }),
    ),
    Effect.runPromise,
  )

describe("onnxruntime-web backend", () => {
  it("runs Silero on wasm", async () => {
    const { provider, output, stateN } = await runOnce({ executionProviders: ["wasm"] })
    expect(provider).toBe("wasm")
    expect(output.dims).toEqual([1, 1])
    expect(stateN.dims).toEqual([2, 1, 128])
  })

  it("uses threads when the page is cross-origin isolated", async () => {
    await runOnce({ executionProviders: ["wasm"] })
    const env = WebBackend.environment()
    expect(env.crossOriginIsolated).toBe(true)
    expect(env.threads).toBe(Math.min(navigator.hardwareConcurrency, 4))
  })
})
