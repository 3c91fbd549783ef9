/**
 * The Promise front door, for everyone who does not use Effect:
 *
 * ```ts
 * const runner = await createRunner(voiceGate, { layer: NodeRuntime.layer() })
 * const result = await runner.run(wavBytes, { signal, onProgress })
 * await runner.close()
 * ```
 *
 * Failures reject with the pipeline's tagged errors (plain `Error`s with a
 * `_tag`); cancellation rejects with `CancelledError`. A UI follows a runner
 * with `observe`: snapshots are pushed to it, never polled.
 */
import { type Effect, Exit, type Fiber, type Layer } from "effect"
import { CancelledError } from "./Errors.js"
import { streamWith, toError, withSignal } from "./internal/calls.js"
import * as Executor from "./internal/executor.js"
import * as Pipeline from "./Pipeline.js"
import type * as Progress from "./Progress.js"

/** The part of `AbortSignal` we use; the DOM's and Node's both fit. */
export interface AbortSignalLike {
  readonly aborted: boolean
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: "abort", listener: () => void): void
}

export interface CallOptions {
  readonly signal?: AbortSignalLike | undefined
  readonly onProgress?: Progress.Listener | undefined
  /**
   * Across a worker: move the input's ArrayBuffers to it (`true`, the default
   * unless the runner was connected with `transferInput: false`) or copy them
   * (`false`), so the caller keeps its buffer. A moved buffer is empty
   * afterwards. In-process runners ignore it: they neither move nor copy.
   */
  readonly transfer?: boolean | undefined
}

/** A stream opened on a runner: state carries from one `push` to the next. */
export interface StreamSession<In, Out> {
  push(input: In, options?: CallOptions): Promise<Out>
  /** Ends the stream; returns what stateful stages still held. */
  end(options?: CallOptions): Promise<Array<Out>>
  /**
   * Ends the stream without flushing, for a consumer that stops early: what
   * its stages hold (a model version) is given back, no more work is done.
   * `end` does this too; a stream left open keeps its model version loaded.
   */
  close(): Promise<void>
}

/**
 * What a runner is doing:
 * - `"running"`: runs, pushes or stream ends are in flight;
 * - `"loading"`: only `load()` calls are;
 * - `"idle"`: nothing is;
 * - `"closed"`: `close()` has finished (the last snapshot an observer gets).
 */
export type Status = "idle" | "loading" | "running" | "closed"

/** A model of the runner's backend, as its last event left it. */
export interface ModelState {
  readonly name: string
  /** The version serving now, when the source or engine knows it. */
  readonly version: string | undefined
  /** The last thing that happened to it: first loaded, swapped to a new version, or a swap that failed. */
  readonly event: "Loaded" | "Swapped" | "SwapFailed"
  /** After `SwapFailed`: the version that failed to load (`version` still serves). */
  readonly failedVersion?: string | undefined
  /** After `SwapFailed`: why. */
  readonly error?: { readonly _tag: string; readonly message: string } | undefined
}

/** A snapshot of a runner, as `observe` pushes it: plain data, the same across a worker. */
export interface Observation {
  readonly status: Status
  /** Calls in flight (runs, pushes, stream ends, loads). */
  readonly calls: number
  /** Each stage's counts and wall time so far, as `timings()` gives them. */
  readonly stages: ReadonlyArray<Pipeline.StageTiming>
  /** Models of the layer's `InferenceBackend` (none without one), in the order they first loaded. */
  readonly models: ReadonlyArray<ModelState>
}

export interface ObserveOptions {
  /**
   * Snapshots are coalesced to at most one per interval (default 100 ms): a
   * change sends one at once, changes during the interval one more at its
   * end, so the last state always arrives. 0 sends one per change.
   */
  readonly intervalMs?: number | undefined
}

export type Observer = (observation: Observation) => void

