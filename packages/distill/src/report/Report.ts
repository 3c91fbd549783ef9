/**
 * An evaluation as files a person or a program reads: `json` (stable,
 * pretty) and `html` (one self-contained page with SVG plots: no scripts,
 * no fetched fonts or images, so it opens offline and can be attached to a
 * pull request or a model card). `write` puts both in a directory.
 *
 * @example
 * ```ts
 * import { Evaluation, Report } from "@edgeline/distill"
 *
 * const report = Evaluation.evaluate({ labels: ["ham", "spam"], items })
 * await Report.write("out/report", report, {
 *   student: { name: "triage-mlp", bytes: 48_213, parameters: 12_034, msPerItem: 0.08 },
 *   teacher: { name: "gpt-4o-mini", msPerItem: 850 },
 * })
 * ```
 */
import { Effect } from "effect"
import { type EvaluationReport, FORMAT } from "../evaluate/Evaluation.js"
import { check, type Extras } from "./Extras.js"
import { type Figure, figures, page } from "./page.js"
import { ReportInputError, ReportWriteError } from "./ReportError.js"

export type { Extras } from "./Extras.js"
export type { Figure } from "./page.js"

/** The files `write` made. */
export interface Written {
  readonly json: string
  readonly html: string
}

const checkReport = (report: EvaluationReport): EvaluationReport => {
  if (report === null || typeof report !== "object" || report.format !== FORMAT) {
    const got =
      report !== null && typeof report === "object" ? String(report.format) : String(report)
    throw new ReportInputError({
      message: `not an evaluation report: expected format "${FORMAT}" (from Evaluation.evaluate), got ${got}`,
    })
  }
  return report
}

/** A copy of a JSON value with every object's keys in order, so equal reports give equal text. */
const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    )
  }
  return value
}

/**
 * The report as pretty JSON, keys sorted at every level, with a final
 * newline. With `extras`, they are under `"extras"`, where the page's
 * `data-field` paths point.
 */
export const json = (report: EvaluationReport, extras?: Extras): string => {
  checkReport(report)
  const document = extras === undefined ? report : { ...report, extras: check(extras) }
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`
}

/**
 * The report as a self-contained HTML page: headline numbers, the
 * reliability diagram, the escalation curve with the chosen threshold, the
 * confusion matrix and the confidence histogram (each an SVG with
 * role="img" and a name), and every number in tables. Rejects with
 * `ReportInputError` when `report` is not an evaluation report or `extras`
 * holds something that is not a non-negative number or a string where one
 * is due.
 */
export const html = async (report: EvaluationReport, extras: Extras = {}): Promise<string> =>
  page(checkReport(report), check(extras))

/**
 * The page's plots on their own (the reliability diagram, the escalation
 * curve, the confusion matrix, the confidence histogram), for an app that
 * shows a report in its own page: each with its heading, its description
 * (the SVG's accessible name) and its numbers as an HTML table, or, when
 * this report cannot draw it, no `svg` and a description saying why.
 * Rejects with `ReportInputError` when `report` is not an evaluation report.
 */
export const plots = async (report: EvaluationReport): Promise<ReadonlyArray<Figure>> =>
  figures(checkReport(report))

/**
 * Writes `report.json` and `report.html` into `dir` (made when missing) and
 * gives their paths. Node only. Rejects with `ReportInputError` as `html`
 * does, or `ReportWriteError` naming the path that could not be written.
 */
export const write = async (
  dir: string,
  report: EvaluationReport,
  extras?: Extras,
): Promise<Written> => {
  const jsonText = json(report, extras)
  const htmlText = await html(report, extras)
  // Loaded here, not at the top: the package's entry stays importable where there is no `node:fs`.
  const { mkdir, writeFile } = await import("node:fs/promises")
  const { join } = await import("node:path")
  const written = { json: join(dir, "report.json"), html: join(dir, "report.html") }
  const step = async (path: string, run: () => Promise<unknown>) => {
    try {
      await run()
    } catch (error) {
      throw new ReportWriteError({
        message: `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`,
        path,
      })
    }
  }
  await step(dir, () => mkdir(dir, { recursive: true }))
  await step(written.json, () => writeFile(written.json, jsonText))
  await step(written.html, () => writeFile(written.html, htmlText))
  return written
}

/** Runs a Promise; the report's own errors are failures, anything else is a defect (a bug). */
const attempt = <A, E>(
  run: () => Promise<A>,
  expected: (error: unknown) => error is E,
): Effect.Effect<A, E> =>
  Effect.tryPromise({ try: run, catch: (error) => error }).pipe(
    Effect.catch((error) => (expected(error) ? Effect.fail(error) : Effect.die(error))),
  )

const isInputError = (error: unknown): error is ReportInputError =>
  error instanceof ReportInputError

/** `html` as an Effect. */
export const htmlEffect = (
  report: EvaluationReport,
  extras?: Extras,
): Effect.Effect<string, ReportInputError> => attempt(() => html(report, extras), isInputError)

/** `write` as an Effect. */
export const writeEffect = (
  dir: string,
  report: EvaluationReport,
  extras?: Extras,
): Effect.Effect<Written, ReportInputError | ReportWriteError> =>
  attempt(
    () => write(dir, report, extras),
    (error): error is ReportInputError | ReportWriteError =>
      error instanceof ReportInputError || error instanceof ReportWriteError,
  )
