/**
 * The report's plots, as Vega-Lite specs rendered to SVG by `Plot.svg`.
 */
import type { EvaluationReport } from "../evaluate/Evaluation.js"
import { svg } from "./Plot.js"

const WIDTH = 360
const HEIGHT = 240

const shareAxis = (title: string) => ({ title, format: ".0%" })

export const reliability = (report: EvaluationReport, name: string): Promise<string> => {
  const calibration = report.calibration!
  const bins = calibration.bins.filter((bin) => bin.count > 0)
  return svg(
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
  return svg(
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
  return svg(
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
  return svg(
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
