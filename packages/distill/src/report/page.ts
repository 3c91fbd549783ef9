/**
 * The report as one self-contained HTML page: inline CSS and inline SVG,
 * fonts the reader already has, nothing fetched. Every number shown carries
 * its place in the JSON report (`data-field`, `data-value`), so a test (or
 * a reader's script) can tie the page to the data.
 */
import type { EvaluationReport } from "../evaluate/Evaluation.js"
import * as charts from "./charts.js"
import type { Extras } from "./Extras.js"
import * as format from "./format.js"

type Kind = "percent" | "decimal" | "count" | "ms" | "kib" | "duration"

const formatters: Record<Kind, (x: number) => string> = {
  percent: format.percent,
  decimal: format.decimal,
  count: format.count,
  ms: format.ms,
  kib: format.kib,
  duration: format.duration,
}

/** A number with its JSON path; "—" when the report has none. */
const num = (field: string, value: number | null | undefined, kind: Kind): string =>
  value === null || value === undefined
    ? `<span data-field="${field}" data-value="null">—</span>`
    : `<span data-field="${field}" data-value="${value}" data-format="${kind}">${formatters[kind](value)}</span>`

const table = (
  caption: string,
  head: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string =>
  `<table><caption>${format.escapeHtml(caption)}</caption><thead><tr>${head
    .map((h) => `<th scope="col">${format.escapeHtml(h)}</th>`)
    .join("")}</tr></thead><tbody>${rows
    .map(
      ([first, ...rest]) =>
        `<tr><th scope="row">${first}</th>${rest.map((c) => `<td>${c}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table>`

/**
 * One plot of the report: drawn (`svg`, with `description` its accessible
 * name, and `data` its numbers as an HTML table), or not drawable from
 * this report (no `svg`; `description` says why).
 */
export interface Figure {
  readonly id: "reliability" | "escalation" | "confusion" | "histogram"
  readonly heading: string
  readonly description: string
  readonly svg?: string | undefined
  readonly data?: string | undefined
}

const figureHtml = (f: Figure): string =>
  f.svg === undefined
    ? `<figure id="${f.id}"><h3>${format.escapeHtml(f.heading)}</h3><p class="missing">${format.escapeHtml(f.description)}</p></figure>`
    : `<figure id="${f.id}" aria-labelledby="${f.id}-heading">
<h3 id="${f.id}-heading">${format.escapeHtml(f.heading)}</h3>
${f.svg}
<figcaption>${format.escapeHtml(f.description)}</figcaption>
<details><summary>The plot's numbers</summary>${f.data ?? ""}</details>
</figure>`

const card = (title: string, value: string, note = ""): string =>
  `<div class="card"><dt>${format.escapeHtml(title)}</dt><dd>${value}${note === "" ? "" : `<small>${note}</small>`}</dd></div>`

const reliabilityFigure = async (report: EvaluationReport): Promise<Figure> => {
  const c = report.calibration
  if (c === null) {
    return {
      id: "reliability",
      heading: "Reliability diagram",
      description: "No item has a truth or a teacher label: calibration cannot be measured.",
    }
  }
  const name = `Reliability diagram: the student's accuracy against the ${c.reference} by confidence, in ${c.bins.length} equal bins, with the diagonal of perfect calibration; ECE ${format.percent(c.ece)} over ${format.count(c.items)} items.`
  const rows = c.bins.map((b, i) => [
    `${format.decimal(b.lower)}–${format.decimal(b.upper)}`,
    num(`calibration.bins.${i}.count`, b.count, "count"),
    num(`calibration.bins.${i}.meanConfidence`, b.meanConfidence, "decimal"),
    num(`calibration.bins.${i}.accuracy`, b.accuracy, "percent"),
  ])
  const data = table(
    "Reliability bins",
    ["Confidence", "Items", "Mean confidence", "Accuracy"],
    rows,
  )
  return {
    id: "reliability",
    heading: "Reliability diagram",
    description: name,
    svg: await charts.reliability(report, name),
    data: data,
  }
}

const escalationFigure = async (report: EvaluationReport): Promise<Figure> => {
  const e = report.escalation
  if (e === null) {
    return {
      id: "escalation",
      heading: "Escalation curve",
      description: "No teacher probabilities were given: there is no cascade to draw.",
    }
  }
  const chosen = e.chosen
  const scored = chosen.accuracy === null ? "agreement with the teacher" : "accuracy"
  const scoredValue = chosen.accuracy ?? chosen.agreement
  const name = `Escalation curve: the cascade's accuracy and its agreement with the teacher against the share of items escalated, escalating when the student's confidence is below a threshold; the chosen threshold ${format.decimal(chosen.threshold)} escalates ${format.percent(chosen.escalated)} for a cascade ${scored} of ${format.percent(scoredValue)}; a dotted grey line marks the target.`
  const rows = e.curve.map((p, i) => [
    num(`escalation.curve.${i}.threshold`, p.threshold, "decimal"),
    num(`escalation.curve.${i}.escalated`, p.escalated, "percent"),
    num(`escalation.curve.${i}.accuracy`, p.accuracy, "percent"),
    num(`escalation.curve.${i}.agreement`, p.agreement, "percent"),
  ])
  const data = table(
    `${e.curve.length} of ${e.thresholds} thresholds`,
    ["Threshold", "Escalated", "Cascade accuracy", "Agreement with the teacher"],
    rows,
  )
  return {
    id: "escalation",
    heading: "Escalation curve",
    description: name,
    svg: await charts.escalation(report, name),
    data: data,
  }
}

const confusionTable = (report: EvaluationReport, reference: "truth" | "teacher"): string => {
  const c = report.confusion[reference]!
  const rows = c.matrix.map((row, r) => [
    format.escapeHtml(report.labels[r]!),
    ...row.map((n, s) => num(`confusion.${reference}.matrix.${r}.${s}`, n, "count")),
  ])
  const by = reference === "truth" ? "Truth" : "Teacher"
  return table(
    `Student (columns) against the ${reference} (rows)`,
    [`${by} \\ student`, ...report.labels],
    rows,
  )
}

const confusionFigure = async (report: EvaluationReport): Promise<Figure> => {
  const reference =
    report.confusion.truth !== null ? "truth" : report.confusion.teacher !== null ? "teacher" : null
  if (reference === null) {
    return {
      id: "confusion",
      heading: "Confusion matrix",
      description: "No item has a truth or a teacher label.",
    }
  }
  const c = report.confusion[reference]!
  const right = c.matrix.reduce((sum, row, i) => sum + row[i]!, 0)
  const name = `Confusion matrix: the ${reference}'s labels in rows against the student's in columns (${report.labels.join(", ")}); ${format.count(right)} of ${format.count(c.items)} items on the diagonal.`
  return {
    id: "confusion",
    heading: "Confusion matrix",
    description: name,
    svg: await charts.confusion(report, reference, name),
    data: confusionTable(report, reference),
  }
}

const histogramFigure = async (report: EvaluationReport): Promise<Figure> => {
  const h = report.confidenceHistogram
  const name = `Confidence histogram: the share of items by the student's confidence, in ${h.counts.length} equal bins from ${format.decimal(h.edges[0]!)} to 1; the drift reference shipped with the model.`
  const rows = h.counts.map((n, i) => [
    `${format.decimal(h.edges[i]!)}–${format.decimal(h.edges[i + 1]!)}`,
    num(`confidenceHistogram.counts.${i}`, n, "count"),
    num(`confidenceHistogram.fractions.${i}`, h.fractions[i], "percent"),
  ])
  const data = table("Confidence histogram", ["Confidence", "Items", "Share"], rows)
  return {
    id: "histogram",
    heading: "Confidence histogram",
    description: name,
    svg: await charts.histogram(report, name),
    data: data,
  }
}

const positiveRows = (
  report: EvaluationReport,
  reference: "truth" | "teacher",
): ReadonlyArray<ReadonlyArray<string>> => {
  const p = report.confusion[reference]?.positive
  if (p === null || p === undefined) return []
  const at = `confusion.${reference}.positive`
  const against = `“${format.escapeHtml(p.label)}” against the ${reference}`
  return [
    [`Precision, ${against}`, num(`${at}.precision`, p.precision, "percent")],
    [`Recall, ${against}`, num(`${at}.recall`, p.recall, "percent")],
    [`F1, ${against}`, num(`${at}.f1`, p.f1, "percent")],
  ]
}

const numbersTable = (report: EvaluationReport, extras: Extras): string => {
  const e = report.escalation
  const rows: Array<ReadonlyArray<string>> = [
    ["Items", num("counts.items", report.counts.items, "count")],
    ["Items with a truth label", num("counts.withTruth", report.counts.withTruth, "count")],
    [
      "Items with teacher probabilities",
      num("counts.withTeacher", report.counts.withTeacher, "count"),
    ],
    ["Student accuracy", num("student.accuracy", report.student.accuracy, "percent")],
    [
      "Student mean confidence",
      num("student.meanConfidence", report.student.meanConfidence, "decimal"),
    ],
    ["Teacher accuracy", num("teacher.accuracy", report.teacher?.accuracy, "percent")],
    ["Agreement with the teacher", num("agreement", report.agreement, "percent")],
    [
      `Expected calibration error${report.calibration === null ? "" : ` (against the ${report.calibration.reference})`}`,
      num("calibration.ece", report.calibration?.ece, "percent"),
    ],
    ...positiveRows(report, "truth"),
    ...positiveRows(report, "teacher"),
  ]
  if (e !== null) {
    rows.push(
      ["Escalation target", format.escapeHtml(e.chosen.target.description)],
      [
        e.chosen.reached
          ? "Chosen threshold (escalate below)"
          : "Chosen threshold (target not reached: the best one)",
        num("escalation.chosen.threshold", e.chosen.threshold, "decimal"),
      ],
      [
        "Share escalated at the threshold",
        num("escalation.chosen.escalated", e.chosen.escalated, "percent"),
      ],
      [
        "Cascade accuracy at the threshold",
        num("escalation.chosen.accuracy", e.chosen.accuracy, "percent"),
      ],
      [
        "Cascade agreement with the teacher at the threshold",
        num("escalation.chosen.agreement", e.chosen.agreement, "percent"),
      ],
    )
  }
  const s = extras.student
  const t = extras.teacher
  if (s?.bytes !== undefined)
    rows.push(["Student model size", num("extras.student.bytes", s.bytes, "kib")])
  if (s?.parameters !== undefined)
    rows.push(["Student parameters", num("extras.student.parameters", s.parameters, "count")])
  if (s?.msPerItem !== undefined)
    rows.push(["Student latency per message", num("extras.student.msPerItem", s.msPerItem, "ms")])
  if (t?.msPerItem !== undefined)
    rows.push(["Teacher latency per message", num("extras.teacher.msPerItem", t.msPerItem, "ms")])
  if (extras.trainingMs !== undefined)
    rows.push(["Training time", num("extras.trainingMs", extras.trainingMs, "duration")])
  return table("Every headline number", ["Measure", "Value"], rows)
}

const headline = (report: EvaluationReport, extras: Extras): string => {
  const cards = [
    card("Student accuracy", num("student.accuracy", report.student.accuracy, "percent")),
    card("Teacher accuracy", num("teacher.accuracy", report.teacher?.accuracy, "percent")),
    card("Agreement with the teacher", num("agreement", report.agreement, "percent")),
    card("Calibration error (ECE)", num("calibration.ece", report.calibration?.ece, "percent")),
  ]
  const chosen = report.escalation?.chosen
  if (chosen !== undefined) {
    const cascade =
      chosen.accuracy === null
        ? `${num("escalation.chosen.agreement", chosen.agreement, "percent")} agreement`
        : `${num("escalation.chosen.accuracy", chosen.accuracy, "percent")} accuracy`
    cards.push(
      card(
        "Escalate below",
        num("escalation.chosen.threshold", chosen.threshold, "decimal"),
        `${num("escalation.chosen.escalated", chosen.escalated, "percent")} escalated, ${cascade}`,
      ),
    )
  }
  const s = extras.student
  if (s?.bytes !== undefined || s?.parameters !== undefined) {
    const size = s.bytes === undefined ? "—" : num("extras.student.bytes", s.bytes, "kib")
    const parameters =
      s.parameters === undefined
        ? ""
        : `${num("extras.student.parameters", s.parameters, "count")} parameters`
    cards.push(card("Student size", size, parameters))
  }
  const teacherMs = extras.teacher?.msPerItem
  if (s?.msPerItem !== undefined) {
    const note =
      teacherMs === undefined
        ? ""
        : `teacher ${num("extras.teacher.msPerItem", teacherMs, "ms")}${s.msPerItem > 0 ? `, ${Math.round(teacherMs / s.msPerItem).toLocaleString("en-US")}× slower` : ""}`
    cards.push(
      card("Latency per message", num("extras.student.msPerItem", s.msPerItem, "ms"), note),
    )
  }
  if (extras.trainingMs !== undefined) {
    cards.push(card("Training time", num("extras.trainingMs", extras.trainingMs, "duration")))
  }
  return `<dl class="cards">${cards.join("")}</dl>`
}

const style = `
:root { color-scheme: light; --ink: #111827; --muted: #4b5563; --line: #e5e7eb; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem; line-height: 1.45; }
h1 { margin-bottom: 0.25rem; }
header p { color: var(--muted); margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.75rem; }
.card { border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.6rem 0.8rem; }
.card dt { color: var(--muted); font-size: 0.85rem; }
.card dd { margin: 0.2rem 0 0; font-size: 1.5rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card small { display: block; font-size: 0.8rem; font-weight: 400; color: var(--muted); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.75rem; }
figure h3 { margin: 0 0 0.5rem; font-size: 1rem; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.8rem; color: var(--muted); }
.missing { color: var(--muted); }
table { border-collapse: collapse; margin: 0.75rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left; }
td { text-align: right; }
details summary { cursor: pointer; font-size: 0.85rem; color: var(--muted); }
`

/** The report's plots, in the page's order. */
export const figures = async (report: EvaluationReport): Promise<ReadonlyArray<Figure>> => [
  // One after another: each render is short, and they share the loaded engine.
  await reliabilityFigure(report),
  await escalationFigure(report),
  await confusionFigure(report),
  await histogramFigure(report),
]

/** The whole page; `extras` has been checked. */
export const page = async (report: EvaluationReport, extras: Extras): Promise<string> => {
  const title = extras.title ?? "Distillation report"
  const about = [
    extras.student?.name === undefined ? "" : `Student: ${format.escapeHtml(extras.student.name)}.`,
    extras.teacher?.name === undefined ? "" : `Teacher: ${format.escapeHtml(extras.teacher.name)}.`,
    extras.dataset === undefined ? "" : `Data: ${format.escapeHtml(extras.dataset)}.`,
    `${format.count(report.counts.items)} items; labels ${report.labels.map(format.escapeHtml).join(", ")}${report.positive === null ? "" : ` (positive: ${format.escapeHtml(report.positive)})`}.`,
  ]
    .filter((s) => s !== "")
    .join(" ")
  const drawn = await figures(report)
  const otherConfusion =
    report.confusion.truth !== null && report.confusion.teacher !== null
      ? confusionTable(report, "teacher")
      : ""
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${format.escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>${format.escapeHtml(title)}</h1>
<p>${about}</p>
</header>
<main>
<section aria-labelledby="headline">
<h2 id="headline">Headline</h2>
${headline(report, extras)}
</section>
<section aria-labelledby="plots">
<h2 id="plots">Plots</h2>
<div class="plots">
${drawn.map(figureHtml).join("\n")}
</div>
</section>
<section aria-labelledby="numbers">
<h2 id="numbers">Numbers</h2>
${numbersTable(report, extras)}
${otherConfusion}
</section>
</main>
<footer><p><small>Made by @edgeline/distill (${format.escapeHtml(report.format)}).</small></p></footer>
</body>
</html>
`
}
