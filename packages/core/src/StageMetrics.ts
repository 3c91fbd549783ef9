/**
 * The span and metrics around each run of a stage, per pipeline: one stage
 * object may serve several pipelines (the voice gate's resampler is in both
 * the file and the live gate), and each pipeline's timings count its own
 * runs only.
 *
 * A run is counted in a `Tally`: plain numbers per stage and per metric
 * registry (per runner), updated in place. The registry holds the stage's
 * `edgeline_stage_duration` histogram and `edgeline_stage_failures` counter
 * as series whose state is read from the tally when someone reads them (a
 * snapshot, an exporter, `timings()`), not pushed on every run: looking a
 * series up and wrapping each time in a `Duration` cost more than many
 * stages' own work on a small chunk.
 *
 * A span per run is made only when a tracer is installed (`Effect.withTracer`,
 * an OTLP layer): Effect's own native tracer keeps spans nowhere, and making
 * one (with the parent-span and stack-frame context it provides) was the
 * largest part of the framework's cost per live push.
 */
import { Cause, Clock, Context, type Duration, Effect, Metric, References, Tracer } from "effect"
import { counterOf, numbersFor, readFrom } from "./internal/registrySeries.js"
import type { StageTiming } from "./Pipeline.js"
import type * as Stage from "./Stage.js"

/** Effect's default boundaries for a timer (ms): 0.5 ms doubling 35 times. */
const BOUNDARIES: ReadonlyArray<number> = Metric.exponentialBoundaries({
  start: 0.5,
  factor: 2,
  count: 35,
})

/** A stage's runs in one pipeline and one registry: what its metrics report. */
export class Tally {
  count = 0
  failures = 0
  sumMs = 0
  minMs = Number.MAX_VALUE
  maxMs = -Number.MAX_VALUE
  lastMs = 0
  /** Runs per histogram bucket (the last one is above every boundary). */
  readonly buckets = new Uint32Array(BOUNDARIES.length + 1)

  /** One successful run that took `ms`. */
  record(ms: number): void {
    this.count++
    this.sumMs += ms
    if (ms < this.minMs) this.minMs = ms
    if (ms > this.maxMs) this.maxMs = ms
    this.lastMs = ms
    // The first boundary at or above `ms`, as Effect's histogram buckets it.
    let lo = 0
    let hi = BOUNDARIES.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ms <= BOUNDARIES[mid]!) hi = mid
      else lo = mid + 1
    }
    this.buckets[lo]!++
  }

  histogram(): Metric.HistogramState {
    let cumulated = 0
    const buckets = BOUNDARIES.map((boundary, i): [number, number] => {
      cumulated += this.buckets[i]!
      return [boundary, cumulated]
    })
    return { buckets, count: this.count, min: this.minMs, max: this.maxMs, sum: this.sumMs }
  }
}

export interface StageMetrics {
  /** Wall time of each successful run of the stage in this pipeline. */
  readonly duration: Metric.Metric<Duration.Duration, Metric.HistogramState>
  /** Runs of the stage in this pipeline that failed (interruptions are not failures). */
  readonly failures: Metric.Metric<number, Metric.CounterState<number>>
  /** Wall time of the stage's last successful run in this pipeline, in the registry of `context`, in ms. */
  readonly lastMs: (context: Context.Context<never>) => number
  /** Runs one step under the stage's span (when a tracer is installed) and counts it. */
  readonly traced: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The stage's tally in `registry`, made (and its series registered there) on first use. */
  readonly tally: (registry: Registry) => Tally
}

/** Whether spans made now reach a tracer that keeps them. */
export const tracing = (fiber: { getRef<S>(ref: Context.Reference<S>): S }): boolean =>
  fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer && fiber.getRef(References.TracerEnabled)

/** Effect's default clock, to tell whether a fiber's was replaced (a `TestClock`). */
const defaultClock = Context.get(Context.empty(), Clock.Clock)

/** Milliseconds on a monotonic clock: the fiber's `Clock` if it was replaced, else `performance.now`. */
export const clockOf = (fiber: { getRef<S>(ref: Context.Reference<S>): S }): (() => number) => {
  const clock = fiber.getRef(Clock.Clock)
  return clock === defaultClock
    ? performanceNow
    : () => Number(clock.monotonicTimeNanosUnsafe()) / 1_000_000
}
// The platform's monotonic clock (browsers, workers, Node); core names no DOM or Node API in its types.
const platform = (globalThis as { performance?: { now(): number } }).performance
const performanceNow = platform === undefined ? () => Date.now() : () => platform.now()

/** Built once per stage of a pipeline, with the attributes built in. */
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
  const key = JSON.stringify(["stage", pipeline, name, kind])
  // The registry last seen and its tally: a runner's pushes all use one.
  let seen: object | undefined
  let seenTally: Tally | undefined
  const tally = (registry: Registry): Tally => {
    if (registry === seen) return seenTally!
    const found = numbersFor(registry, key, (context) => {
      const t = new Tally()
      readFrom(duration, context, () => t.histogram())
      readFrom(failures, context, () => counterOf(t.failures))
      return t
    })
    seen = registry
    seenTally = found
    return found
  }
  const span = Effect.withSpan(
    `edgeline.${kind}.${name}`,
    {
      attributes: { "edgeline.pipeline": pipeline, "edgeline.stage": name, "edgeline.kind": kind },
    },
    // A stack trace per span costs more than many stages' own work on a small chunk.
    { captureStackTrace: false },
  )
  const counted = <A, E, R>(effect: Effect.Effect<A, E, R>, fiber: Fiber) => {
    const t = tally(fiber.getRef(Metric.MetricRegistry))
    const now = clockOf(fiber)
    const start = now()
    return Effect.matchCauseEffect(effect, {
      onSuccess: (out) => {
        t.record(now() - start)
        return Effect.succeed(out)
      },
      onFailure: (cause) => {
        if (!Cause.hasInterruptsOnly(cause)) t.failures++
        return Effect.failCause(cause)
      },
    })
  }
  const traced = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) =>
      tracing(fiber)
        ? span(Effect.withFiber((inner) => counted(effect, inner)))
        : counted(effect, fiber),
    )
  return {
    duration,
    failures,
    lastMs: (context) => tally(Context.get(context, Metric.MetricRegistry)).lastMs,
    traced,
    tally,
  }
}

type Fiber = { getRef<S>(ref: Context.Reference<S>): S }
type Registry = Metric.MetricRegistry

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
): Array<StageTiming> => {
  const registry = Context.get(context, Metric.MetricRegistry)
  return pipeline.stages.map((stage, i) => {
    const t = pipeline.metrics[i]!.tally(registry)
    const count = t.count
    return {
      stage: stage.name,
      kind: stage.kind,
      count,
      failures: t.failures,
      totalMs: t.sumMs,
      meanMs: count === 0 ? 0 : t.sumMs / count,
      maxMs: count === 0 ? 0 : t.maxMs,
      lastMs: t.lastMs,
    }
  })
}
