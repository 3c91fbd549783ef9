/** A report of realistic size: 10,000 messages evaluated and rendered, as `distill` will. */
import { describe, expect, it } from "vitest"
import { Evaluation, Report } from "../src/index.js"
import { labels, realistic } from "./items.js"

describe("a report on 10,000 messages", () => {
  it("evaluates and renders, with the curve sampled to at most 200 points", async () => {
    const report = Evaluation.evaluate({ labels, items: realistic(10_000, 42) })
    expect(report.counts.items).toBe(10_000)
    expect(report.escalation!.thresholds).toBeGreaterThan(5_000)
    expect(report.escalation!.curve.length).toBeLessThanOrEqual(Evaluation.MAX_CURVE_POINTS)

    const html = await Report.html(report, { student: { bytes: 48_213, msPerItem: 0.08 } })
    expect(html.match(/<svg\b/g)).toHaveLength(4)
    // The page carries the sampled curve, not every item: it stays small enough to attach anywhere.
    expect(html.length).toBeLessThan(500_000)
    const json = Report.json(report)
    expect(json.length).toBeLessThan(100_000)
    expect(JSON.parse(json)).toEqual(report)
  })
})
