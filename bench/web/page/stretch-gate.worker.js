// The whole-file voice gate scored both ways in one Web Worker, frame after
// frame (`scoring: "sequential"`) and in stretches side by side
// (`scoring: "batched"`), on the same onnxruntime-web instance with the thread
// count in the worker's name ("threads-1", "threads-2"): ORT fixes it per wasm
// instance. Runs are timed here. Also answers what ORT runs on (SIMD,
// threads, its pthread workers, WebGPU) and a raw Silero loop's cost per
// frame at a given batch size.

import { createRunner } from "@edgeline/core"
import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { SileroVad, VoiceGate } from "@edgeline/recipes"
import { WebBackend, WebRuntime } from "@edgeline/runtime-web"
import * as ort from "onnxruntime-web"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { simd, threads } from "wasm-feature-detect"
import { summary } from "../../lib/gated.mjs"
import { scoreBatch } from "../../lib/silero-loop.mjs"
import { answer } from "./channel.js"

// ORT starts its threads as workers named "em-pthread…" from this worker:
// counted here, before ORT initialises, as the proof that threads run.
let pthreads = 0
const PlainWorker = self.Worker
self.Worker = class extends PlainWorker {
  constructor(url, options) {
    super(url, options)
    if (String(options?.name ?? "").startsWith("em-pthread")) pthreads++
  }
}

const wanted = Number(self.name.replace("threads-", ""))
const options = {
  wasmPaths: { wasm: wasmUrl },
  models: { [SileroVad.model.uri]: sileroUrl },
  // wasm only: this compares wasm with wasm, and with native code.
  executionProviders: ["wasm"],
  threads: wanted,
}
const layer = WebRuntime.layer(options)

const runners = {}
let wav
let samples
let raw

answer({
  /** Loads both gates and runs each once (model load, ORT's start), untimed. */
  open: async ({ bytes, samples: audio }) => {
    wav = bytes
    samples = audio
    runners.sequential = await createRunner(VoiceGate.fromWav({ scoring: "sequential" }), {
      layer,
    })
    runners.batched = await createRunner(VoiceGate.fromWav({ scoring: "batched" }), { layer })
    for (const runner of Object.values(runners)) await runner.run(wav.slice())
    const environment = WebBackend.environment()
    return {
      value: {
        wanted,
        ...environment,
        // Read back after ORT initialised: it lowers the count where threads are impossible.
        ortThreads: ort.env.wasm.numThreads,
        pthreadWorkers: pthreads,
        simdSupported: await simd(),
        threadsSupported: await threads(),
        sharedArrayBuffer: typeof SharedArrayBuffer === "function",
        ortSimdFlag: ort.env.wasm.simd ?? "unset (ORT checks fixed-width SIMD)",
        wasmFile: wasmUrl.split("/").pop().split("?")[0],
      },
    }
  },
  /** One gate run, clocked here on a fresh copy of the WAV (made before the clock starts). */
  run: async ({ mode }) => {
    const bytes = wav.slice()
    const t0 = performance.now()
    const gated = await runners[mode].run(bytes)
    return { value: { ms: performance.now() - t0, out: summary(gated) } }
  },
  /** A raw ORT loop of `steps` calls of `batch` rows on this worker's ORT instance. */
  batch: async ({ batch, steps }) => {
    raw ??= await ort.InferenceSession.create(
      new Uint8Array(await (await fetch(sileroUrl)).arrayBuffer()),
      WebBackend.sessionOptions("wasm"),
    )
    const t0 = performance.now()
    await scoreBatch(ort, raw, samples, batch, steps)
    return { value: { ms: performance.now() - t0 } }
  },
})
