/**
 * The proof that a backend is a small adapter: the voice gate from
 * `@edgeline/recipes`, unchanged, runs Silero VAD v5 on a KServe v2 server
 * and gives the speech probabilities onnxruntime-node gives in-process, on
 * a real recording (espeak-ng speech with noise, from the recipes' fixtures).
 */
import { readFile } from "node:fs/promises"
import { createRunner, type InferenceBackend, ModelSource } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { ModelSources, NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KServeBackend } from "../src/index.js"
import { type KServeServer, start } from "./support/kserveServer.js"
import { served } from "./support/models.js"

const recording = new URL("../../recipes/test/fixtures/conversation-16k-mono.wav", import.meta.url)

let server: KServeServer
let wav: Uint8Array
/** The gate in-process, on onnxruntime-node: the reference. */
let local: VoiceGate.Gated

/** The gate's result with the given layer; the runner is closed afterwards. */
const gate = async (
  layer: Layer.Layer<InferenceBackend.InferenceBackend | ModelSource.ModelSource>,
) => {
  const runner = await createRunner(VoiceGate.file, { layer })
  try {
    // A copy: a runner may take the buffer it is given.
    return await runner.run(wav.slice())
  } finally {
    await runner.close()
  }
}

beforeAll(async () => {
  server = await start(served)
  wav = await readFile(recording)
  local = await gate(NodeRuntime.layer())
})
afterAll(() => server?.close())

describe("the voice gate on a KServe server", () => {
  it("gives onnxruntime-node's speech probabilities, frame for frame (within 1e-4)", async () => {
    const before = server.requests.length
    const remote = await gate(
      Layer.mergeAll(KServeBackend.layer({ url: server.url }), ModelSources.layer()),
    )
    expect(remote.probabilities.length).toBe(local.probabilities.length)
    expect(remote.probabilities.length).toBeGreaterThan(300) // 12 s in 32 ms frames
    let worst = 0
    for (let i = 0; i < local.probabilities.length; i++) {
      worst = Math.max(worst, Math.abs(remote.probabilities[i]! - local.probabilities[i]!))
    }
    expect(worst).toBeLessThan(1e-4)
    expect(remote.segments).toEqual(local.segments)
    expect(remote.segments.length).toBeGreaterThan(0)
    // One request per frame, plus the recipe's warm-up, all naming the recipe's model.
    const infers = server.requests.slice(before).filter((r) => r.method === "POST")
    expect(infers.length).toBe(local.probabilities.length + 1)
    expect(new Set(infers.map((r) => r.path))).toEqual(new Set(["/v2/models/silero_vad_v5/infer"]))
  })

  it("asks the ModelSource for no bytes: one that refuses every model serves as well", async () => {
    const refusing = Layer.succeed(ModelSource.ModelSource)({
      resolve: (ref) => Effect.fail(ModelSource.notFound(ref, "this source holds no models")),
    })
    const remote = await gate(Layer.mergeAll(KServeBackend.layer({ url: server.url }), refusing))
    expect(remote.segments).toEqual(local.segments)
  })
})
