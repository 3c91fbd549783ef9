/**
 * The whole loop through the command, as the READMEs show it: the real
 * teacher (`edgeline cloud serve`) labels real mail, `export-jsonl` writes
 * the labelled set (split for validation), `train` distils a student from
 * it, and `eval` / `report` measure that student on mail it never saw.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Serving, serving } from "./support/cloud.js"
import { edgeline } from "./support/edgeline.js"
import { jsonl, messages, mix, writeJsonl } from "./support/mail.js"

let dir: string
let server: Serving
let mail: Awaited<ReturnType<typeof mix>>
let heldOut: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-distill-flow-"))
  server = serving([])
  // A few hundred messages of the training split, a third of them spam.
  mail = await mix("train", { ham: 200, spam: 100 })
  await writeJsonl(
    join(dir, "mail.jsonl"),
    mail.map((m) => ({ id: m.id, text: m.text, label: m.label })),
  )
  // Held out: the validation split, which neither this student nor the committed one trains on.
  heldOut = join(dir, "held-out.jsonl")
  await writeJsonl(
    heldOut,
    (await messages("validation")).map((m) => ({ text: m.text, label: m.label })),
  )
  await server.url
}, 60_000)

afterAll(async () => {
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** Runs `edgeline distill …` in the test's directory. */
const distill = (...args: Array<string>) => edgeline(["distill", ...args], { cwd: dir })

describe("label → export-jsonl → train → eval → report", () => {
  it("distils a student from the teacher's soft labels that classifies held-out mail", async () => {
    const labelled = await distill(
      "label",
      "--data",
      "mail.jsonl",
      "--cloud",
      `${await server.url}/v1`,
      "--model",
      "message-triage-teacher",
      "--cache",
      "labels.jsonl",
      "--concurrency",
      "8",
    )
    expect(labelled.code, labelled.stderr).toBe(0)
    expect(labelled.stdout).toContain(`labelled ${mail.length}, cached 0, failed 0`)

    // export-jsonl: the labelled set, and its split by position.
    const exported = await distill(
      "export-jsonl",
      "--data",
      "mail.jsonl",
      "--cache",
      "labels.jsonl",
      "--out",
      "labelled.jsonl",
      "--validation-share",
      "0.2",
      "--json",
    )
    expect(exported.code, exported.stderr).toBe(0)
    expect(JSON.parse(exported.stdout)).toEqual({
      data: "mail.jsonl",
      cache: "labels.jsonl",
      out: "labelled.jsonl",
      written: mail.length,
      unlabelled: 0,
      changed: 0,
      train: { path: "labelled-train.jsonl", lines: mail.length * 0.8 },
      validation: { path: "labelled-validation.jsonl", lines: mail.length * 0.2 },
    })
    const set = jsonl(await readFile(join(dir, "labelled.jsonl"), "utf8"))
    expect(set.map((row) => row.text)).toEqual(mail.map((m) => m.text))
    for (const [k, row] of set.entries()) {
      expect(Object.keys(row).sort()).toEqual(["id", "label", "soft_labels", "teacher", "text"])
      expect(row.id).toBe(mail[k]!.id)
      expect(row.label).toBe(mail[k]!.label)
      expect(Object.keys(row.soft_labels)).toEqual(["ham", "spam"])
      expect(row.soft_labels.ham + row.soft_labels.spam).toBeCloseTo(1, 6)
      expect(row.teacher).toMatch(/^openai:message-triage-teacher#/)
    }
    const train = jsonl(await readFile(join(dir, "labelled-train.jsonl"), "utf8"))
    const validation = jsonl(await readFile(join(dir, "labelled-validation.jsonl"), "utf8"))
    // Every fifth line is validation; together they are the set, in order.
    expect(validation).toEqual(set.filter((_, k) => k % 5 === 4))
    expect(train).toEqual(set.filter((_, k) => k % 5 !== 4))

    const trained = await distill(
      "train",
      "--data",
      "labelled-train.jsonl",
      "--validation",
      "labelled-validation.jsonl",
      "--out",
      "student",
      "--json",
    )
    expect(trained.code, trained.stderr).toBe(0)
    const summary = JSON.parse(trained.stdout)
    expect(summary).toMatchObject({
      out: "student",
      files: {
        model: join("student", "model.onnx"),
        json: join("student", "report.json"),
        html: join("student", "report.html"),
      },
      labels: ["ham", "spam"],
      train: mail.length * 0.8,
      validation: mail.length * 0.2,
      parameters: 32_770,
    })
    expect(summary.accuracy).toBeGreaterThan(0.9)
    expect(summary.agreement).toBeGreaterThan(0.9)
    expect(summary.threshold).toBeGreaterThan(0.5)
    const model = await readFile(join(dir, "student", "model.onnx"))
    expect(model.byteLength).toBe(summary.bytes)
    const html = await readFile(join(dir, "student", "report.html"), "utf8")
    expect(html).toContain("<svg")
    expect(JSON.parse(await readFile(join(dir, "student", "report.json"), "utf8")).format).toBe(
      "edgeline.distill.evaluation/1",
    )
    // Nothing else is left in the directory (the staging directory is gone).
    expect((await readdir(join(dir, "student"))).sort()).toEqual([
      "model.onnx",
      "report.html",
      "report.json",
    ])

    const evaluated = await distill("eval", "--model", "student", "--data", heldOut, "--json")
    expect(evaluated.code, evaluated.stderr).toBe(0)
    const result = JSON.parse(evaluated.stdout)
    expect(result.model).toBe(join("student", "model.onnx"))
    expect(result.items).toBe((await messages("validation")).length)
    expect(result.accuracy).toBeGreaterThan(0.9)

    const reported = await distill(
      "report",
      "--model",
      "student/model.onnx",
      "--data",
      "labelled-validation.jsonl",
      "--out",
      "evaluation",
    )
    expect(reported.code, reported.stderr).toBe(0)
    expect(reported.stdout).toContain("report: evaluation/report.html and evaluation/report.json")
    const report = JSON.parse(await readFile(join(dir, "evaluation", "report.json"), "utf8"))
    // The validation set carries the teacher's soft labels: agreement and the escalation curve.
    const n = mail.length * 0.2
    expect(report.counts).toEqual({ items: n, withTruth: n, withTeacher: n })
    expect(report.agreement).toBeGreaterThan(0.85)
    expect(report.escalation.curve.length).toBeGreaterThan(1)
    expect(report.extras.student.name).toBe("message-triage-student")
    const page = await readFile(join(dir, "evaluation", "report.html"), "utf8")
    expect(page).toContain("<svg")
    expect(page).not.toMatch(/<script/i)
  }, 180_000)

  it("train: the same data and seed give the same model byte for byte; --seed and --epochs change it", async () => {
    await stat(join(dir, "student", "model.onnx")) // made by the test above
    const again = async (out: string, ...args: Array<string>) => {
      const run = await distill(
        "train",
        "--data",
        "labelled-train.jsonl",
        "--validation",
        "labelled-validation.jsonl",
        "--out",
        out,
        ...args,
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(
        /^trained on 240 messages, validated on 60, in \d+\.\d s\naccuracy: \d+\.\d\d %/,
      )
      expect(run.stdout).toContain(`model: ${join(out, "model.onnx")} (`)
      return readFile(join(dir, out, "model.onnx"))
    }
    const first = await readFile(join(dir, "student", "model.onnx"))
    expect(Buffer.compare(await again("same"), first)).toBe(0)
    expect(Buffer.compare(await again("seed-7", "--seed", "7", "--epochs", "3"), first)).not.toBe(0)
  }, 120_000)
})
