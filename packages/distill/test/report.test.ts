import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Evaluation, Report, ReportInputError, ReportWriteError } from "../src/index.js"
import { five, labels } from "./items.js"

const report = Evaluation.evaluate({ labels, items: five, bins: 5 })
const extras: Report.Extras = {
  title: "Triage student v3",
  dataset: "SpamAssassin public corpus <held out> & friends",
  student: { name: "triage-mlp", bytes: 48_213, parameters: 12_034, msPerItem: 0.083 },
  teacher: { name: "big-teacher", msPerItem: 850 },
  trainingMs: 73_400,
}

/** Each `<svg …>` opening tag with what follows up to its first child's end. */
const svgs = (html: string) =>
  [...html.matchAll(/<svg\b([^>]*)>(<title id="[^"]+">([^<]*)<\/title>)?/g)].map((m) => ({
    attributes: m[1]!,
    title: m[3],
    label: /aria-label="([^"]*)"/.exec(m[1]!)?.[1],
  }))

/** Every number the page shows: its JSON path, raw value, format and text. */
const shown = (html: string) =>
  [
    ...html.matchAll(
      /<span data-field="([^"]+)" data-value="([^"]+)"(?: data-format="([^"]+)")?>([^<]*)<\/span>/g,
    ),
  ].map((m) => ({ field: m[1]!, value: m[2]!, format: m[3], text: m[4]! }))

const at = (document: unknown, path: string): unknown =>
  path.split(".").reduce<any>((value, key) => value?.[key], document)

/** Reads a shown text back as a number, in the unit the JSON has. */
const readBack = (format: string, text: string): { value: number; within: number } => {
  const n = Number.parseFloat(text.replace(/,/g, ""))
  switch (format) {
    case "percent":
      return { value: n / 100, within: 0.00005 }
    case "decimal":
      return { value: n, within: 0.00005 }
    case "count":
      return { value: n, within: 0 }
    case "ms":
      return { value: n, within: n * 0.005 + 0.005 }
    case "kib":
      return { value: n * 1024, within: 0.05 * 1024 }
    case "duration":
      return { value: text.includes("min") ? Number.NaN : n * 1000, within: 50 }
    default:
      throw new Error(`unknown format ${format}`)
  }
}

