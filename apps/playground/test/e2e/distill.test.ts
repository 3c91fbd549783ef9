/**
 * The Distill panel: the latest distillation report's headline numbers (as
 * in the report.json the server serves), its plots as named SVG images,
 * the flywheel's rounds as a chart with a table whose escalation rate
 * falls; a report the user writes into the data directory wins over the
 * shipped one, and a newer file that is not a report is skipped with a
 * note. axe, phone width, screenshots, no console errors.
 */
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Evaluation, Report } from "@edgeline/distill"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"

const shippedReportPath = createRequire(import.meta.url).resolve(
  "@edgeline/model-message-triage/report.json",
)
const committedFlywheelPath = fileURLToPath(new URL("../../data/flywheel.json", import.meta.url))

// As the report page writes numbers (distill's report/format.ts).
const percent = (x: number) => `${(x * 100).toFixed(2)}%`

const panel = (page: Page) => page.getByRole("region", { name: "Distill" })

/** The headline numbers shown, label → text. */
const headline = (page: Page) =>
  panel(page)
    .getByRole("definition")
    .evaluateAll((dds) =>
      Object.fromEntries(
        dds.map((dd) => [
          dd.previousElementSibling?.textContent?.trim() ?? "",
          dd.textContent ?? "",
        ]),
      ),
    )

/** Every SVG image in the panel: its accessible name (aria-label) and its <title>. */
const images = (page: Page) =>
  panel(page)
    .locator('svg[role="img"]')
    .evaluateAll((svgs) =>
      svgs.map((svg) => ({
        label: svg.getAttribute("aria-label") ?? "",
        title: svg.querySelector(":scope > title")?.textContent ?? "",
        width: svg.getBoundingClientRect().width,
        marks: svg.querySelectorAll("path, line, rect").length,
      })),
    )

const served = (page: Page, path: string) =>
  page.evaluate(async (p) => (await fetch(p)).json(), path) as Promise<any>

