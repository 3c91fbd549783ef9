/**
 * Sync stages tap results into telemetry (sampled inputs, confidences,
 * escalations with the cloud's answer as a label). The value passes through
 * unchanged and at once: recording runs on its own fiber and never blocks or
 * fails the pipeline.
 *
 * Under a runner (`createRunner`, or a served worker) the recordings belong
 * to it: `close()` waits for the ones still running, up to `tapDrainMs`
 * (default 2000 ms), then interrupts the rest and logs how many it cut.
 * Effect code running `Pipeline.run` itself gets the same with `Tap.layer`;
 * without it, a recording is detached and may be lost when the program ends.
 *
 * Sampling draws from Effect's `Random`, so `Random.withSeed` makes it
 * reproducible.
 */
import { Cause, Effect, Layer, Random } from "effect"
import { DEFAULT_DRAIN_MS, drainWithin, Recordings, Tracker } from "./internal/recordings.js"
import * as Stage from "./Stage.js"

export interface Options<A, E, R> {
  readonly name: string
  readonly record: (value: A) => Effect.Effect<void, E, R>
  /** Share of values recorded, 0..1 (default 1), drawn with Effect's `Random`. */
  readonly sampleRate?: number | undefined
}

export const tap = <A, E = never, R = never>(
  options: Options<A, E, R>,
): Stage.Stage<A, A, never, R> => {
  const rate = options.sampleRate ?? 1
  const start = (value: A) =>
    Effect.flatMap(Recordings, (tracker) => {
      const recording = options.record(value).pipe(
        Effect.catchCause((cause) =>
          // Interrupted by close (after tapDrainMs): close itself reports that.
          Cause.hasInterruptsOnly(cause)
            ? Effect.failCause(cause)
            : Effect.logWarning(`tap "${options.name}" failed`, cause),
        ),
      )
      const forked = Effect.forkDetach(recording)
      return tracker === undefined
        ? Effect.as(forked, value)
        : Effect.map(forked, (fiber) => {
            tracker.add(fiber)
            return value
          })
    })
  return Stage.make("sync", {
    name: options.name,
    run: (value: A) =>
      rate >= 1
        ? start(value)
        : Effect.flatMap(Random.next, (draw) =>
            draw < rate ? start(value) : Effect.succeed(value),
          ),
  })
}

export interface LayerOptions {
  /** How long the layer's release waits for recordings still running (default 2000 ms). */
  readonly drainMs?: number | undefined
}

/**
 * Tracks the recordings of every tap run under it: when the layer is
 * released (the end of `Effect.provide`, or a `ManagedRuntime`'s dispose),
 * it waits for those still running, up to `drainMs`, then interrupts the
 * rest with a logged warning. For Effect code that runs pipelines itself;
 * runners do this on `close()`.
 *
 * @example
 * ```ts
 * const program = Effect.forEach(inputs, (input) => Pipeline.run(tapped, input))
 * await Effect.runPromise(program.pipe(Effect.provide(Tap.layer({ drainMs: 5_000 }))))
 * // every recording has finished (or was cut after 5 s) here
 * ```
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<never> =>
  Layer.effect(
    Recordings,
    Effect.acquireRelease(
      Effect.sync(() => new Tracker()),
      (tracker) => drainWithin(tracker, options.drainMs ?? DEFAULT_DRAIN_MS),
    ),
  )
