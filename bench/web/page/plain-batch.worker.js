// The raw Silero loop on onnxruntime-web's plain wasm build
// (`onnxruntime-web/wasm`, `ort-wasm-simd-threaded.wasm`: no JSEP, no WebGPU),
// one thread, with runtime-web's session options: what the JSEP build the
// backend loads costs on the wasm provider, by comparison.
import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { WebBackend } from "@edgeline/runtime-web"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url"
import * as ort from "onnxruntime-web/wasm"
import { scoreBatch } from "../../lib/silero-loop.mjs"
import { answer } from "./channel.js"

let session
let samples

answer({
  open: async ({ audio }) => {
    ort.env.wasm.wasmPaths = { wasm: wasmUrl }
    ort.env.wasm.numThreads = 1
    ort.env.logLevel = "error"
    samples = audio
    const model = new Uint8Array(await (await fetch(sileroUrl)).arrayBuffer())
    session = await ort.InferenceSession.create(model, WebBackend.sessionOptions("wasm"))
    await scoreBatch(ort, session, samples, 1, 1)
    return { value: { threads: ort.env.wasm.numThreads } }
  },
  batch: async ({ batch, steps }) => {
    const t0 = performance.now()
    await scoreBatch(ort, session, samples, batch, steps)
    return { value: { ms: performance.now() - t0 } }
  },
})