describe("Report.html", () => {
  it("has a title, headings, and one named SVG image per plot", async () => {
    const html = await Report.html(report, extras)
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    expect(html).toContain("<title>Triage student v3</title>")
    expect(html).toContain("<h1>Triage student v3</h1>")
    for (const heading of ["Headline", "Plots", "Numbers"])
      expect(html).toContain(`>${heading}</h2>`)
    const plots = svgs(html)
    expect(plots.map((p) => p.label?.split(":")[0])).toEqual([
      "Reliability diagram",
      "Escalation curve",
      "Confusion matrix",
      "Confidence histogram",
    ])
    for (const plot of plots) {
      expect(plot.attributes).toContain('role="img"')
      expect(plot.title).toBe(plot.label)
    }
    expect(plots[0]!.label).toContain("ECE 19.00%")
    expect(plots[1]!.label).toContain("the chosen threshold 0.7500 escalates 40.00%")
    expect(plots[2]!.label).toContain("3 of 5 items on the diagonal")
  })

  it("fetches nothing: no URL, script, stylesheet link, image or font", async () => {
    const html = await Report.html(report, extras)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(|@font-face/i)
    expect(html).not.toMatch(/\b(src|href)=/i)
  })

  it("shows each number as it is in the JSON", async () => {
    const html = await Report.html(report, extras)
    const document = JSON.parse(Report.json(report, extras))
    const numbers = shown(html)
    const fields = new Set(numbers.map((n) => n.field))
    for (const field of [
      "student.accuracy",
      "teacher.accuracy",
      "agreement",
      "calibration.ece",
      "escalation.chosen.threshold",
      "escalation.chosen.escalated",
      "escalation.chosen.accuracy",
      "confusion.truth.positive.f1",
      "confusion.truth.matrix.0.1",
      "extras.student.bytes",
      "extras.student.parameters",
      "extras.student.msPerItem",
      "extras.teacher.msPerItem",
      "extras.trainingMs",
    ]) {
      expect(fields, field).toContain(field)
    }
    for (const n of numbers) {
      const value = at(document, n.field)
      if (n.value === "null") {
        expect(value, n.field).toBeNull()
        expect(n.text).toBe("—")
        continue
      }
      expect(Number(n.value), n.field).toBe(value)
      const back = readBack(n.format!, n.text)
      if (Number.isNaN(back.value)) continue
      expect(Math.abs(back.value - (value as number)), `${n.field}: ${n.text}`).toBeLessThanOrEqual(
        back.within,
      )
    }
    expect(html).toContain(
      'data-field="student.accuracy" data-value="0.6" data-format="percent">60.00%<',
    )
    expect(html).toContain(
      'data-field="extras.trainingMs" data-value="73400" data-format="duration">1 min 13 s<',
    )
  })

  it("escapes what it is given", async () => {
    const odd = Evaluation.evaluate({
      labels: ["ham & eggs", "<spam>"],
      items: [{ truth: "<spam>", teacher: [0.2, 0.8], student: [0.3, 0.7] }],
    })
    const html = await Report.html(odd, { dataset: '<script>alert("x")</script>' })
    expect(html).not.toContain("<script")
    expect(html).not.toContain("<spam>")
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    expect(html).toContain("ham &amp; eggs")
    expect(svgs(html)).toHaveLength(4)
  })

  it("without a teacher: three plots, and says why the curve is missing", async () => {
    const html = await Report.html(
      Evaluation.evaluate({
        labels,
        items: five.map(({ truth, student }) => ({ truth, student })),
      }),
    )
    expect(svgs(html).map((p) => p.label?.split(":")[0])).toEqual([
      "Reliability diagram",
      "Confusion matrix",
      "Confidence histogram",
    ])
    expect(html).toContain("No teacher probabilities were given")
    expect(html).toContain("<title>Distillation report</title>")
  })

  it("rejects what is not an evaluation report, and extras that are not numbers", async () => {
    await expect(Report.html({ format: "other" } as never)).rejects.toBeInstanceOf(ReportInputError)
    await expect(Report.html(null as never)).rejects.toThrow(/not an evaluation report/)
    await expect(Report.html(report, { student: { bytes: -1 } })).rejects.toThrow(
      "extras.student.bytes must be a non-negative number, got -1",
    )
    await expect(
      Report.html(report, { teacher: { msPerItem: Number.NaN } }),
    ).rejects.toBeInstanceOf(ReportInputError)
    await expect(Report.html(report, { title: 3 as never })).rejects.toThrow(
      /extras\.title must be a string/,
    )
  })

  it("htmlEffect fails with the typed error", async () => {
    const error = await Effect.runPromise(
      Effect.flip(Report.htmlEffect(report, { trainingMs: -5 })),
    )
    expect(error._tag).toBe("ReportInputError")
  })
})

describe("Report.json", () => {
  it("is pretty, keys sorted, with a final newline and extras under their own key", () => {
    const text = Report.json(report, extras)
    expect(text.endsWith("}\n")).toBe(true)
    const document = JSON.parse(text)
    expect(Object.keys(document)).toEqual([...Object.keys(document)].sort())
    expect(Object.keys(document.escalation.chosen)).toEqual(
      [...Object.keys(document.escalation.chosen)].sort(),
    )
    expect(document.extras).toEqual(extras)
    const { extras: _, ...rest } = document
    expect(rest).toEqual(report)
    expect(text).toContain('\n  "agreement": 0.8,\n')
  })

  it("is the same text however the report's keys were ordered", () => {
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value
    expect(Report.json(reversed(report) as Evaluation.EvaluationReport)).toBe(Report.json(report))
    expect(JSON.parse(Report.json(report))).toEqual(report)
  })
})

describe("Report.write", () => {
  it("writes report.json and report.html, making the directory", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "distill-report-")), "nested", "out")
    const written = await Report.write(dir, report, extras)
    expect(written).toEqual({ json: join(dir, "report.json"), html: join(dir, "report.html") })
    expect(await readFile(written.json, "utf8")).toBe(Report.json(report, extras))
    const html = await readFile(written.html, "utf8")
    expect(svgs(html)).toHaveLength(4)
    expect(html).toContain("Triage student v3")
  })

  it("fails with ReportWriteError naming the path it could not write", async () => {
    const base = await mkdtemp(join(tmpdir(), "distill-report-"))
    const file = join(base, "a-file")
    await writeFile(file, "not a directory")
    const error = await Report.write(join(file, "out"), report).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReportWriteError)
    expect((error as ReportWriteError).path).toBe(join(file, "out"))
    expect((error as ReportWriteError).message).toMatch(/^cannot write .*a-file\/out: /)

    const failed = await Effect.runPromise(
      Effect.flip(Report.writeEffect(join(file, "out"), report)),
    )
    expect(failed._tag).toBe("ReportWriteError")
  })
})
