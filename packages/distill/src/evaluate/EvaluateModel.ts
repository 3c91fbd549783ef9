/**
 * A model on a dataset file: every message classified by the exported
 * model (its own featurizer and weights, run in TypeScript: the same
 * numbers onnxruntime gives, within 1e-5), then `Evaluation.evaluate`.
 * The file is streamed; memory holds each message's probabilities only.
 */
import { Effect } from "effect"
import * as TextRecords from "../data/TextRecords.js"
import type { ModelCard } from "../onnx/ModelCard.js"
import * as Classifier from "../student/Classifier.js"
import { argmax } from "../student/Trainer.js"
import * as Evaluation from "./Evaluation.js"

export interface Result {
  readonly card: ModelCard
  readonly evaluation: Evaluation.EvaluationReport
  /** Share of messages whose confidence is below the model's own threshold: what the cascade would escalate. */
  readonly escalatedAtThreshold: number | null
  /** Mean featurize + forward time per message, in milliseconds. */
  readonly msPerItem: number
}

export interface Options {
  /** The bytes of a model `@edgeline/distill` exported. */
  readonly model: Uint8Array
  /** JSONL of `{"text", "label"?, "soft_labels"?}`. */
  readonly data: string
  readonly onProgress?: (done: number) => void
}

export const onFile = async ({ model, data, onProgress }: Options): Promise<Result> => {
  const classifier = await Classifier.load(model)
  const { labels } = classifier.card
  const items: Array<{
    truth: string | undefined
    teacher: Array<number> | undefined
    student: Float64Array
  }> = []
  let ms = 0
  for await (const record of TextRecords.read(data, { labels })) {
    const started = performance.now()
    const student = classifier.classify(record.text)
    ms += performance.now() - started
    items.push({ truth: record.label, teacher: TextRecords.softVector(record, labels), student })
    if (items.length % 100 === 0) onProgress?.(items.length)
  }
  onProgress?.(items.length)
  // A teacher's soft labels count only when every message has them (a partial set cannot be a cascade).
  const withTeacher = items.length > 0 && items.every((i) => i.teacher !== undefined)
  const evaluation = await Effect.runPromise(
    Evaluation.evaluateEffect({
      labels,
      items: items.map((i) => ({
        truth: i.truth,
        student: i.student,
        ...(withTeacher ? { teacher: i.teacher } : {}),
      })),
    }),
  )
  const threshold = classifier.card.threshold
  const escalatedAtThreshold =
    threshold === undefined
      ? null
      : items.filter((i) => i.student[argmax(i.student)]! < threshold).length / items.length
  return {
    card: classifier.card,
    evaluation,
    escalatedAtThreshold,
    msPerItem: ms / Math.max(1, items.length),
  }
}
