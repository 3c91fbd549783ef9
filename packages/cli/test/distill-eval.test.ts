/**
 * `edgeline distill eval` and `report` on the committed student
 * (`@edgeline/model-message-triage`, the default model) and real mail it
 * was not trained on: the validation split of the SpamAssassin `-1` subsets.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { edgeline } from "./support/edgeline.js"
import { messages, writeJsonl } from "./support/mail.js"

let dir: string
let data: string
let count: number
/** The committed student's file, as the CLI resolves it. */
const committed = createRequire(import.meta.url).resolve(
  "@edgeline/model-message-triage/model.onnx",
)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-distill-eval-"))
  const validation = await messages("validation")
  count = validation.length
  data = join(dir, "held-out.jsonl")
  // The raw message and its label, as the issue describes the file; no ids.
  await writeJsonl(
    data,
    validation.map((m) => ({ text: m.text, label: m.label })),
  )
}, 60_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe("edgeline distill eval", () => {
  it("--json: the committed student's accuracy on a few hundred real messages is above 0.9", async () => {
    const { code, stdout, stderr } = await edgeline(["distill", "eval", "--data", data, "--json"])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const result = JSON.parse(stdout)
    expect(count).toBeGreaterThan(300)
    expect(result.items).toBe(count)
    expect(result.accuracy).toBeGreaterThan(0.9)
    expect(result.correct).toBe(Math.round(result.accuracy * count))
    expect(result).toMatchObject({
      model: committed,
      name: "message-triage-student",
      labels: ["ham", "spam"],
      positive: "spam",
      agreement: null,
    })
    expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(count)
    expect(result.threshold).toBeGreaterThan(0.5)
    expect(result.escalatedAtThreshold).toBeLessThan(0.2)
  })

  it("prints a readable summary; --model takes the model's directory or its file", async () => {
    const text = await edgeline(["distill", "eval", "--model", dirname(committed), "--data", data])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`model: ${committed} (message-triage-student)`)
    expect(text.stdout).toContain(`data: ${data} (${count} messages)`)
    expect(text.stdout).toMatch(/^accuracy: 9\d\.\d\d % \(\d+ of \d+\)$/m)
    expect(text.stdout).toMatch(/^spam: precision \d+\.\d\d %, recall \d+\.\d\d %, F1 0\.\d{4}$/m)
    expect(text.stdout).toContain("confusion (rows: truth, columns: model):")
    const file = JSON.parse(
      (await edgeline(["distill", "eval", "--model", committed, "--data", data, "--json"])).stdout,
    )
    const byDefault = JSON.parse(
      (await edgeline(["distill", "eval", "--data", data, "--json"])).stdout,
    )
    expect({ ...file, msPerItem: 0 }).toEqual({ ...byDefault, msPerItem: 0 })
  })

  it("--progress draws a bar on stderr", async () => {
    const { code, stderr } = await edgeline(["distill", "eval", "--data", data, "--progress"])
    expect(code).toBe(0)
    expect(stderr).toContain(`eval [`)
    expect(stderr).toContain(`100% | ${count}/${count}`)
  })
})

describe("edgeline distill report", () => {
  it("writes report.json and a self-contained report.html with SVG plots", async () => {
    const out = join(dir, "report")
    const { code, stdout, stderr } = await edgeline([
      "distill",
      "report",
      "--data",
      data,
      "--out",
      out,
      "--json",
    ])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.files).toEqual({
      json: join(out, "report.json"),
      html: join(out, "report.html"),
    })
    const report = JSON.parse(await readFile(summary.files.json, "utf8"))
    expect(report.format).toBe("edgeline.distill.evaluation/1")
    expect(report.student.accuracy).toBe(summary.accuracy)
    expect(report.counts.items).toBe(count)
    expect(report.extras.title).toBe("Evaluation report: message-triage-student on held-out.jsonl")
    const html = await readFile(summary.files.html, "utf8")
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(2)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/i)
  })

  it("writes to ./report by default", async () => {
    const { code, stdout } = await edgeline(["distill", "report", "--data", data], { cwd: dir })
    expect(code).toBe(0)
    expect(stdout).toMatch(
      /^report: report\/report\.html and report\/report\.json\naccuracy: 9\d\.\d\d % on \d+ messages/,
    )
  })
})
