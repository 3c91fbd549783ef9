/**
 * Where a pipeline's effects run, for the Promise runner and for a served
 * worker alike: a runtime built from the caller's Layer with a metric
 * registry of its own (so each counts its own stage timings), the fibers it
 * runs, and a `close` that interrupts them and waits for them to stop before
 * the Layer (and the models it loaded) is released.
 */
import { Effect, Exit, type Fiber, Layer, ManagedRuntime, Metric } from "effect"
import * as Progress from "../Progress.js"

export interface Executor<R, ER = never> {
  /** Runs `effect` on a tracked fiber; `onProgress` hears its progress. */
  readonly fork: <A, E>(
    effect: Effect.Effect<A, E, R>,
    onProgress?: Progress.Listener,
  ) => Fiber.Fiber<A, E | ER>
  readonly runPromise: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>
  /** Builds the Layer now, so a failing Layer is reported at creation (and released). */
  readonly start: () => Promise<Exit.Exit<void, unknown>>
  /** Interrupts every running fiber, waits for each to stop, then releases the Layer. */
  readonly close: () => Promise<void>
}

export const make = <R, ER>(layer: Layer.Layer<R, ER>): Executor<R, ER> => {
  const runtime = ManagedRuntime.make(
    Layer.merge(layer, Layer.succeed(Metric.MetricRegistry, new Map())),
  )
  const running = new Set<Fiber.Fiber<unknown, unknown>>()
  return {
    fork: (effect, onProgress) => {
      const fiber = runtime.runFork(Progress.withListener(effect, onProgress))
      running.add(fiber)
      fiber.addObserver(() => running.delete(fiber))
      return fiber
    },
    runPromise: (effect) => runtime.runPromise(effect),
    start: async () => {
      const built = await runtime.runPromiseExit(Effect.void)
      if (Exit.isFailure(built)) await runtime.dispose()
      return built
    },
    close: async () => {
      await Promise.allSettled(
        [...running].map(
          (fiber) =>
            new Promise<void>((stopped) => {
              fiber.addObserver(() => stopped())
              fiber.interruptUnsafe()
            }),
        ),
      )
      await runtime.dispose()
    },
  }
}
