/**
 * The spec a runtime implements to run models: load bytes into a session,
 * run named tensors through it. Sessions live as long as the backend's Layer
 * scope and are released when it closes.
 */
import { Context, type Effect } from "effect"
import type { InferenceError, ModelLoadError } from "./Errors.js"
import type { ModelBytes } from "./ModelRef.js"
import type { DataTypes, DType, Feeds, Tensor } from "./Tensor.js"

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

/** The part of a session cache's key that says how the session was made. */
export const settingsKey = (options: SessionOptions = {}): string =>
  JSON.stringify({ ...options, warmup: !!options.warmup })

export interface Session {
  readonly model: string
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  /** The execution provider the session actually got (e.g. "cpu", "wasm", "webgpu"). */
  readonly provider: string
  readonly run: (feeds: Feeds) => Effect.Effect<Feeds, InferenceError>
  /**
   * The same run as a Promise (rejecting with `InferenceError`), for plain
   * async code that drives many runs per Effect step without one fiber
   * suspension per run. A recurrent model's frame loop is faster still with
   * `runSteps`.
   */
  readonly runPromise: (feeds: Feeds) => Promise<Feeds>
  /**
   * Runs the model step after step, as a recurrent model is driven frame by
   * frame, with as little work between runs as a hand-written loop: the feeds
   * are wrapped once; before each run `prepare` may rewrite their buffers in
   * place (the next frame); after it `read` takes what it needs from the
   * outputs (valid only during the call), and `carry` feeds outputs back as
   * inputs (e.g. `{ stateN: "state" }`). Stops after `steps` runs or when
   * `read` returns `true`. Rejects with `InferenceError`.
   */
  readonly runSteps: (loop: StepLoop) => Promise<StepsDone>
}

/** What one output gives `StepLoop.read`: its data and dims, as onnxruntime holds them. */
export interface StepOutput {
  readonly dims: ReadonlyArray<number>
  readonly data: DataTypes[DType]
}

export interface StepLoop {
  readonly feeds: Feeds
  readonly steps: number
  /** Output name → the input it replaces for the next run. */
  readonly carry?: Readonly<Record<string, string>> | undefined
  /** Before run `step`: write its input into the feeds' buffers. */
  readonly prepare: (step: number) => void
  /** After run `step`; return `true` to stop early. */
  readonly read: (step: number, outputs: Readonly<Record<string, StepOutput>>) => boolean
}

export interface StepsDone {
  /** Runs completed. */
  readonly steps: number
  /** The feeds for a next loop: the given ones with the last carried outputs in place. */
  readonly feeds: Feeds
}

/**
 * `runSteps` for a backend that has only `runPromise`: one call per step.
 * ORT backends have a faster loop of their own; this serves the others
 * (test doubles, a backend over a remote model).
 */
export const runStepsWith =
  (runPromise: (feeds: Feeds) => Promise<Feeds>) =>
  async (loop: StepLoop): Promise<StepsDone> => {
    const feeds: Record<string, Tensor> = { ...loop.feeds }
    const carry = Object.entries(loop.carry ?? {})
    let step = 0
    while (step < loop.steps) {
      loop.prepare(step)
      const outputs = await runPromise(feeds)
      for (const [output, input] of carry) feeds[input] = outputs[output]!
      if (loop.read(step++, outputs)) break
    }
    return { steps: step, feeds }
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
