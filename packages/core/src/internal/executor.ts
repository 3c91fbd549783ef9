/**
 * Where a pipeline's effects run, for the Promise runner and for a served
 * worker alike: a runtime built from the caller's Layer with a metric
 * registry of its own (so each counts its own stage timings; the Layer is
 * built in it, so an exporter it holds reads them) and a tracker
 * of its own for tap recordings, the fibers it runs, what its observers
 * see, and a `close` that interrupts the fibers and waits for them to stop,
 * gives tap recordings up to `tapDrainMs` to finish, sends observers the
 * `closed` snapshot, and only then releases the Layer (and the models it
 * loaded).
 */
import { Context, Effect, Exit, type Fiber, Layer, ManagedRuntime, Metric } from "effect"
import { InferenceBackend } from "../InferenceBackend.js"
import * as Model from "../Model.js"
import type * as Pipeline from "../Pipeline.js"
import * as Progress from "../Progress.js"
import type { ModelState, Observation, ObserveOptions } from "../Runner.js"
import * as StageMetrics from "../StageMetrics.js"
import { type Deliver, Observers } from "./observers.js"
import { DEFAULT_DRAIN_MS, drainWithin, Recordings, Tracker } from "./recordings.js"

/** What a call does, for the status observers see: loading models, or running inputs. */
export type CallKind = "load" | "run"

export interface Options {
  /** How long `close` waits for tap recordings still running (default 2000 ms). */
  readonly tapDrainMs?: number | undefined
}

export interface Executor<R, ER = never> {
  /** Runs `effect` on a tracked fiber; `onProgress` hears its progress. */
  readonly fork: <A, E>(
    effect: Effect.Effect<A, E, R>,
    onProgress?: Progress.Listener,
    kind?: CallKind,
  ) => Fiber.Fiber<A, E | ER>
  readonly runPromise: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>
  /** Builds the Layer now, so a failing Layer is reported at creation (and released). */
  readonly start: () => Promise<Exit.Exit<void, unknown>>
  /** Pushes snapshots of the calls, stage metrics and models to `deliver`; returns the unsubscribe. */
  readonly observe: (deliver: Deliver, options?: ObserveOptions) => () => void
  /**
   * Interrupts every running fiber, waits for each to stop, waits for tap
   * recordings (up to `tapDrainMs`, then interrupts them with a warning),
   * sends observers the `closed` snapshot (and waits for what they return),
   * then releases the Layer. Calling it again returns the same promise.
   */
  readonly close: () => Promise<void>
}

const modelState = (event: Model.Event, before: ModelState | undefined): ModelState => {
  switch (event._tag) {
    case "Loaded":
      return { name: event.model, version: event.version, event: "Loaded" }
    case "Swapped":
      return { name: event.model, version: event.to, event: "Swapped" }
    case "SwapFailed":
      return {
        name: event.model,
        version: before?.version,
        event: "SwapFailed",
        failedVersion: event.version,
        error: { _tag: event.error._tag, message: event.error.message },
      }
  }
}

export const make = <R, ER>(
  layer: Layer.Layer<R, ER>,
  pipeline: Pipeline.Any,
  options: Options = {},
): Executor<R, ER> => {
  const registry = new Map()
  const tracker = new Tracker()
  // Provided to the caller's Layer too, so what it builds (a metrics
  // exporter, telemetry that counts) sees this runner's stage metrics.
  const runtime = ManagedRuntime.make(
    layer.pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          Layer.succeed(Metric.MetricRegistry, registry),
          Layer.succeed(Recordings, tracker),
        ),
      ),
    ),
  )
  const metrics = Context.make(Metric.MetricRegistry, registry)
  const running = new Set<Fiber.Fiber<unknown, unknown>>()
  const calls = { load: 0, run: 0 }
  const models = new Map<string, ModelState>()
  let closed = false
  let closing: Promise<void> | undefined

  const read = (): Observation => ({
    status: closed ? "closed" : calls.run > 0 ? "running" : calls.load > 0 ? "loading" : "idle",
    calls: calls.load + calls.run,
    stages: StageMetrics.timingsUnsafe(pipeline, metrics),
    models: [...models.values()],
  })
  const observers = new Observers(read)

  // Once the Layer is built, fibers start straight in its context: the
  // runtime's own fork would also enrol each in its scope (a WeakSet entry and
  // a finalizer per push), which `close` does not need, since it interrupts
  // and awaits every fiber in `running` before disposing the runtime (calls
  // that arrive while it closes take the runtime's fork).
  let builtContext: Context.Context<R> | undefined
  let forkIn: ((effect: Effect.Effect<any, any, R>) => Fiber.Fiber<any, any>) | undefined
  const forkBuilt = <A, E>(effect: Effect.Effect<A, E, R>): Fiber.Fiber<A, E> | undefined => {
    const context = runtime.cachedContext
    if (context === undefined) return undefined
    if (context !== builtContext) {
      builtContext = context
      forkIn = Effect.runForkWith(context)
    }
    return forkIn!(effect)
  }

  // Model events, from the layer's backend (when it has one), heard from the
  // runtime's first use on: no model loads before it.
  let watching = false
  let unwatch: (() => void) | undefined
  const watchModels = Effect.flatMap(Effect.serviceOption(InferenceBackend), (backend) =>
    backend._tag === "None"
      ? Effect.void
      : Effect.map(
          Effect.provideService(
            Model.watch((event) => {
              models.set(event.model, modelState(event, models.get(event.model)))
              observers.changed()
            }),
            InferenceBackend,
            backend.value,
          ),
          (stop) => {
            if (closed) stop()
            else unwatch = stop
          },
        ),
  )

  return {
    fork: (effect, onProgress, kind = "run") => {
      // Without a listener the reference keeps its default (none): providing one would cost two context switches.
      let program = onProgress === undefined ? effect : Progress.withListener(effect, onProgress)
      if (!watching) {
        watching = true
        program = Effect.andThen(watchModels, program)
      }
      // Once closing, through the runtime's own fork: its disposal then interrupts a call that came in late.
      const fiber =
        (closing === undefined ? forkBuilt(program) : undefined) ?? runtime.runFork(program)
      running.add(fiber)
      calls[kind]++
      observers.changed()
      fiber.addObserver(() => {
        running.delete(fiber)
        calls[kind]--
        observers.changed()
      })
      return fiber
    },
    runPromise: (effect) => runtime.runPromise(effect),
    start: async () => {
      watching = true
      const built = await runtime.runPromiseExit(watchModels)
      if (Exit.isFailure(built)) await runtime.dispose()
      return built
    },
    observe: (deliver, observeOptions) => observers.subscribe(deliver, observeOptions),
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled(
          [...running].map(
            (fiber) =>
              new Promise<void>((stopped) => {
                fiber.addObserver(() => stopped())
                fiber.interruptUnsafe()
              }),
          ),
        )
        // Recordings exist only once the runtime is built: an idle worker's is not built for this.
        if (tracker.pending > 0) {
          await runtime
            .runPromise(drainWithin(tracker, options.tapDrainMs ?? DEFAULT_DRAIN_MS))
            .catch(() => undefined)
        }
        unwatch?.()
        closed = true
        await Promise.allSettled(observers.close(read()))
        await runtime.dispose()
      })()
      return closing
    },
  }
}
