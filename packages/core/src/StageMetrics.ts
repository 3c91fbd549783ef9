/**
 * The span and metrics around each run of a stage, per pipeline: one stage
 * object may serve several pipelines (the voice gate's resampler is in both
 * the file and the live gate), and each pipeline's timings count its own
 * runs only.
 */
import { Cause, Clock, Context, Duration, Effect, Metric } from "effect"
import type { StageTiming } from "./Pipeline.js"
import type * as Stage from "./Stage.js"

export interface StageMetrics {
  /** Wall time of each successful run of the stage in this pipeline. */
  readonly duration: Metric.Metric<Duration.Duration, Metric.HistogramState>
  /** Runs of the stage in this pipeline that failed (interruptions are not failures). */
  readonly failures: Metric.Metric<number, Metric.CounterState<number>>
  /** Wall time of the stage's last successful run in this pipeline, in the registry of `context`, in ms. */
  readonly lastMs: (context: Context.Context<never>) => number
  /** Runs one step under the stage's span and metrics. */
  readonly traced: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * Built once per stage of a pipeline, with the attributes built in: a live
 * push runs every stage, and both a shared metric tagged per call (which
 * rebuilds its series key, a JSON string, whenever the attributes change)
 * and a span rebuilt per run showed up in the per-push cost.
 *
 * A run costs one `withFiber` and one success/failure continuation: the
 * metrics are updated in place (`updateUnsafe` on the fiber's context, so
 * each runner's own `MetricRegistry` counts its own runs), not through an
 * Effect of their own. The last run's time is a plain number per registry
 * (the one last seen is remembered), not a gauge: a gauge's update looks its
 * series up again, which cost more than the rest of the bookkeeping.
 */
export const make = (pipeline: string, stage: Stage.Any): StageMetrics => {
  const { name, kind } = stage
  const attributes = { pipeline, stage: name, kind }
  const duration = Metric.timer("edgeline_stage_duration", {
    description: "Wall time of one stage run (one input or one stream element)",
    attributes,
  })
  const failures = Metric.counter("edgeline_stage_failures", {
    description: "Stage runs that failed (not counting interruptions)",
    attributes,
  })
  // The last run's wall time, per metric registry (per runner).
  const lasts = new WeakMap<object, { ms: number }>()
  let seen: object | undefined
  let seenLast = { ms: 0 }
  const lastIn = (context: Context.Context<never>) => {
    const registry = Context.get(context, Metric.MetricRegistry)
    if (registry !== seen) {
      seen = registry
      let last = lasts.get(registry)
      if (last === undefined) {
        last = { ms: 0 }
        lasts.set(registry, last)
      }
      seenLast = last
    }
    return seenLast
  }
  const span = Effect.withSpan(
    `edgeline.${kind}.${name}`,
    {
      attributes: { "edgeline.pipeline": pipeline, "edgeline.stage": name, "edgeline.kind": kind },
    },
    // A stack trace per span costs more than many stages' own work on a small chunk.
    { captureStackTrace: false },
  )
  const traced = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    span(
      Effect.withFiber((fiber) => {
        const clock = fiber.getRef(Clock.Clock)
        const start = clock.monotonicTimeNanosUnsafe()
        return Effect.matchCauseEffect(effect, {
          onSuccess: (out) => {
            const elapsed = Duration.nanos(clock.monotonicTimeNanosUnsafe() - start)
            const context = fiber.context
            duration.updateUnsafe(elapsed, context)
            lastIn(context).ms = Duration.toMillis(elapsed)
            return Effect.succeed(out)
          },
          onFailure: (cause) => {
            if (!Cause.hasInterruptsOnly(cause)) failures.updateUnsafe(1, fiber.context)
            return Effect.failCause(cause)
          },
        })
      }),
    )
  return {
    duration,
    failures,
    lastMs: (context) => lasts.get(Context.get(context, Metric.MetricRegistry))?.ms ?? 0,
    traced,
  }
}

/**
 * A pipeline's `timings` from the registry in `context`, without an Effect:
 * a runner's observers read them between runs.
 */
export const timingsUnsafe = (
  pipeline: {
    readonly stages: ReadonlyArray<Stage.Any>
    readonly metrics: ReadonlyArray<StageMetrics>
  },
  context: Context.Context<never>,
): Array<StageTiming> =>
  pipeline.stages.map((stage, i) => {
    const metrics = pipeline.metrics[i]!
    const histogram = metrics.duration.valueUnsafe(context)
    const count = histogram.count
    return {
      stage: stage.name,
      kind: stage.kind,
      count,
      failures: metrics.failures.valueUnsafe(context).count,
      totalMs: histogram.sum,
      meanMs: count === 0 ? 0 : histogram.sum / count,
      maxMs: count === 0 ? 0 : histogram.max,
      lastMs: metrics.lastMs(context),
    }
  })
