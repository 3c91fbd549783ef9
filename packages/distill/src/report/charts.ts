/**
 * The report's plots, as Vega-Lite specs rendered to SVG strings by Vega's
 * headless view (no DOM, no canvas: text widths are estimated).
 *
 * Why Vega-Lite rather than hand-written SVG: axes, ticks, scales and
 * legends are its job, and well done. It costs about 25 MB installed (79
 * packages, all Vega's own or d3's), about 0.5 s to import and tens of
 * milliseconds per plot; it is imported when the first page is made, so
 * `evaluate` and the rest of the package never load it.
 */
import type { TopLevelSpec } from "vega-lite"
import type { EvaluationReport } from "../evaluate/Evaluation.js"
import { escapeHtml } from "./format.js"

const WIDTH = 360
const HEIGHT = 240

/** Fonts the reader's machine has: the page must not fetch any. */
const config = {
  font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
  // The SVG as a whole is one image with a name (role="img"); the marks' own ARIA would only repeat it.
  aria: false,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e5e7eb" },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: "bottom", labelLimit: 320 },
  view: { stroke: "#d1d5db" },
} as const

type Engines = readonly [typeof import("vega"), typeof import("vega-lite")]
let engines: Promise<Engines> | undefined
const load = (): Promise<Engines> => {
  engines ??= Promise.all([import("vega"), import("vega-lite")])
  return engines
}

let ids = 0

/** Renders a spec and gives the SVG a role, an accessible name and a `<title>`. */
const render = async (spec: TopLevelSpec, name: string): Promise<string> => {
  const [vega, vegaLite] = await load()
  const compiled = vegaLite.compile({ ...spec, config } as TopLevelSpec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error })
  try {
    const svg = await view.toSVG()
    const id = `plot-title-${++ids}`
    const label = escapeHtml(name)
    // Inline in HTML an SVG needs no namespace declarations; without them the
    // page holds no URL at all, which makes "fetches nothing" easy to check.
    return svg.replace(/^<svg\b([^>]*)>/, (_, attributes: string) => {
      const kept = attributes.replace(/\s+xmlns(:\w+)?="[^"]*"/g, "")
      return `<svg${kept} role="img" aria-label="${label}" aria-labelledby="${id}"><title id="${id}">${label}</title>`
    })
  } finally {
    view.finalize()
  }
}

const shareAxis = (title: string) => ({ title, format: ".0%" })

export const reliability = (report: EvaluationReport, name: string): Promise<string> => {
  const calibration = report.calibration!
  const bins = calibration.bins.filter((bin) => bin.count > 0)
  return render(
    {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values: bins.map((b) => ({ ...b })) },
          mark: { type: "rect", color: "#3b82f6", opacity: 0.8, stroke: "white" },
          encoding: {
            x: {
              field: "lower",
              type: "quantitative",
              scale: { domain: [0, 1] },
              axis: { title: "Confidence (largest probability)", format: ".1f" },
            },
            x2: { field: "upper" },
            y: {
              field: "accuracy",
              type: "quantitative",
              scale: { domain: [0, 1] },
              axis: shareAxis(`Accuracy against the ${calibration.reference}`),
            },
            y2: { datum: 0 },
          },
        },
        {
          data: {
            values: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
          },
          mark: { type: "line", color: "#6b7280", strokeDash: [4, 4] },
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
          },
        },
        {
          data: { values: bins.map((b) => ({ ...b })) },
          mark: { type: "point", filled: true, color: "#1e3a8a", size: 30 },
          encoding: {
            x: { field: "meanConfidence", type: "quantitative" },
            y: { field: "accuracy", type: "quantitative" },
          },
        },
      ],
    },
    name,
  )
}

