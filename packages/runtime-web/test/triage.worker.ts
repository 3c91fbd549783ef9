/**
 * A Web Worker that classifies text the way a device does: the featurizer
 * from `@edgeline/distill/features` (no training code) and an exported
 * classifier on onnxruntime-web (wasm).
 */
import { Featurizer, type FeaturizerConfig, SparseBatch } from "@edgeline/distill/features"
import * as ort from "onnxruntime-web"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"

ort.env.wasm.wasmPaths = { wasm: wasmUrl }
ort.env.wasm.numThreads = 1

export interface Request {
  readonly model: Uint8Array
  readonly featurizer: FeaturizerConfig.FeaturizerConfig
  readonly texts: ReadonlyArray<string>
}

export interface Reply {
  readonly probabilities: Array<Array<number>>
  readonly indices: Array<Array<number>>
}

self.onmessage = async ({ data }: MessageEvent<Request>) => {
  try {
    const featurizer = await Featurizer.create(data.featurizer)
    const session = await ort.InferenceSession.create(data.model, { executionProviders: ["wasm"] })
    const features = data.texts.map((t) => featurizer.featurize(t))
    const probabilities: Array<Array<number>> = []
    for (let start = 0; start < features.length; start += 100) {
      const batch = SparseBatch.pad(features.slice(start, start + 100))
      const out = await session.run({
        indices: new ort.Tensor("int64", batch.indices, [batch.rows, batch.width]),
        values: new ort.Tensor("float32", batch.values, [batch.rows, batch.width]),
      })
      const p = out.probabilities!.data as Float32Array
      for (let row = 0; row < batch.rows; row++) probabilities.push([p[row * 2]!, p[row * 2 + 1]!])
    }
    await session.release()
    self.postMessage({
      probabilities,
      indices: features.slice(0, 50).map((f) => [...f.indices]),
    } satisfies Reply)
  } catch (e) {
    self.postMessage({ error: String(e) })
  }
}
