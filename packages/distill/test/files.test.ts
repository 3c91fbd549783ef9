/**
 * The file-level steps the CLI runs: a labelling cache joined with its
 * dataset into the labelled set, training from it, and evaluating a model
 * on a file, on real mail and a real (local ONNX-free) teacher.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  Distillation,
  EvaluateModel,
  LabelJob,
  LabelledSet,
  Presets,
  SpamAssassin,
  Teacher,
} from "../src/index.js"
import { trainingMessages } from "./support/messages.js"

const jsonl = (rows: ReadonlyArray<unknown>) => rows.map((r) => JSON.stringify(r)).join("\n")

describe("labelled set, training and evaluation from files", () => {
  it("joins a dataset with its labelling cache, trains from it and evaluates the model on a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "distill-files-"))
    const messages = (await trainingMessages()).filter((_, k) => k % 3 === 0).slice(0, 500)
    const data = join(dir, "data.jsonl")
    await writeFile(data, jsonl(messages.map((m) => ({ id: m.id, text: m.text, label: m.label }))))
    // A teacher that knows the truth and is 90 % sure of it: enough to check what flows where.
    const truth = new Map(messages.map((m) => [m.text, m.label]))
    const teacher = Teacher.make({
      id: "truth-90",
      labels: SpamAssassin.labels,
      label: async (text) => ({
        probabilities: truth.get(text) === "spam" ? [0.1, 0.9] : [0.9, 0.1],
        source: "model",
        usage: Teacher.noUsage,
      }),
    })
    const cache = join(dir, "labels.jsonl")
    const labelled = await LabelJob.runPromise({
      teacher,
      items: messages.slice(0, 450).map((m) => ({ id: m.id, text: m.text })),
      cache,
    })
    expect(labelled.labelled).toBe(450)

    // One text changed since it was labelled: its answer no longer belongs to it.
    const edited = messages.map((m, k) => ({
      id: m.id,
      text: k === 3 ? `${m.text} edited` : m.text,
      label: m.label,
    }))
    await writeFile(data, jsonl(edited))
    const set = join(dir, "labelled.jsonl")
    expect(await LabelledSet.write({ data, cache, out: set })).toEqual({
      written: 449,
      unlabelled: 50,
      changed: 1,
    })
    const first = JSON.parse((await readFile(set, "utf8")).split("\n")[0]!)
    expect(first).toEqual({
      id: edited[0]!.id,
      text: edited[0]!.text,
      label: edited[0]!.label,
      soft_labels: first.soft_labels,
      teacher: "truth-90",
    })
    expect(Object.keys(first.soft_labels)).toEqual(["ham", "spam"])

    const lines = (await readFile(set, "utf8")).trim().split("\n")
    const train = join(dir, "train.jsonl")
    const validation = join(dir, "validation.jsonl")
    await writeFile(train, lines.slice(0, 350).join("\n"))
    await writeFile(validation, lines.slice(350).join("\n"))
    const out = join(dir, "model")
    const preset = {
      ...Presets.triageStudent,
      featurizer: { ...Presets.triageStudent.featurizer, buckets: 1 << 12 },
      epochs: 3,
    }
    const distilled = await Distillation.distillFiles({
      labels: SpamAssassin.labels,
      preset,
      data: train,
      validation,
      out,
    })
    expect(distilled.evaluation.counts).toEqual({ items: 99, withTruth: 99, withTeacher: 99 })
    const html = await readFile(join(out, "report.html"), "utf8")
    expect(html).toContain("<svg")

    const model = new Uint8Array(await readFile(join(out, "model.onnx")))
    expect(Buffer.from(model).equals(Buffer.from(distilled.model))).toBe(true)
    const result = await EvaluateModel.onFile({ model, data: validation })
    expect(result.evaluation.student.accuracy).toBe(distilled.evaluation.student.accuracy)
    expect(result.escalatedAtThreshold).toBeGreaterThanOrEqual(0)
  })
})
