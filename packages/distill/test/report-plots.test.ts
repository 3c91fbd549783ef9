import { describe, expect, it } from "vitest"
import { Evaluation, Plot, Report, ReportInputError } from "../src/index.js"
import { five, labels } from "./items.js"

const report = Evaluation.evaluate({ labels, items: five, bins: 5 })

describe("Report.plots", () => {
  it("gives the page's plots on their own: heading, description as the SVG's name, numbers", async () => {
    const plots = await Report.plots(report)
    expect(plots.map((p) => p.id)).toEqual(["reliability", "escalation", "confusion", "histogram"])
    const html = await Report.html(report)
    for (const plot of plots) {
      expect(plot.svg).toMatch(/^<svg\b[^>]* role="img"/)
      expect(plot.svg).toContain(`<title id="`)
      expect(plot.description).toMatch(new RegExp(`^${plot.heading}:`))
      expect(plot.data).toContain("<table>")
      // The page shows the same heading and description.
      expect(html).toContain(`<h3 id="${plot.id}-heading">${plot.heading}</h3>`)
    }
  })

  it("says why a plot is missing, with no SVG", async () => {
    const plots = await Report.plots(
      Evaluation.evaluate({
        labels,
        items: five.map(({ truth, student }) => ({ truth, student })),
      }),
    )
    const curve = plots.find((p) => p.id === "escalation")!
    expect(curve.svg).toBeUndefined()
    expect(curve.description).toContain("No teacher probabilities were given")
  })

  it("rejects what is not an evaluation report", async () => {
    await expect(Report.plots({ format: "nope" } as never)).rejects.toBeInstanceOf(ReportInputError)
  })
})

describe("Plot.svg", () => {
  it("renders a Vega-Lite spec as an SVG image named by its title, scalable, with no namespace URL", async () => {
    const svg = await Plot.svg(
      {
        width: 200,
        height: 100,
        data: {
          values: [
            { round: 1, rate: 0.5 },
            { round: 2, rate: 0.1 },
          ],
        },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "round", type: "ordinal" },
          y: { field: "rate", type: "quantitative", axis: { title: "Escalated", format: ".0%" } },
        },
      },
      `Escalation by round: 50% then 10% <falling> & "good"`,
    )
    const name = "Escalation by round: 50% then 10% &lt;falling&gt; &amp; &quot;good&quot;"
    expect(svg).toMatch(
      new RegExp(
        `^<svg\\b[^>]* viewBox="0 0 \\d+ \\d+" role="img" aria-label="${name}" aria-labelledby="(plot-title-\\d+)"><title id="\\1">${name}</title>`,
      ),
    )
    expect(svg).toContain(">Escalated</text>")
    expect(svg).toContain(">0%</text>")
    expect(svg).not.toContain("http")
    // One image: no unnamed inner roles (Vega's "graphics-symbol" mark containers) for a checker to flag.
    expect([...svg.matchAll(/ role="([^"]+)"/g)].map((m) => m[1])).toEqual(["img"])
  })
})
