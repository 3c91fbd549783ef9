/**
 * The ONNX export against onnxruntime-node: the graph loads, takes sparse
 * features, and gives the TypeScript forward pass's probabilities within
 * 1e-5 on 1000 inputs, for logistic regression and for the MLP.
 */
import * as ort from "onnxruntime-node"
import { describe, expect, it } from "vitest"
import { Featurizer, FeaturizerConfig, SparseBatch } from "../src/features/index.js"
import * as ModelCard from "../src/onnx/ModelCard.js"
import * as OnnxExport from "../src/onnx/OnnxExport.js"
import * as OnnxImport from "../src/onnx/OnnxImport.js"
import * as Network from "../src/student/Network.js"
import * as Trainer from "../src/student/Trainer.js"
import { inputs, trainingMessages } from "./support/messages.js"

const config = { ...FeaturizerConfig.defaults, buckets: 1 << 12 }

const trained = async (hidden: number) => {
  const featurizer = await Featurizer.create(config)
  const messages = (await trainingMessages()).slice(0, 400)
  const examples = messages.map((m) => ({
    features: featurizer.featurize(m.text),
    target: m.label === "spam" ? [0, 1] : [1, 0],
  }))
  const { network } = await Trainer.trainPromise(examples, {
    shape: { inputs: config.buckets, hidden, outputs: 2 },
    epochs: 2,
    seed: 1,
  })
  return { featurizer, network }
}

const card = {
  name: "test-triage",
  labels: ["ham", "spam"],
  featurizer: config,
  threshold: 0.8,
  confidenceHistogram: { edges: [0.5, 0.75, 1], fractions: [0.25, 0.75] },
}

for (const hidden of [0, 8]) {
  describe(`ONNX export (${hidden === 0 ? "logistic regression" : "MLP"})`, () => {
    it("matches the TypeScript forward pass within 1e-5 on 1000 inputs in onnxruntime-node", async () => {
      const { featurizer, network } = await trained(hidden)
      const bytes = OnnxExport.encode(network, card)
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })
      expect(session.inputNames).toEqual(["indices", "values"])
      expect(session.outputNames).toEqual(["logits", "probabilities"])
      const texts = await inputs(1000)
      const features = texts.map((t) => featurizer.featurize(t))
      let worst = 0
      for (let start = 0; start < features.length; start += 100) {
        const batch = SparseBatch.pad(features.slice(start, start + 100))
        const out = await session.run({
          indices: new ort.Tensor("int64", batch.indices, [batch.rows, batch.width]),
          values: new ort.Tensor("float32", batch.values, [batch.rows, batch.width]),
        })
        const probabilities = out.probabilities!.data as Float32Array
        expect(out.probabilities!.dims).toEqual([batch.rows, 2])
        for (let row = 0; row < batch.rows; row++) {
          const expected = Network.probabilities(network, features[start + row]!)
          for (let c = 0; c < 2; c++)
            worst = Math.max(worst, Math.abs(probabilities[row * 2 + c]! - expected[c]!))
        }
      }
      expect(worst).toBeLessThan(1e-5)
      await session.release()
    })

    it("encodes the same bytes twice, and reads back its card and weights", async () => {
      const { network } = await trained(hidden)
      const a = OnnxExport.encode(network, card)
      const b = OnnxExport.encode(network, card)
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
      const imported = OnnxImport.decode(a)
      if (typeof imported === "string") throw new Error(imported)
      expect(imported.card).toMatchObject({
        ...card,
        parameters: Network.parameterCount(network.shape),
      })
      expect(imported.network.shape).toEqual(network.shape)
      expect(Array.from(imported.network.embedding)).toEqual(Array.from(network.embedding))
      expect(Array.from(imported.network.output)).toEqual(Array.from(network.output))
    })
  })
}

describe("OnnxImport", () => {
  it("says what is wrong with bytes that are not an exported classifier", () => {
    expect(OnnxImport.decode(new Uint8Array([1, 2, 3, 255]))).toMatch(/not an ONNX model|format/)
    const foreign = OnnxExport.encode(Network.zeros({ inputs: 4, hidden: 0, outputs: 2 }), card)
    const other = ModelCard.fromMetadata([{ key: "edgeline.format", value: "something/9" }])
    expect(other).toMatch(/this build reads "edgeline.sparse-text-classifier\/1"/)
    expect(ModelCard.fromMetadata([])).toMatch(/not exported by @edgeline\/distill/)
    expect(typeof OnnxImport.card(foreign)).toBe("object")
  })

  it("refuses weights that disagree with the card or are not finite, rather than read out of bounds", () => {
    // 4 rows for a featurizer of 4096 buckets: a bucket past row 3 would read nothing.
    const tooFew = OnnxExport.encode(Network.zeros({ inputs: 4, hidden: 0, outputs: 2 }), card)
    expect(OnnxImport.decode(tooFew)).toBe(
      "the model's weights do not fit: embedding rows (the featurizer's buckets): 4, expected 4096",
    )
    // Three outputs for two labels.
    const wide = OnnxExport.encode(Network.zeros({ inputs: 4096, hidden: 0, outputs: 3 }), card)
    expect(OnnxImport.decode(wide)).toMatch(/embedding width: 3, expected 2/)
    const nan = Network.zeros({ inputs: 4096, hidden: 8, outputs: 2 })
    nan.output[5] = Number.NaN
    expect(OnnxImport.decode(OnnxExport.encode(nan, card))).toMatch(/not a finite number/)
    const fine = OnnxImport.decode(
      OnnxExport.encode(Network.zeros({ inputs: 4096, hidden: 8, outputs: 2 }), card),
    )
    expect(typeof fine).toBe("object")
  })
})
