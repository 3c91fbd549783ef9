/**
 * Sync stages tap results into telemetry (sampled inputs, confidences,
 * escalations with the cloud's answer as a label). The value passes through
 * unchanged and at once: recording runs on its own fiber and never blocks or
 * fails the pipeline.
 */
import { Effect } from "effect"
import * as Stage from "./Stage.js"

export interface Options<A, E, R> {
  readonly name: string
  readonly record: (value: A) => Effect.Effect<void, E, R>
  /** Share of values recorded, 0..1 (default 1). */
  readonly sampleRate?: number | undefined
}

export const tap = <A, E = never, R = never>(
  options: Options<A, E, R>,
): Stage.Stage<A, A, never, R> => {
  const rate = options.sampleRate ?? 1
  return Stage.make("sync", {
    name: options.name,
    run: (value: A) =>
      rate < 1 && Math.random() >= rate
        ? Effect.succeed(value)
        : options.record(value).pipe(
            Effect.catchCause((cause) => Effect.logWarning(`tap "${options.name}" failed`, cause)),
            Effect.forkDetach,
            Effect.as(value),
          ),
  })
}
