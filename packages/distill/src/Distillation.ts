/**
 * One distillation, end to end in memory: train a classifier on soft
 * labels, evaluate it on validation against the truth and the teacher,
 * choose its escalation threshold, and export it to ONNX with everything a
 * device needs in its metadata. `write` then puts the model and its report
 * in a directory.
 *
 * The exported bytes depend only on the data, the preset and the seed, so
 * a rerun reproduces the model byte for byte; timings go to the report only.
 */
import { Effect } from "effect"
import * as Evaluation from "./evaluate/Evaluation.js"
import { EvaluationInputError } from "./evaluate/EvaluationInputError.js"
import type { FeaturizerConfigError } from "./features/FeaturizerConfigError.js"
import { Featurizer } from "./features/index.js"
import type { ModelCard } from "./onnx/ModelCard.js"
import * as OnnxExport from "./onnx/OnnxExport.js"
import type { Preset } from "./Presets.js"
import type { Extras } from "./report/Extras.js"
import { parameterCount, probabilities } from "./student/Network.js"
import * as Student from "./student/Student.js"
import type { TrainingError } from "./student/TrainingError.js"

export interface ValidationItem {
  readonly text: string
  /** The ground-truth label, when known. */
  readonly truth?: string | undefined
  /** The teacher's probabilities, when a teacher labelled validation too. */
  readonly teacher?: ArrayLike<number> | undefined
  /**
   * The teacher's probabilities for the item as the cascade escalates it
   * (condensed, say), when that is not the item itself: the threshold is
   * then chosen for what the teacher is actually sent (see `Evaluation.Item`).
   */
  readonly escalated?: ArrayLike<number> | undefined
}

export interface Options {
  readonly labels: ReadonlyArray<string>
  readonly preset: Preset
  /** Training texts with the teacher's soft labels (or one-hot ground truth). */
  readonly train: ReadonlyArray<Student.LabelledText>
  readonly validation: ReadonlyArray<ValidationItem>
  /** What the escalation threshold is chosen for (see `Evaluation.Input.target`). */
  readonly target?: Evaluation.Input["target"]
  readonly teacherName?: string
  readonly dataset?: string
  readonly onProgress?: (progress: Student.Progress) => void
}

export interface Distilled {
  readonly model: Uint8Array
  readonly card: ModelCard
  readonly evaluation: Evaluation.EvaluationReport
  /** Timings and sizes for the report; they vary from run to run, so the model never holds them. */
  readonly extras: Extras
}

const round = (x: number | null | undefined, digits = 6) =>
  x === null || x === undefined ? undefined : Number(x.toFixed(digits))

export const distill = (
  options: Options,
): Effect.Effect<Distilled, TrainingError | FeaturizerConfigError | EvaluationInputError> =>
  Effect.gen(function* () {
    const { labels, preset, validation } = options
    const trained = yield* Student.train(options.train, {
      ...preset,
      labels,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    })
    const featurizer = yield* Featurizer.make(preset.featurizer)
    for (const [n, item] of validation.entries()) {
      if (typeof item.text !== "string") {
        return yield* new EvaluationInputError({
          message: `validation item ${n}: text must be a string, got ${item.text === null ? "null" : typeof item.text}`,
          item: n,
        })
      }
    }
    const started = performance.now()
    const predicted = validation.map((item) =>
      probabilities(trained.network, featurizer.featurize(item.text)),
    )
    const msPerItem = (performance.now() - started) / Math.max(1, validation.length)
    const evaluation = yield* Evaluation.evaluateEffect({
      labels,
      items: validation.map((item, n) => ({
        truth: item.truth,
        teacher: item.teacher,
        escalated: item.escalated,
        student: predicted[n]!,
      })),
      target: validation.some((item) => item.teacher !== undefined) ? options.target : undefined,
    })
    const chosen = evaluation.escalation?.chosen
    const summary: Record<string, number | string> = {}
    const put = (key: string, value: number | undefined) => {
      if (value !== undefined) summary[key] = value
    }
    put("validation_items", evaluation.counts.items)
    put("accuracy", round(evaluation.student.accuracy))
    put("teacher_accuracy", round(evaluation.teacher?.accuracy))
    put("agreement", round(evaluation.agreement))
    put("ece", round(evaluation.calibration?.ece))
    put("escalated_at_threshold", round(chosen?.escalated))
    put("cascade_accuracy_at_threshold", round(chosen?.accuracy))
    if (options.teacherName !== undefined) summary.teacher = options.teacherName
    if (options.dataset !== undefined) summary.dataset = options.dataset
    const card: ModelCard = {
      name: preset.name,
      labels,
      featurizer: preset.featurizer,
      parameters: parameterCount(trained.network.shape),
      ...(chosen !== undefined ? { threshold: round(chosen.threshold)! } : {}),
      confidenceHistogram: {
        edges: evaluation.confidenceHistogram.edges.map((e) => round(e)!),
        fractions: evaluation.confidenceHistogram.fractions.map((f) => round(f)!),
      },
      evaluation: summary,
    }
    const model = OnnxExport.encode(trained.network, card)
    return {
      model,
      card,
      evaluation,
      extras: {
        title: `Distillation report: ${preset.name}`,
        dataset: options.dataset,
        student: {
          name: preset.name,
          bytes: model.byteLength,
          parameters: card.parameters,
          msPerItem,
        },
        ...(options.teacherName ? { teacher: { name: options.teacherName } } : {}),
        trainingMs: trained.durationMs,
      },
    }
  })

