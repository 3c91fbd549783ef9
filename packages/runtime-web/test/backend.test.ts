import { type InferenceBackend, Model, ModelRef, Tensor } from "@edgeline/core"
import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { Effect } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { afterEach, describe, expect, it } from "vitest"
import { WebBackend, WebRuntime } from "../src/index.js"

const silero = ModelRef.make("silero_vad_v5", "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx")

/** A 512-sample 440 Hz tone with 64 samples of context: a frame that is not all zeros. */
const tone = () => {
  const input = new Float32Array(576)
  for (let i = 0; i < input.length; i++) input[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000)
  return {
    input: Tensor.float32(input, [1, 576]),
    state: Tensor.zeros("float32", [2, 1, 128]),
    sr: Tensor.int64(BigInt64Array.from([16000n]), []),
  }
}

const runOnce = (
  options: Partial<WebRuntime.Options> = {},
  sessionOptions: InferenceBackend.SessionOptions = {},
) =>
  Effect.gen(function* () {
    const session = yield* Model.session(silero, sessionOptions)
    const out = yield* session.run(tone())
    return {
      provider: session.provider,
      warnings: session.warnings,
      signature: session.signature,
      probability: (out.output!.data as Float32Array)[0]!,
      stateN: out.stateN!,
    }
  }).pipe(
    Effect.scoped,
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
  afterEach(() => {
    // Undo the "no WebGPU" shadowing below.
    delete (navigator as { gpu?: unknown }).gpu
  })

  it("runs Silero on wasm and reports it", async () => {
    const { provider, probability, stateN } = await runOnce({ executionProviders: ["wasm"] })
    expect(provider).toBe("wasm")
    expect(probability).toBeGreaterThanOrEqual(0)
    expect(probability).toBeLessThanOrEqual(1)
    expect(stateN.dims).toEqual([2, 1, 128])
  })

  it("declares the model's signature from onnxruntime-web's metadata", async () => {
    const { signature } = await runOnce({ executionProviders: ["wasm"] })
    expect(signature?.inputs.map((i) => [i.name, i.dtype, i.dims])).toEqual([
      ["input", "float32", ["", ""]],
      ["state", "float32", [2, "", 128]],
      ["sr", "int64", []],
    ])
    expect(signature?.outputs.map((o) => [o.name, o.dtype, o.dims[1]])).toEqual([
      ["output", "float32", 1],
      ["stateN", "float32", ""],
    ])
  })

  it("uses threads when the page is cross-origin isolated, and reads the count back", async () => {
    await runOnce({ executionProviders: ["wasm"] })
    const env = WebBackend.environment()
    expect(env.crossOriginIsolated).toBe(true)
    expect(env.threads).toBe(Math.min(navigator.hardwareConcurrency, 4))
    expect(env.threads).toBeGreaterThan(1)
  })

  it("tries WebGPU first where navigator.gpu has an adapter, with the same answer as wasm", async () => {
    expect(WebBackend.environment().webgpu).toBe(true)
    const gpu = await runOnce()
    const wasm = await runOnce({ executionProviders: ["wasm"] })
    expect(gpu.provider).toBe("webgpu")
    expect(Math.abs(gpu.probability - wasm.probability)).toBeLessThan(1e-3)
  })

  it("falls back to wasm where there is no WebGPU", async () => {
    Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true })
    expect(WebBackend.environment().webgpu).toBe(false)
    const { provider } = await runOnce()
    expect(provider).toBe("wasm")
  })

  it('runs on wasm for `device: "cpu"` even where WebGPU is offered, with no warning', async () => {
    const { provider, warnings } = await runOnce({}, { device: "cpu" })
    expect(provider).toBe("wasm")
    expect(warnings).toEqual([])
  })

  it("warns, on the session, about a thread count it cannot apply per session", async () => {
    const { warnings } = await runOnce({ executionProviders: ["wasm"] }, { threads: 2 })
    expect(warnings).toEqual([
      expect.objectContaining({
        setting: "threads",
        message: expect.stringMatching(/onnxruntime-web does not apply/),
      }),
    ])
  })

  it("takes ORT's own provider list from its options bag, ignoring other backends' bags", async () => {
    const { provider, warnings } = await runOnce(
      {},
      {
        backendOptions: {
          "onnxruntime-web": { executionProviders: ["wasm"] },
          "onnxruntime-node": { intraOpNumThreads: 3 },
        },
      },
    )
    expect(provider).toBe("wasm")
    expect(warnings).toEqual([])
  })

  it("runs concurrent calls, on one session and on two, each with its own answer", async () => {
    // onnxruntime-web refuses a run while another is under way on any of its
    // sessions ("Session already started"): the backend makes them take turns.
    const probability = (out: Tensor.Feeds) => (out.output!.data as Float32Array)[0]!
    const { alone, together } = await Effect.gen(function* () {
      const one = yield* Model.session(silero, { device: "cpu" })
      // Other options, another session of the same model.
      const two = yield* Model.session(silero, {
        backendOptions: { "onnxruntime-web": { executionProviders: ["wasm"] } },
      })
      const alone = probability(yield* one.run(tone()))
      const together = yield* Effect.all(
        Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? one : two).run(tone())),
        { concurrency: "unbounded" },
      )
      return { alone, together: together.map(probability) }
    }).pipe(
      Effect.scoped,
      Effect.provide(
        WebRuntime.layer({
          wasmPaths: { wasm: wasmUrl },
          models: { [silero.uri]: sileroUrl },
          cacheName: false,
        }),
      ),
      Effect.runPromise,
    )
    expect(together).toEqual(Array.from({ length: 12 }, () => alone))
  })

  it("fails with a typed ModelLoadError for bytes that are not a model", async () => {
    const garbage = ModelRef.make("garbage", "data:application/octet-stream;base64,AAECAwQFBgc=")
    const error = await Effect.gen(function* () {
      return yield* Model.session(garbage)
    }).pipe(
      Effect.scoped,
      Effect.provide(WebRuntime.layer({ wasmPaths: { wasm: wasmUrl }, cacheName: false })),
      Effect.flip,
      Effect.runPromise,
    )
    expect(error._tag).toBe("ModelLoadError")
    expect(error.message).toMatch(/valid ONNX/)
  })
})
