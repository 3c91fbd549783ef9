// Silero v5 on a raw onnxruntime-web loop (bench/lib/silero-loop.mjs, the
// same loop as Node's baseline), configured by runtime-web's WebBackend and
// with its session options (wasm EP). ORT's thread count is fixed
// per wasm instance, so each thread count gets a worker of its own.
import { WebBackend } from "@edgeline/runtime-web"
import sileroUrl from "@ricky0123/vad-web/dist/silero_vad_v5.onnx?url"
import * as ort from "onnxruntime-web"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { FRAME, scoreFrames } from "../../lib/silero-loop.mjs"
import { answer } from "./channel.js"

let session
let samples

const score = (audio) => scoreFrames(ort, session, audio)

answer({
  /** `threads`: a count, or "isolated" for WebBackend's rule (the cores, at most 4, if isolated). */
  open: async ({ threads, audio }) => {
    WebBackend.configure({
      wasmPaths: { wasm: wasmUrl },
      threads: threads === "isolated" ? undefined : threads,
    })
    const model = new Uint8Array(await (await fetch(sileroUrl)).arrayBuffer())
    session = await ort.InferenceSession.create(model, WebBackend.sessionOptions("wasm"))
    samples = audio
    // One frame so the first timed run does not pay ORT's lazy initialisation.
    await score(new Float32Array(FRAME))
    // Read back after ORT initialised: it lowers the count where threads are impossible.
    return {
      value: { threads: ort.env.wasm.numThreads, crossOriginIsolated: self.crossOriginIsolated },
    }
  },
  run: async () => {
    const t0 = performance.now()
    const probabilities = await score(samples)
    const ms = performance.now() - t0
    return { value: { ms, probabilities }, transfer: [probabilities.buffer] }
  },
})
