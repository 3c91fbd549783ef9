// The recipes' whole-file voice gate in a Web Worker, in one of two modes
// (the Worker's `name`), with the same runtime options in both:
// - "serve": served over core's transport, for the page's connectWorker runner;
// - "inside": createRunner here, each run timed here and reported over the
//   plain channel, so no message passing is inside the timing.
// Both also answer "environment": the ORT settings read back from the backend.
import { createRunner } from "@edgeline/core"
import { SileroVad, VoiceGate } from "@edgeline/recipes"
import { serveWorker, WebBackend, WebRuntime } from "@edgeline/runtime-web"
import sileroUrl from "@ricky0123/vad-web/dist/silero_vad_v5.onnx?url"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { summary } from "../../lib/gated.mjs"
import { answer } from "./channel.js"

// wasm only: WebGPU is not what this benchmark measures. Threads: the
// backend's default (the cores, at most 4, when cross-origin isolated).
const layer = WebRuntime.layer({
  wasmPaths: { wasm: wasmUrl },
  models: { [SileroVad.model.uri]: sileroUrl },
  executionProviders: ["wasm"],
})

// The plain channel shares the worker with core's transport in "serve" mode:
// comlink ignores messages of no kind it knows, and `answer` ignores its.
const handlers = { environment: () => ({ value: WebBackend.environment() }) }

if (self.name === "serve") {
  serveWorker(VoiceGate.file, layer)
} else {
  let runner
  handlers.run = async ({ bytes }) => {
    runner ??= createRunner(VoiceGate.file, { layer })
    const gate = await runner
    const t0 = performance.now()
    const gated = await gate.run(bytes)
    return { value: { ms: performance.now() - t0, out: summary(gated) } }
  }
}
answer(handlers)
