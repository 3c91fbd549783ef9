/**
 * The spec a runtime implements to run models: load bytes into a session,
 * run named tensors through it. Sessions live as long as the backend's Layer
 * scope and are released when it closes.
 */
import { Context, type Effect } from "effect"
import type { InferenceError, ModelLoadError } from "./Errors.js"
import type { ModelBytes } from "./ModelRef.js"
import type { Feeds } from "./Tensor.js"

export interface SessionOptions {
  /** Threads inside one operator; 1 is best for small models on few cores. */
  readonly intraOpThreads?: number | undefined
  /**
   * Run once after loading so the first real call is not slow: `true` feeds
   * zeros shaped from the model's metadata (symbolic dims as 1), or pass the
   * feeds to use when the model needs particular shapes.
   */
  readonly warmup?: boolean | Feeds | undefined
  /**
   * Preferred execution providers in order, e.g. ["webgpu", "wasm"] (the web
   * runtime tries them in turn; the Node runtime runs on the CPU).
   */
  readonly executionProviders?: ReadonlyArray<string> | undefined
}

export interface Session {
  readonly model: string
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  /** The execution provider the session actually got (e.g. "cpu", "wasm", "webgpu"). */
  readonly provider: string
  readonly run: (feeds: Feeds) => Effect.Effect<Feeds, InferenceError>
  /**
   * The same run as a Promise (rejecting with `InferenceError`), for hot
   * loops that drive many runs per Effect step — e.g. a recurrent model over
   * hundreds of frames — without one fiber suspension per run.
   */
  readonly runPromise: (feeds: Feeds) => Promise<Feeds>
}

export interface Shape {
  readonly name: string
  /** Creates (or returns the cached) session for these bytes. */
  readonly load: (
    model: ModelBytes,
    options?: SessionOptions,
  ) => Effect.Effect<Session, ModelLoadError>
}

export class InferenceBackend extends Context.Service<InferenceBackend, Shape>()(
  "@edgeline/core/InferenceBackend",
) {}
