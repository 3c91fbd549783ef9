/**
 * One distillation in memory on real mail: a small teacher trained on
 * ground truth labels the data, a smaller student learns its soft labels,
 * and the exported model carries its threshold and drift reference.
 */
import { describe, expect, it } from "vitest"
import {
  Classifier,
  Distillation,
  FeaturizerConfig,
  OnnxImport,
  Presets,
  SpamAssassin,
} from "../src/index.js"
import { trainingMessages } from "./support/messages.js"

const small = (preset: Presets.Preset, buckets: number): Presets.Preset => ({
  ...preset,
  featurizer: {
    ...preset.featurizer,
    buckets,
    maxChars: Math.min(preset.featurizer.maxChars, 4000),
  },
  epochs: 4,
})

const setup = async () => {
  const messages = await trainingMessages()
  // Every fourth message is validation here; the rest trains.
  const train = messages.filter((_, k) => k % 4 !== 0)
  const validation = messages.filter((_, k) => k % 4 === 0).slice(0, 300)
  const onehot = (label: string) => (label === "spam" ? [0, 1] : [1, 0])
  const teacher = await Distillation.distillPromise({
    labels: SpamAssassin.labels,
    preset: small(Presets.triageTeacher, 1 << 13),
    train: train.map((m) => ({ text: m.text, target: onehot(m.label) })),
    validation: validation.map((m) => ({ text: m.text, truth: m.label })),
  })
  const teacherModel = await Classifier.load(teacher.model)
  return { train, validation, teacher, teacherModel }
}

describe("Distillation.distill", () => {
  it("trains a student on a teacher's soft labels, chooses a threshold and exports it with its card", async () => {
    const { train, validation, teacher, teacherModel } = await setup()
    expect(teacher.card.threshold).toBeUndefined() // no teacher of its own: nothing to escalate to
    expect(teacher.evaluation.student.accuracy).toBeGreaterThan(0.95)
    const options: Distillation.Options = {
      labels: SpamAssassin.labels,
      preset: small(Presets.triageStudent, 1 << 12),
      train: train.map((m) => ({ text: m.text, target: teacherModel.classify(m.text) })),
      validation: validation.map((m) => ({
        text: m.text,
        truth: m.label,
        teacher: teacherModel.classify(m.text),
      })),
      teacherName: "test-teacher",
      dataset: "SpamAssassin -1, a quarter held out",
    }
    const student = await Distillation.distillPromise(options)
    expect(student.evaluation.agreement).toBeGreaterThan(0.93)
    expect(student.card.threshold).toBeGreaterThan(0.5)
    expect(student.card.confidenceHistogram!.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(student.card.featurizer).toEqual({ ...FeaturizerConfig.defaults, buckets: 1 << 12 })
    const imported = OnnxImport.decode(student.model)
    if (typeof imported === "string") throw new Error(imported)
    expect(imported.card).toEqual(student.card)
    expect(student.extras.student?.bytes).toBe(student.model.byteLength)

    // The same data, preset and seed give the same bytes.
    const again = await Distillation.distillPromise(options)
    expect(Buffer.from(again.model).equals(Buffer.from(student.model))).toBe(true)
  })
})

describe("Distillation.distill on data a JavaScript caller got wrong", () => {
  const preset = small(Presets.triageStudent, 1 << 10)
  it.each([42, null, undefined])(
    "a training text of %s is a TrainingError naming the example",
    async (text) => {
      const error = await Distillation.distillPromise({
        labels: SpamAssassin.labels,
        preset,
        train: [
          { text: "fine", target: [1, 0] },
          { text: text as unknown as string, target: [0, 1] },
        ],
        validation: [{ text: "fine", truth: "ham" }],
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ _tag: "TrainingError" })
      expect((error as Error).message).toMatch(/^example 1: text must be a string/)
    },
  )

  it("a validation text that is not a string is an EvaluationInputError naming the item", async () => {
    const error = await Distillation.distillPromise({
      labels: SpamAssassin.labels,
      preset,
      train: [{ text: "fine", target: [1, 0] }],
      validation: [
        { text: "fine", truth: "ham" },
        { text: 7 as unknown as string, truth: "spam" },
      ],
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ _tag: "EvaluationInputError", item: 1 })
    expect((error as Error).message).toBe("validation item 1: text must be a string, got number")
  })
})

describe("Distillation.write", () => {
  it("a directory it cannot make is a ReportWriteError naming model.onnx, and nothing else is written", async () => {
    const distilled = await Distillation.distillPromise({
      labels: SpamAssassin.labels,
      preset: small(Presets.triageStudent, 1 << 10),
      train: [
        { text: "lunch at noon", target: [1, 0] },
        { text: "win a free prize", target: [0, 1] },
      ],
      validation: [{ text: "lunch", truth: "ham" }],
    })
    // A directory inside a file cannot exist.
    const dir = "/dev/null/student"
    const error = await Distillation.write(dir, distilled).catch((e: unknown) => e)
    expect(error).toMatchObject({ _tag: "ReportWriteError", path: `${dir}/model.onnx` })
    expect((error as Error).message).toMatch(
      /^cannot write \/dev\/null\/student\/model.onnx: ENOTDIR/,
    )
  })
})
