/**
 * The span and duration histogram around each run of a stage, per pipeline:
 * one stage object may serve several pipelines (the voice gate's resampler
 * is in both the file and the live gate), and each pipeline's timings count
 * its own runs only.
 */
import type { Duration } from "effect"
import { Effect, Metric } from "effect"
import type * as Stage from "./Stage.js"

export interface StageMetrics {
  /** Wall time of each run of the stage in this pipeline. */
  readonly duration: Metric.Metric<Duration.Duration, Metric.HistogramState>
  /** Runs one step under the stage's span and duration metric. */
  readonly traced: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * Built once per stage of a pipeline, with the attributes built in: a live
 * push runs every stage, and both a shared metric tagged per call (which
 * rebuilds its series key, a JSON string, whenever the attributes change)
 * and a span rebuilt per run showed up in the per-push cost.
 */
export const make = (pipeline: string, stage: Stage.Any): StageMetrics => {
  const { name, kind } = stage
  const duration = Metric.timer("edgeline_stage_duration", {
    description: "Wall time of one stage run (one input or one stream element)",
    attributes: { pipeline, stage: name, kind },
  })
  const span = Effect.withSpan(
    `edgeline.${kind}.${name}`,
    {
      attributes: { "edgeline.pipeline": pipeline, "edgeline.stage": name, "edgeline.kind": kind },
    },
    // A stack trace per span costs more than many stages' own work on a small chunk.
    { captureStackTrace: false },
  )
  const record = <A>([elapsed, out]: [Duration.Duration, A]) =>
    Effect.as(Metric.update(duration, elapsed), out)
  return {
    duration,
    traced: (effect) => span(Effect.flatMap(Effect.timed(effect), record)),
  }
}