export interface Runner<In, Out> {
  /**
   * Loads the pipeline's models now rather than on the first input, with
   * `load` progress. Optional: for a live stream whose first chunk
   * must not wait, or to time runs alone. An abort stops the waiting, not a
   * model load under way: that one finishes and is kept for the next call.
   */
  load(options?: CallOptions): Promise<void>
  run(input: In, options?: CallOptions): Promise<Out>
  open(): Promise<StreamSession<In, Out>>
  /** Pushes every input through one session, yielding outputs as they come, then the flushed ones. */
  stream(inputs: AsyncIterable<In> | Iterable<In>, options?: CallOptions): AsyncGenerator<Out>
  /** Per-stage wall time so far. */
  timings(): Promise<Array<Pipeline.StageTiming>>
  /**
   * Pushes snapshots of the runner to `observer`: one at once, then when the
   * status changes and after calls complete, coalesced (`intervalMs`). The
   * last one, after `close()`, has status `"closed"`. Returns the
   * unsubscribe. Across a worker the snapshots come from the worker.
   */
  observe(observer: Observer, options?: ObserveOptions): () => void
  /**
   * Cancels what is running, waits for tap recordings (up to `tapDrainMs`),
   * and releases models and workers.
   */
  close(): Promise<void>
}

export interface RunnerOptions<R, ER> {
  /** Provides every service the pipeline needs, e.g. `NodeRuntime.layer()`. */
  readonly layer: Layer.Layer<R, ER>
  /**
   * How long `close()` waits for tap recordings still running (default 2000
   * ms); after that they are interrupted, and a warning names how many.
   */
  readonly tapDrainMs?: number | undefined
}

/** A fiber's outcome as a Promise, its failure as the Error a Promise user sees. */
const settled = <A>(fiber: Fiber.Fiber<A, unknown>): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    fiber.addObserver((exit) => {
      if (Exit.isSuccess(exit)) resolve(exit.value)
      else reject(toError(exit.cause))
    })
  })

export const createRunner = async <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  options: RunnerOptions<R, ER>,
): Promise<Runner<In, Out>> => {
  const executor = Executor.make(options.layer, pipeline, { tapDrainMs: options.tapDrainMs })
  const built = await executor.start()
  if (Exit.isFailure(built)) throw toError(built.cause)
  let closed = false
  // Every method refuses after close() with a tagged Error; left to itself the
  // disposed runtime would reject with a bare string.
  const refused = () => Promise.reject(new CancelledError({ message: "the runner is closed" }))

  const exec = <A>(
    effect: Effect.Effect<A, unknown, R>,
    call: CallOptions = {},
    kind: Executor.CallKind = "run",
  ): Promise<A> => {
    if (closed) return refused()
    // Without a signal (a live push, usually), no abort wiring at all.
    if (call.signal === undefined) {
      try {
        return settled(executor.fork(effect, call.onProgress, kind))
      } catch (e) {
        // A runtime disposed under a racing close(): reject, never throw from a Promise method.
        return Promise.reject(e instanceof Error ? e : new CancelledError({ message: String(e) }))
      }
    }
    let fiber: Fiber.Fiber<A, unknown> | undefined
    return withSignal(
      call.signal,
      () => fiber?.interruptUnsafe(),
      () => {
        fiber = executor.fork(effect, call.onProgress, kind)
        return settled(fiber)
      },
    )
  }

  const open = async (): Promise<StreamSession<In, Out>> => {
    if (closed) return refused()
    const session = Pipeline.open(pipeline)
    return {
      push: (input, call) => exec(session.push(input), call),
      end: (call) => exec(session.end(), call),
      close: () => (closed ? Promise.resolve() : exec(session.close())),
    }
  }

  return {
    load: (call) => exec(Pipeline.load(pipeline), call, "load"),
    run: (input, call) => exec(Pipeline.run(pipeline, input), call),
    open,
    stream: streamWith(open),
    timings: () => (closed ? refused() : executor.runPromise(Pipeline.timings(pipeline))),
    // After close the executor answers with the closed snapshot alone.
    observe: (observer, observeOptions) => executor.observe(observer, observeOptions),
    close: async () => {
      if (closed) return
      closed = true
      await executor.close()
    },
  }
}
