/**
 * The latest distillation report: its headline numbers as text, then its
 * plots (SVGs drawn by the server with distill's own renderer, each an
 * image named by what it shows, with its numbers in a table under it).
 */

import { ScrollX } from "../ScrollX.js"
import type { ReportAnswer, ReportJson, Skipped, Source } from "./DistillApi.js"
import * as format from "./format.js"

interface Headline {
  readonly label: string
  readonly value: string
  readonly note?: string | undefined
}

/** What the report has, in the order a reader asks for it; what it lacks is left out. */
const headline = (report: ReportJson): ReadonlyArray<Headline> => {
  const numbers: Array<Headline> = []
  if (report.student.accuracy !== null) {
    numbers.push({ label: "Student accuracy", value: format.percent(report.student.accuracy) })
  }
  if (report.teacher?.accuracy != null) {
    numbers.push({ label: "Teacher accuracy", value: format.percent(report.teacher.accuracy) })
  }
  if (report.agreement !== null) {
    numbers.push({ label: "Agreement with the teacher", value: format.percent(report.agreement) })
  }
  if (report.calibration !== null) {
    numbers.push({
      label: "Calibration error (ECE)",
      value: format.percent(report.calibration.ece),
      note: `against the ${report.calibration.reference}, ${format.count(report.calibration.items)} items`,
    })
  }
  const chosen = report.escalation?.chosen
  if (chosen !== undefined) {
    numbers.push({
      label: "Escalation threshold",
      value: format.decimal(chosen.threshold),
      note: "escalate when the student's confidence is below it",
    })
    const cascade =
      chosen.accuracy === null
        ? `${format.percent(chosen.agreement)} agreement`
        : `${format.percent(chosen.accuracy)} accuracy`
    numbers.push({
      label: "Escalated at the threshold",
      value: format.percent(chosen.escalated),
      note: `cascade ${cascade}`,
    })
  }
  const student = report.extras?.student
  if (student?.bytes !== undefined) {
    numbers.push({
      label: "Student model size",
      value: format.kib(student.bytes),
      note:
        student.parameters === undefined
          ? undefined
          : `${format.count(student.parameters)} parameters`,
    })
  }
  if (student?.msPerItem !== undefined) {
    const teacher = report.extras?.teacher?.msPerItem
    numbers.push({
      label: "Student latency per message",
      value: format.ms(student.msPerItem),
      note: teacher === undefined ? undefined : `teacher ${format.ms(teacher)}`,
    })
  }
  if (report.extras?.trainingMs !== undefined) {
    numbers.push({ label: "Training time", value: format.duration(report.extras.trainingMs) })
  }
  return numbers
}

export const SourceLine = ({
  source,
  skipped,
  shipped,
}: {
  readonly source: Source
  readonly skipped: ReadonlyArray<Skipped>
  readonly shipped: string
}) => (
  <>
    <p class="hint">
      {source.kind === "shipped" ? `${shipped}: ` : "From your data directory: "}
      <code>{source.path}</code>, written {new Date(source.modified).toLocaleString("en-US")}.
    </p>
    {skipped.length > 0 && (
      <div class="degraded">
        <p>Newer files were skipped:</p>
        <ul>
          {skipped.map((s) => (
            <li key={s.path}>
              <code>{s.path}</code>: {s.why}
            </li>
          ))}
        </ul>
      </div>
    )}
  </>
)

export const ReportView = ({ answer }: { readonly answer: ReportAnswer }) => {
  const { report, plots } = answer
  const about = [
    report.extras?.student?.name === undefined ? "" : `Student ${report.extras.student.name}.`,
    report.extras?.teacher?.name === undefined ? "" : `Teacher ${report.extras.teacher.name}.`,
    `${format.count(report.counts.items)} evaluation items; labels ${report.labels.join(", ")}.`,
  ].join(" ")
  return (
    <div class="distill-report">
      <h3 id="distill-report-title">{report.extras?.title ?? "Distillation report"}</h3>
      <SourceLine
        source={answer.source}
        skipped={answer.skipped}
        shipped="The student shipped in"
      />
      <p>{about.trim()}</p>
      <dl class="distill-numbers">
        {headline(report).map((n) => (
          <div key={n.label}>
            <dt>{n.label}</dt>
            <dd>
              {n.value}
              {n.note !== undefined && <small>{n.note}</small>}
            </dd>
          </div>
        ))}
      </dl>
      <div class="grid-2">
        {plots.map((plot) => (
          <figure key={plot.id} class="distill-figure" aria-labelledby={`distill-plot-${plot.id}`}>
            <h4 id={`distill-plot-${plot.id}`}>{plot.heading}</h4>
            {plot.svg === undefined ? (
              <p>{plot.description}</p>
            ) : (
              <>
                {/* Our server's SVG, drawn by distill's renderer from the report (names escaped there). */}
                <div class="distill-plot" dangerouslySetInnerHTML={{ __html: plot.svg }} />
                <figcaption>{plot.description}</figcaption>
                <details>
                  <summary>The plot's numbers</summary>
                  <ScrollX label={`${plot.heading}: the numbers`} html={plot.data ?? ""} />
                </details>
              </>
            )}
          </figure>
        ))}
      </div>
      {answer.pageUrl !== undefined && (
        <p>
          <a href={answer.pageUrl} target="_blank" rel="noopener">
            Open the whole report page (new tab)
          </a>
          : every number in tables, as <code>report.html</code> beside the JSON.
        </p>
      )}
    </div>
  )
}
