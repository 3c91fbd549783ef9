/** A Web Worker serving the recipes' voice gate, unchanged, on onnxruntime-web. */

import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { SileroVad, VoiceGate } from "@edgeline/recipes"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { serveWorker, WebRuntime } from "../src/index.js"

// The worker's name picks the variant: "webgpu" (the WebGPU provider),
// "batched" (wasm, scoring in stretches), or wasm frame by frame otherwise.
const variant = self.name

serveWorker(
  variant === "batched" ? VoiceGate.fromWav({ scoring: "batched" }) : VoiceGate.file,
  WebRuntime.layer({
    wasmPaths: { wasm: wasmUrl },
    models: { [SileroVad.model.uri]: sileroUrl },
    executionProviders: variant === "webgpu" ? ["webgpu"] : ["wasm"],
  }),
)
