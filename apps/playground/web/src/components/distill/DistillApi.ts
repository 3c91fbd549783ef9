/**
 * What the server's distill routes answer (server/DistillReport.ts) and how
 * the page asks for them. Types only cross to the server.
 */
import type { Evaluation, Report } from "@edgeline/distill"

/** Where a shown file came from: the user's data directory, or what ships with the playground. */
export interface Source {
  readonly kind: "data" | "shipped"
  /** Where it is, as a person would look for it. */
  readonly path: string
  /** When it was written (ISO), from the file's time. */
  readonly modified: string
}

/** A newer file that was not shown, and why. */
export interface Skipped {
  readonly path: string
  readonly why: string
}

/** `report.json` as `edgeline distill` writes it: the evaluation, with the extras under `extras`. */
export type ReportJson = Evaluation.EvaluationReport & { readonly extras?: Report.Extras }

export interface ReportAnswer {
  readonly source: Source
  readonly skipped: ReadonlyArray<Skipped>
  readonly report: ReportJson
  readonly plots: ReadonlyArray<Report.Figure>
  /** The self-contained report page beside the JSON, when there is one. */
  readonly pageUrl?: string | undefined
}

/** One round of `edgeline flywheel --json` (the fields the page shows). */
export interface FlywheelRound {
  readonly round: number
  readonly model: string
  readonly messages: number
  readonly escalated: number
  readonly escalationRate: number
  readonly tokensSent: number
  readonly streamAccuracy: number
  readonly validation: { readonly studentAccuracy: number; readonly cascadeAccuracy: number }
}

export interface FlywheelRun {
  readonly settings: { readonly rounds: number; readonly perRound: number; readonly seed: number }
  readonly rounds: ReadonlyArray<FlywheelRound>
  readonly escalationFell: boolean
  readonly durationMs: number
}

export interface FlywheelAnswer {
  readonly source: Source
  readonly skipped: ReadonlyArray<Skipped>
  readonly run: FlywheelRun
  /** The rounds as an SVG chart (role="img", named). */
  readonly chart: string
}

/** An answer, or what went wrong in words for the panel. */
export type Loaded<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: string }

export const load = async <A>(path: string): Promise<Loaded<A>> => {
  try {
    const response = await fetch(path)
    const body = (await response.json()) as A & { error?: string }
    if (!response.ok)
      return { ok: false, error: body.error ?? `${path} answered ${response.status}` }
    return { ok: true, value: body }
  } catch (e) {
    return {
      ok: false,
      error: `the playground server did not answer ${path} (${String(e)}): is it still running?`,
    }
  }
}
