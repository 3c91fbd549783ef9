/**
 * Two backends serve one pipeline: one stage runs Silero VAD v5 in-process
 * on onnxruntime-node (the `InferenceBackend`), the next runs it on a KServe
 * server, provided under a service key of its own and named by the stage's
 * `backend` option.
 */
import { readFile } from "node:fs/promises"
import { createRunner, Infer, type InferenceBackend, Pipeline, Tensor } from "@edgeline/core"
import { SileroVad, WavDecode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Context, Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KServeBackend } from "../src/index.js"
import { type KServeServer, start } from "./support/kserveServer.js"
import { served } from "./support/models.js"

/** The second backend's key: any service whose shape is a backend. */
class RemoteVad extends Context.Service<RemoteVad, InferenceBackend.Shape>()("test/RemoteVad") {}

const WINDOW = SileroVad.CONTEXT + SileroVad.FRAME

/** Silero's feeds for one window, from a fresh state. */
const feeds = (window: Float32Array): Tensor.Feeds => ({
  input: Tensor.float32(window, [1, WINDOW]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: Tensor.int64(BigInt64Array.of(16000n), []),
})
const probability = (outputs: Tensor.Feeds) => (outputs.output!.data as Float32Array)[0]!

const scoredHere = Infer.infer({
  name: "vad-here",
  model: SileroVad.model,
  encode: feeds,
  decode: (outputs, window: Float32Array) => ({ window, here: probability(outputs) }),
})

const scoredThere = Infer.infer({
  name: "vad-there",
  model: SileroVad.model,
  backend: RemoteVad,
  encode: (scored: { readonly window: Float32Array; readonly here: number }) =>
    feeds(scored.window),
  decode: (outputs, scored) => ({ here: scored.here, there: probability(outputs) }),
})

const bothWays = Pipeline.make("vad-both-ways", scoredHere, scoredThere)

let server: KServeServer
let windows: Array<Float32Array>
beforeAll(async () => {
  server = await start(served)
  const wav = await readFile(
    new URL("../../recipes/test/fixtures/conversation-16k-mono.wav", import.meta.url),
  )
  const { samples } = await Effect.runPromise(WavDecode.decode(wav))
  // Windows every 1.5 s through the 12 s recording: speech and silence both.
  windows = Array.from({ length: 8 }, (_, i) => {
    const start = Math.round((0.75 + i * 1.5) * 16000)
    return samples.slice(start, start + WINDOW)
  })
})
afterAll(() => server?.close())

describe("two backends in one pipeline", () => {
  it("each stage runs on its own backend, and both give the same probabilities", async () => {
    const runner = await createRunner(bothWays, {
      layer: Layer.mergeAll(
        NodeRuntime.layer(),
        Layer.effect(RemoteVad, KServeBackend.make({ url: server.url })),
      ),
    })
    const before = server.requests.length
    try {
      const scores = []
      for (const window of windows) scores.push(await runner.run(window))
      for (const { here, there } of scores) expect(Math.abs(here - there)).toBeLessThan(1e-4)
      // Speech and silence both: the windows are not all alike.
      expect(Math.max(...scores.map((s) => s.here))).toBeGreaterThan(0.5)
      expect(Math.min(...scores.map((s) => s.here))).toBeLessThan(0.5)
      // The server ran the second stage, once per window; the first never reached it.
      const infers = server.requests.slice(before).filter((r) => r.method === "POST")
      expect(infers).toHaveLength(windows.length)
    } finally {
      await runner.close()
    }
  })
})