describe("the Distill panel", () => {
  let session: Session.Session
  beforeAll(async () => {
    session = await Session.open()
  })
  afterAll(() => session?.close())

  it("shows the latest report's headline numbers as in the report.json served", async () => {
    const page = await Session.load(session, "#distill")
    await panel(page).getByRole("definition").first().waitFor()
    const answer = await served(page, "/api/distill/report")
    // With an empty data directory, the latest is the shipped student's report, as written.
    expect(answer.source.kind).toBe("shipped")
    const file = JSON.parse(await readFile(shippedReportPath, "utf8"))
    expect(answer.report).toEqual(file)

    const shown = await headline(page)
    const chosen = file.escalation.chosen
    const expected: Record<string, string> = {
      "Student accuracy": percent(file.student.accuracy),
      "Teacher accuracy": percent(file.teacher.accuracy),
      "Agreement with the teacher": percent(file.agreement),
      "Calibration error (ECE)": percent(file.calibration.ece),
      "Escalation threshold": chosen.threshold.toFixed(4),
      "Escalated at the threshold": percent(chosen.escalated),
      "Student model size": `${(file.extras.student.bytes / 1024).toFixed(1)} KiB`,
      "Student latency per message": `${file.extras.student.msPerItem.toPrecision(3)} ms`,
    }
    for (const [label, value] of Object.entries(expected)) {
      expect(shown[label], label).toBeDefined()
      expect(
        shown[label]!.startsWith(value),
        `${label}: ${shown[label]} starts with ${value}`,
      ).toBe(true)
    }
    expect(shown["Escalated at the threshold"]).toContain(
      `cascade ${percent(chosen.accuracy)} accuracy`,
    )
    await expect(
      panel(page).getByRole("heading", { name: file.extras.title, level: 3 }).count(),
    ).resolves.toBe(1)
  })

  it("draws the report's plots as SVG images named by their titles", async () => {
    const page = await Session.load(session, "#distill")
    await panel(page).getByRole("heading", { name: "Escalation curve" }).waitFor()
    const plots = (await images(page)).filter((p) => !p.label.startsWith("Flywheel"))
    expect(plots.map((p) => p.label.split(":")[0])).toEqual([
      "Reliability diagram",
      "Escalation curve",
      "Confusion matrix",
      "Confidence histogram",
    ])
    for (const plot of plots) {
      expect(plot.title).toBe(plot.label)
      expect(plot.width).toBeGreaterThan(200)
      expect(plot.marks).toBeGreaterThan(10)
    }
    // Each image is reachable by its name, and the figure by its heading.
    await expect(
      panel(page)
        .getByRole("img", { name: /^Reliability diagram: .*ECE/ })
        .count(),
    ).resolves.toBe(1)
    await expect(
      panel(page).getByRole("figure", { name: "Confusion matrix" }).count(),
    ).resolves.toBe(1)
    // The whole page beside the JSON opens from the panel.
    const link = panel(page).getByRole("link", { name: /Open the whole report page/ })
    const status = await page.evaluate(
      async (href) => (await fetch(href)).status,
      (await link.getAttribute("href"))!,
    )
    expect(status).toBe(200)
    await panel(page).locator("details summary").first().click()
    await panel(page).getByRole("table", { name: "Reliability bins" }).waitFor()
    await panel(page).screenshot({ path: join(Session.ARTIFACTS, "distill-report.png") })
  })

  it("charts the flywheel's rounds, and its table shows the escalation rate falling", async () => {
    const page = await Session.load(session, "#distill")
    const table = panel(page).getByRole("table", { name: "The flywheel's rounds" })
    await table.waitFor()
    const committed = JSON.parse(await readFile(committedFlywheelPath, "utf8"))
    const answer = await served(page, "/api/distill/flywheel")
    expect(answer.source.kind).toBe("shipped")
    expect(answer.run).toEqual(committed)

    const chart = (await images(page)).find((p) => p.label.startsWith("Flywheel rounds"))
    expect(chart).toBeDefined()
    expect(chart!.title).toBe(chart!.label)
    expect(chart!.marks).toBeGreaterThan(10)
    expect(chart!.label).toContain("falling every round")

    const rows = await table
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll("th, td")].map((c) => c.textContent ?? "")),
      )
    expect(rows.length).toBe(committed.rounds.length)
    expect(rows.length).toBeGreaterThanOrEqual(2)
    const rates = rows.map((r) => Number.parseFloat(r[3]!))
    const tokens = rows.map((r) => Number(r[4]!.replace(/,/g, "")))
    expect(rates).toEqual(
      committed.rounds.map((r: any) => Number((r.escalationRate * 100).toFixed(1))),
    )
    expect(tokens).toEqual(committed.rounds.map((r: any) => r.tokensSent))
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThan(rates[i - 1]!)
    await expect(panel(page).getByText("fell every round").count()).resolves.toBe(1)
    await panel(page)
      .locator(".distill-flywheel")
      .screenshot({ path: join(Session.ARTIFACTS, "distill-flywheel.png") })
  })

  it("shows the newest report the user wrote into the data directory, naming a newer file it skipped", async () => {
    const data = dirname(session.playground.registry.directory)
    const items: Array<Evaluation.Item> = [
      { truth: "spam", teacher: [0.1, 0.9], student: [0.2, 0.8] },
      { truth: "ham", teacher: [0.8, 0.2], student: [0.6, 0.4] },
      { truth: "spam", teacher: [0.3, 0.7], student: [0.7, 0.3] },
      { truth: "ham", teacher: [0.9, 0.1], student: [0.95, 0.05] },
    ]
    const mine = Evaluation.evaluate({ labels: ["ham", "spam"], items, bins: 5 })
    await Report.write(join(data, "distill", "mine"), mine, { title: "My own student" })
    // A newer file that is not a report: skipped, with why.
    await mkdir(join(data, "distill", "broken"), { recursive: true })
    await writeFile(join(data, "distill", "broken", "report.json"), "{ half a report")
    const later = new Date(Date.now() + 60_000)
    await utimes(join(data, "distill", "broken", "report.json"), later, later)
    await mkdir(join(data, "flywheel"), { recursive: true })
    await writeFile(join(data, "flywheel", "empty.json"), '{ "rounds": [] }')
    // Rounds without the fields the table shows: skipped too, never rendered half.
    await writeFile(
      join(data, "flywheel", "half.json"),
      JSON.stringify({ rounds: [{ round: 1, escalationRate: 0.5, tokensSent: 10 }] }),
    )

    const page = await Session.load(session, "#distill")
    // What a user does after writing a report: Reload (the page stays as it is).
    await panel(page).getByRole("button", { name: "Reload" }).click()
    await panel(page).getByRole("heading", { name: "My own student" }).waitFor()
    const shown = await headline(page)
    expect(shown["Student accuracy"]).toBe(percent(mine.student.accuracy!))
    expect(shown["Calibration error (ECE)"]!.startsWith(percent(mine.calibration!.ece))).toBe(true)
    // No extras: no size or latency is made up.
    expect(shown["Student model size"]).toBeUndefined()
    await expect(panel(page).getByText("<data>/distill/mine/report.json").count()).resolves.toBe(1)
    await expect(
      panel(page)
        .getByText(/not JSON/)
        .count(),
    ).resolves.toBe(1)
    // The flywheel falls back to the committed run, and says why it skipped the user's files.
    await expect(
      panel(page)
        .getByText(/not a flywheel run/)
        .count(),
    ).resolves.toBe(2)
    await panel(page).getByRole("table", { name: "The flywheel's rounds" }).waitFor()
    await session.screenshot("distill-user-report")
  })

  it("has no serious accessibility violations (axe-core)", async () => {
    const page = await Session.load(session, "#distill")
    await panel(page).getByRole("table", { name: "The flywheel's rounds" }).waitFor()
    await panel(page).locator("details summary").first().click()
    expect(await seriousViolations(page)).toEqual([])
  })

  it("reads at phone width without sideways scrolling", async () => {
    await session.page.setViewportSize({ width: 390, height: 844 })
    const page = await Session.load(session, "#distill")
    await panel(page).getByRole("table", { name: "The flywheel's rounds" }).waitFor()
    await expectReadable(page)
    const widths = (await images(page)).map((p) => p.width)
    for (const width of widths) expect(width).toBeLessThanOrEqual(390)
    await panel(page).screenshot({ path: join(Session.ARTIFACTS, "distill-phone.png") })
    await session.page.setViewportSize({ width: 1280, height: 800 })
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})