/** {@link distill} as a Promise. */
export const distillPromise = (options: Options): Promise<Distilled> =>
  Effect.runPromise(distill(options))

/**
 * Writes `model.onnx`, `report.json` and `report.html` into `dir` (made when
 * missing). Node only. A file it cannot write rejects with a
 * `ReportWriteError` naming it.
 */
export const write = async (
  dir: string,
  distilled: Distilled,
  extras: Extras = {},
): Promise<void> => {
  const { mkdir, writeFile } = await import("node:fs/promises")
  const { join } = await import("node:path")
  const Report = await import("./report/Report.js")
  const { ReportWriteError } = await import("./report/ReportError.js")
  const model = join(dir, "model.onnx")
  // Failures are typed as the report's own are, so a caller handles one kind.
  await mkdir(dir, { recursive: true })
    .then(() => writeFile(model, distilled.model))
    .catch((e: NodeJS.ErrnoException) => {
      throw new ReportWriteError({
        message: `cannot write ${model}: ${e.code ?? e.message}`,
        path: model,
      })
    })
  await Report.write(dir, distilled.evaluation, { ...distilled.extras, ...extras })
}

export interface FileOptions extends Omit<Options, "train" | "validation"> {
  /** JSONL training set: each line's `soft_labels` (a teacher's), else its `label` (ground truth, one-hot). */
  readonly data: string
  /** JSONL validation set: `label` is the truth, `soft_labels` the teacher's answer (used when every line has them). */
  readonly validation: string
  /** Directory for `model.onnx`, `report.json` and `report.html`. */
  readonly out: string
}

/** {@link distill} from JSONL files (as `distill export-jsonl` writes them), written to `out`. Node only. */
export const distillFiles = async (options: FileOptions): Promise<Distilled> => {
  const TextRecords = await import("./data/TextRecords.js")
  const { DataError } = await import("./data/DataError.js")
  const { labels } = options
  const train: Array<Student.LabelledText> = []
  let line = 0
  for await (const record of TextRecords.read(options.data, { labels })) {
    line++
    const target =
      TextRecords.softVector(record, labels) ??
      (record.label ? labels.map((l) => (l === record.label ? 1 : 0)) : undefined)
    if (target === undefined) {
      throw new DataError({
        path: options.data,
        line,
        message: `${options.data}: record ${line} has neither "soft_labels" nor "label" to learn from`,
      })
    }
    train.push({ text: record.text, target })
  }
  const records = await TextRecords.readAll(options.validation, { labels })
  const withTeacher = records.length > 0 && records.every((r) => r.softLabels !== undefined)
  const validation = records.map((r) => ({
    text: r.text,
    truth: r.label,
    teacher: withTeacher ? TextRecords.softVector(r, labels) : undefined,
  }))
  const distilled = await distillPromise({ ...options, train, validation })
  await write(options.out, distilled)
  return distilled
}
