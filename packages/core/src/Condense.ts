/**
 * Condense stages shrink what leaves the device (speech only, a short
 * prompt) and report what they saved, per run, as metrics and span
 * attributes.
 */
import { Effect, Fiber, Metric } from "effect"
import { counterOf, numbersFor, readFrom } from "./internal/registrySeries.js"
import * as Stage from "./Stage.js"
import * as StageMetrics from "./StageMetrics.js"

export interface Saving {
  /** What is counted: "bytes", "tokens", "samples", … */
  readonly unit: string
  readonly before: number
  readonly after: number
}

export type Measure<In, Out> = (input: In, output: Out) => Saving

/** For a stateful stage: `input` is undefined for what `flush` emits at the end of a stream. */
export type MeasureStateful<In, Out> = Measure<In | undefined, Out>

/** What condense stages took in and let out, as counters tagged `{ stage, unit }`. */
const BEFORE = {
  id: "edgeline_condense_before_total",
  description: "Size of condense stage inputs, by unit",
}
const AFTER = {
  id: "edgeline_condense_after_total",
  description: "Size of condense stage outputs, by unit",
}

/** What a condense stage took in and let out in one unit and one metric registry. */
interface Sums {
  before: number
  after: number
}

/**
 * The measuring around each run. Sizes are summed in plain numbers per unit
 * and per metric registry (per runner), and the registry's
 * `edgeline_condense_{before,after}_total` counters read those sums when
 * someone reads them (a snapshot, an exporter), as the stage timings do: a
 * live push runs two condense stages, and two counter updates each (a series
 * lookup apiece) showed in its cost. The span is annotated only when a
 * tracer keeps it.
 */
const measured = <In, Out, E, R>(name: string, measure: Measure<In, Out>) => {
  // The counters per unit, made once with their attributes built in.
  const units = new Map<
    string,
    { readonly before: Metric.Counter<number>; readonly after: Metric.Counter<number> }
  >()
  let seenRegistry: object | undefined
  let seenUnit: string | undefined
  let seenSums: Sums | undefined
  const sumsFor = (registry: Metric.MetricRegistry, unit: string): Sums => {
    if (registry === seenRegistry && unit === seenUnit) return seenSums!
    let counters = units.get(unit)
    if (counters === undefined) {
      const attributes = { stage: name, unit }
      counters = {
        before: Metric.counter(BEFORE.id, { description: BEFORE.description, attributes }),
        after: Metric.counter(AFTER.id, { description: AFTER.description, attributes }),
      }
      units.set(unit, counters)
    }
    const { before, after } = counters
    const sums = numbersFor(registry, JSON.stringify(["condense", name, unit]), (context) => {
      const made: Sums = { before: 0, after: 0 }
      readFrom(before, context, () => counterOf(made.before))
      readFrom(after, context, () => counterOf(made.after))
      return made
    })
    seenRegistry = registry
    seenUnit = unit
    seenSums = sums
    return sums
  }
  return (input: In, effect: Effect.Effect<Out, E, R>): Effect.Effect<Out, E, R> =>
    Effect.flatMap(effect, (output) => {
      const saving = measure(input, output)
      // Continuations run on their fiber: the current one is this run's.
      const fiber = Fiber.getCurrent()
      if (fiber === undefined) return Effect.succeed(output)
      const sums = sumsFor(fiber.getRef(Metric.MetricRegistry), saving.unit)
      sums.before += saving.before
      sums.after += saving.after
      return StageMetrics.tracing(fiber)
        ? Effect.as(
            Effect.annotateCurrentSpan({
              "edgeline.condense.unit": saving.unit,
              "edgeline.condense.before": saving.before,
              "edgeline.condense.after": saving.after,
            }),
            output,
          )
        : Effect.succeed(output)
    })
}

export interface Constructor {
  <In, Out, E = never, R = never, EL = never, RL = never>(
    body: Stage.Stateless<In, Out, E, R> &
      Stage.Loads<EL, RL> & { readonly measure: Measure<In, Out> },
  ): Stage.Stage<In, Out, E | EL, R | RL>
  <S, In, Out, E = never, R = never, EL = never, RL = never>(
    body: Stage.Stateful<S, In, Out, E, R> &
      Stage.Loads<EL, RL> & { readonly measure: MeasureStateful<In, Out> },
  ): Stage.Stage<In, Out, E | EL, R | RL>
}

/**
 * A condense stage; `measure` says how big the input was and how big the
 * output is, for every output: each step's and, in a stateful stage, the
 * flush's (a segment still open when the stream ends leaves the device too).
 */
export const condense: Constructor = (
  body: Stage.Body<any, any, any, any, any> &
    Stage.Loads<any, any> & { readonly measure: Measure<any, any> },
) => {
  const wrap = measured(body.name, body.measure)
  if ("run" in body) {
    return Stage.make("condense", { ...body, run: (input) => wrap(input, body.run(input)) })
  }
  const flush = body.flush
  return Stage.make("condense", {
    ...body,
    step: (state, input) => wrap(input, body.step(state, input)),
    flush: flush === undefined ? undefined : (state) => wrap(undefined, flush(state)),
  })
}
