/**
 * Runs in Node before the browser tests: trains a small triage classifier
 * with @edgeline/distill on real SpamAssassin mail, exports it to ONNX,
 * and computes the TypeScript forward pass on 1000 inputs, so the browser
 * can check onnxruntime-web and the featurizer in a worker against it;
 * the same for the committed student, @edgeline/model-message-triage.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { Classifier, Network, OnnxExport, SpamAssassin, Student } from "@edgeline/distill"
import { Featurizer, FeaturizerConfig } from "@edgeline/distill/features"
import type { TestProject } from "vitest/node"

export interface Check {
  readonly model: string // base64
  readonly featurizer: FeaturizerConfig.FeaturizerConfig
  readonly texts: ReadonlyArray<string>
  readonly probabilities: ReadonlyArray<ReadonlyArray<number>>
  readonly indices: ReadonlyArray<ReadonlyArray<number>>
}

/** A freshly exported MLP, and the committed student (@edgeline/model-message-triage). */
export interface DistillReference {
  readonly mlp: Check
  readonly student: Check
}

declare module "vitest" {
  interface ProvidedContext {
    distillReference: DistillReference
  }
}

export default async function setup(project: TestProject) {
  const featurizer = { ...FeaturizerConfig.defaults, buckets: 1 << 12 }
  const messages = await SpamAssassin.load("train")
  const trained = await Student.trainPromise(
    messages
      .slice(0, 300)
      .map((m) => ({ text: m.text, target: m.label === "spam" ? [0, 1] : [1, 0] })),
    { labels: SpamAssassin.labels, featurizer, hidden: 8, epochs: 2, seed: 1 },
  )
  const model = OnnxExport.encode(trained.network, {
    name: "browser-check",
    labels: SpamAssassin.labels,
    featurizer,
  })
  const texts = Array.from({ length: 1000 }, (_, k) => {
    const m = messages[k % messages.length]!.text
    return k < messages.length ? m : m.slice(0, 300).toUpperCase()
  })
  const check = async (bytes: Uint8Array): Promise<Check> => {
    const classifier = await Classifier.load(bytes)
    const f = await Featurizer.create(classifier.card.featurizer)
    return {
      model: Buffer.from(bytes).toString("base64"),
      featurizer: classifier.card.featurizer,
      texts,
      probabilities: texts.map((t) => [
        ...Network.probabilities(classifier.network, f.featurize(t)),
      ]),
      indices: texts.slice(0, 50).map((t) => [...f.featurize(t).indices]),
    }
  }
  const student = await readFile(
    createRequire(import.meta.url).resolve("@edgeline/model-message-triage/model.onnx"),
  )
  project.provide("distillReference", {
    mlp: await check(model),
    student: await check(new Uint8Array(student)),
  })
}
