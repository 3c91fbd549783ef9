/**
 * The model behind the reference cloud tier: the message-triage teacher
 * that `npm run distill` trains on ground truth (an MLP over hashed n-grams,
 * sixteen times the student's parameters), run with onnxruntime-node.
 *
 * It stands in for a large language model so the edge-to-cloud loop runs
 * offline; it answers the triage task and nothing else.
 */
import { readFile } from "node:fs/promises"
import { OnnxImport } from "@edgeline/distill"
import { Featurizer, SparseBatch } from "@edgeline/distill/features"
import * as ort from "onnxruntime-node"
import type { ChatClassifier } from "./ChatClassifier.js"

/** The committed teacher, inside this package. */
export const modelUrl = new URL("../models/message-triage-teacher/model.onnx", import.meta.url)

export interface TriageTeacher extends ChatClassifier {
  /** Parameters of the network, from the model's card. */
  readonly parameters: number
  /** Validation accuracy against ground truth, from the model's card. */
  readonly accuracy: number | undefined
  /** Frees the onnxruntime session; classify fails after it. */
  readonly close: () => Promise<void>
}

/** A classifier over an exported teacher's bytes (default: the committed teacher). */
export const classifier = async (
  bytes?: Uint8Array,
  options: { readonly id?: string } = {},
): Promise<TriageTeacher> => {
  const model = bytes ?? new Uint8Array(await readFile(modelUrl))
  const card = OnnxImport.card(model)
  if (typeof card === "string") throw new Error(`not a triage teacher: ${card}`)
  const featurizer = await Featurizer.create(card.featurizer)
  // One thread: the server runs one request's batch at a time per model, beside other work on two cores.
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  })
  const accuracy =
    typeof card.evaluation?.accuracy === "number" ? card.evaluation.accuracy : undefined
  return {
    id: options.id ?? card.name,
    labels: card.labels,
    description: `${card.name}: a ${card.parameters.toLocaleString("en")}-parameter classifier over hashed n-grams${accuracy === undefined ? "" : `, ${(accuracy * 100).toFixed(2)}% accurate on validation`}; it stands in for an LLM`,
    parameters: card.parameters,
    accuracy,
    classify: async (texts) => {
      const batch = SparseBatch.pad(texts.map((t) => featurizer.featurize(t)))
      const out = await session.run({
        indices: new ort.Tensor("int64", batch.indices, [batch.rows, batch.width]),
        values: new ort.Tensor("float32", batch.values, [batch.rows, batch.width]),
      })
      const p = out.probabilities!.data as Float32Array
      const classes = card.labels.length
      return Array.from({ length: batch.rows }, (_, row) =>
        p.subarray(row * classes, (row + 1) * classes),
      )
    },
    close: () => session.release(),
  }
}