export const escalation = (report: EvaluationReport, name: string): Promise<string> => {
  const escalation = report.escalation!
  const chosen = escalation.chosen
  const series = escalation.curve.flatMap((p) => [
    ...(p.accuracy === null
      ? []
      : [{ escalated: p.escalated, value: p.accuracy, series: "Cascade accuracy" }]),
    { escalated: p.escalated, value: p.agreement, series: "Agreement with the teacher" },
  ])
  const chosenValue = chosen.target.metric === "accuracy" ? chosen.accuracy! : chosen.agreement
  return render(
    {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values: series },
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            x: {
              field: "escalated",
              type: "quantitative",
              scale: { domain: [0, 1] },
              axis: shareAxis("Share escalated to the teacher"),
            },
            y: {
              field: "value",
              type: "quantitative",
              scale: { zero: false },
              // The legend names the two lines; one decimal, as the lines often sit within a few points.
              axis: { title: null, format: ".1%" },
            },
            color: {
              field: "series",
              type: "nominal",
              title: null,
              scale: {
                domain: ["Cascade accuracy", "Agreement with the teacher"],
                range: ["#2563eb", "#f59e0b"],
              },
            },
          },
        },
        // The target: the accuracy to reach, or the escalation budget.
        chosen.target.kind === "cascadeAccuracy"
          ? {
              data: { values: [{}] },
              mark: { type: "rule", color: "#6b7280", strokeDash: [2, 4] },
              encoding: { y: { datum: chosen.target.value, type: "quantitative" } },
            }
          : {
              data: { values: [{}] },
              mark: { type: "rule", color: "#6b7280", strokeDash: [2, 4] },
              encoding: { x: { datum: chosen.target.value, type: "quantitative" } },
            },
        {
          data: { values: [{ escalated: chosen.escalated, value: chosenValue }] },
          layer: [
            {
              mark: { type: "rule", color: "#dc2626", strokeDash: [3, 3] },
              encoding: { x: { field: "escalated", type: "quantitative" } },
            },
            {
              mark: { type: "point", filled: true, color: "#dc2626", size: 80 },
              encoding: {
                x: { field: "escalated", type: "quantitative" },
                y: { field: "value", type: "quantitative" },
              },
            },
            {
              mark: { type: "text", align: "left", dx: 6, dy: 12, color: "#dc2626" },
              encoding: {
                x: { field: "escalated", type: "quantitative" },
                y: { field: "value", type: "quantitative" },
                text: { value: `threshold ${chosen.threshold.toFixed(3)}` },
              },
            },
          ],
        },
      ],
    },
    name,
  )
}

export const confusion = (
  report: EvaluationReport,
  reference: "truth" | "teacher",
  name: string,
): Promise<string> => {
  const matrix = report.confusion[reference]!.matrix
  const labels = report.labels
  const cells = matrix.flatMap((row, r) =>
    row.map((n, s) => ({ reference: labels[r]!, student: labels[s]!, count: n })),
  )
  const max = Math.max(1, ...cells.map((c) => c.count))
  const side = Math.min(WIDTH, 80 * labels.length)
  return render(
    {
      width: side,
      height: side,
      data: { values: cells },
      encoding: {
        x: {
          field: "student",
          type: "nominal",
          sort: [...labels],
          axis: { title: "Student", labelAngle: 0, orient: "top" },
        },
        y: {
          field: "reference",
          type: "nominal",
          sort: [...labels],
          axis: { title: reference === "truth" ? "Truth" : "Teacher" },
        },
      },
      layer: [
        {
          mark: { type: "rect", stroke: "white" },
          encoding: {
            color: {
              field: "count",
              type: "quantitative",
              scale: { scheme: "blues", domain: [0, max] },
              legend: null,
            },
          },
        },
        {
          mark: { type: "text", fontSize: 14 },
          encoding: {
            text: { field: "count", type: "quantitative", format: ",d" },
            color: {
              condition: { test: `datum.count > ${max / 2}`, value: "white" },
              value: "#111827",
            },
          },
        },
      ],
    },
    name,
  )
}

export const histogram = (report: EvaluationReport, name: string): Promise<string> => {
  const h = report.confidenceHistogram
  const bars = h.counts.map((count, i) => ({
    lower: h.edges[i]!,
    upper: h.edges[i + 1]!,
    count,
    fraction: h.fractions[i]!,
  }))
  return render(
    {
      width: WIDTH,
      height: HEIGHT,
      data: { values: bars },
      mark: { type: "rect", color: "#10b981", stroke: "white" },
      encoding: {
        x: {
          field: "lower",
          type: "quantitative",
          scale: { domain: [h.edges[0]!, 1] },
          axis: { title: "Confidence (largest probability)", format: ".2f" },
        },
        x2: { field: "upper" },
        y: { field: "fraction", type: "quantitative", axis: shareAxis("Share of items") },
        y2: { datum: 0 },
      },
    },
    name,
  )
}
