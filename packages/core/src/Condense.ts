/**
 * Condense stages shrink what leaves the device (speech only, a short
 * prompt) and report what they saved, per run, as metrics and span
 * attributes.
 */
import { Effect, Metric } from "effect"
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

const measured = <In, Out, E, R>(name: string, measure: Measure<In, Out>) => {
  // The tagged counters, made once per unit with their attributes built in
  // (see Stage's duration metric for why not `Metric.withAttributes`).
  const counters = new Map<string, readonly [Metric.Counter<number>, Metric.Counter<number>]>()
  const countersFor = (unit: string) => {
    let pair = counters.get(unit)
    if (pair === undefined) {
      const attributes = { stage: name, unit }
      pair = [
        Metric.counter(BEFORE.id, { description: BEFORE.description, attributes }),
        Metric.counter(AFTER.id, { description: AFTER.description, attributes }),
      ]
      counters.set(unit, pair)
    }
    return pair
  }
  // Counted in place on the fiber's context, and the span annotated only when
  // a tracer keeps it: this runs on every push of a live stream.
  return (input: In, effect: Effect.Effect<Out, E, R>): Effect.Effect<Out, E, R> =>
    Effect.tap(effect, (output) =>
      Effect.withFiber((fiber) => {
        const saving = measure(input, output)
        const [beforeCounter, afterCounter] = countersFor(saving.unit)
        beforeCounter.updateUnsafe(saving.before, fiber.context)
        afterCounter.updateUnsafe(saving.after, fiber.context)
        return StageMetrics.tracing(fiber)
          ? Effect.annotateCurrentSpan({
              "edgeline.condense.unit": saving.unit,
              "edgeline.condense.before": saving.before,
              "edgeline.condense.after": saving.after,
            })
          : Effect.void
      }),
    )
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
