/**
 * The user's own ONNX model in a Web Worker, on onnxruntime-web. The page
 * names what to serve in the worker's name (`WorkerSetup`): the model's
 * signature alone, read from the engine's metadata through core's
 * `Model.session`; or the pipeline the user assembled, a preprocess stage
 * (tensor JSON, the triage featurizer, WAV decode + 16 kHz resample) then
 * the model as an infer stage. The model comes as a blob: URL of the
 * dropped file, never cached (it is the user's, and one-off).
 */
import {
  Infer,
  type InferenceBackend,
  Model,
  ModelRef,
  Pipeline,
  Stage,
  type Tensor,
} from "@edgeline/core"
import { Resample, TriageStudent, WavDecode } from "@edgeline/recipes"
import { isOnnxRuntimeThread, serveWorker, WebRuntime } from "@edgeline/runtime-web"
import { Effect } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import {
  audioWindows,
  FeedsError,
  sparseText,
  summarize,
} from "../components/own-model/ModelFeeds.js"
import { MODEL_NAME, type WorkerSetup } from "../components/own-model/OwnModelSetup.js"
import * as TensorJson from "../components/own-model/TensorJson.js"

// onnxruntime-web runs this same script in its wasm threads: only the worker itself reads its setup.
const setup = isOnnxRuntimeThread() ? undefined : (JSON.parse(self.name) as WorkerSetup)
const model = ModelRef.make(MODEL_NAME, setup?.modelUrl ?? "")
// wasm only: every dtype and op runs there, while WebGPU lacks some (int64 among them).
const layer = WebRuntime.layer({
  wasmPaths: { wasm: wasmUrl },
  executionProviders: ["wasm"],
  cacheName: false,
})

/** A preprocess step whose thrown message is the user's to read (bad JSON, a model it cannot feed). */
const attempt = <A>(f: () => A) =>
  Effect.try({ try: f, catch: (e) => (e instanceof Error ? e : new FeedsError(String(e))) })

const signature = Stage.make("infer", {
  name: "signature",
  run: (_: null) =>
    Effect.scoped(
      Effect.map(
        Model.session(model),
        (session): InferenceBackend.Signature =>
          session.signature ?? {
            inputs: session.inputNames.map((name) => ({ name, dtype: "unknown", dims: [] })),
            outputs: session.outputNames.map((name) => ({ name, dtype: "unknown", dims: [] })),
          },
      ),
    ),
})

if (setup === undefined) {
  // A wasm thread of onnxruntime-web.
} else if (setup.serve === "signature") {
  serveWorker(Pipeline.make("signature", signature), layer)
} else {
  const modelStage = Infer.infer<Tensor.Feeds, ReturnType<typeof summarize>>({
    name: MODEL_NAME,
    model,
    session: { threads: 1 },
    encode: (feeds) => feeds,
    decode: (outputs) => summarize(outputs),
  })
  const { signature: declared, window } = setup
  switch (setup.preprocess) {
    case "tensor-json":
      serveWorker(
        Pipeline.make(
          "your-model",
          Stage.preprocess({
            name: "tensor-json",
            run: (text: string) => attempt(() => TensorJson.parse(text, declared)),
          }),
          modelStage,
        ),
        layer,
      )
      break
    case "featurizer":
      serveWorker(
        Effect.map(TriageStudent.features(), (features) =>
          Pipeline.make(
            "your-model",
            features,
            Stage.preprocess({
              name: "sparse-feeds",
              run: ({ features }: TriageStudent.Featurized) =>
                attempt(() => sparseText(features, declared)),
            }),
            modelStage,
          ),
        ),
        layer,
      )
      break
    case "wav":
      serveWorker(
        Pipeline.make(
          "your-model",
          WavDecode.stage,
          Resample.stage,
          Stage.preprocess({
            name: "audio-windows",
            run: (samples: Float32Array) => attempt(() => audioWindows(samples, declared, window)),
          }),
          modelStage,
        ),
        layer,
      )
      break
  }
}
