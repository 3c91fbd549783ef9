/**
 * The spec an inference engine implements: load a model into a session, run
 * named tensors through it. Version `v1`.
 *
 * Writing a backend is a small adapter: `make` (or `layer`) takes how to load
 * a model into `{ run, release }` and derives the rest — `run` as an Effect,
 * `runPromise`, `runSteps`, the session cache, warm-up, typed errors, warnings
 * for options the engine ignores, and leases: a session stays loaded while
 * someone holds it, its in-flight runs finish, then it is released.
 *
 * @example
 * ```ts
 * import { InferenceBackend } from "@edgeline/core"
 * const echo = InferenceBackend.layer({
 *   name: "echo",
 *   capabilities: { modelInput: "ref" },
 *   load: async (ref) => ({
 *     inputNames: ["x"],
 *     outputNames: ["x"],
 *     run: async (feeds) => feeds,
 *     release: async () => {},
 *   }),
 * })
 * ```
 */
import { Context, type Effect, Layer, type Scope } from "effect"
import type { InferenceError, ModelLoadError } from "./Errors.js"
import * as Construct from "./internal/backendConstruct.js"
import type { ModelBytes, ModelRef } from "./ModelRef.js"
import type { DataTypes, DType, Feeds } from "./Tensor.js"

/** The version of this spec a backend implements. */
export const specificationVersion = "v1"
export type SpecificationVersion = typeof specificationVersion

/** The neutral session options a backend may honour. */
export type NeutralOption = "threads" | "device" | "warmup"

/** What a backend can do, so stages and tools can adapt instead of failing late. */
export interface Capabilities {
  /** What `load` takes: the model file's bytes, or a reference the engine resolves itself (a server's model name). */
  readonly modelInput: "bytes" | "ref"
  /** Feeds stacked on dim 0 run as one call, so micro-batching pays off. */
  readonly batching: boolean
  /** A native loop for recurrent models, cheaper per step than one `run` per step. */
  readonly recurrentSteps: boolean
  /** The tensor dtypes it takes and returns. */
  readonly dtypes: ReadonlyArray<DType>
  /** The neutral options it honours; the others give a `Warning`. */
  readonly options: ReadonlyArray<NeutralOption>
}

export interface SessionOptions {
  /**
   * Run once after loading so the first real call is not slow: `true` feeds
   * zeros shaped from the model's inputs (symbolic dims as 1), or pass the
   * feeds to use when the model needs particular shapes.
   */
  readonly warmup?: boolean | Feeds | undefined
  /** Threads one run may use; 1 is best for small models on few cores. */
  readonly threads?: number | undefined
  /** Where to run: `"gpu"` when the engine has one, `"cpu"`, or the backend's choice (`"auto"`, the default). */
  readonly device?: "auto" | "cpu" | "gpu" | undefined
  /**
   * Options for one engine, keyed by backend name, passed to that backend
   * only: `{ "onnxruntime-web": { executionProviders: ["wasm"] } }`. Options
   * for other backends are not warned about, so one stage can carry several.
   */
  readonly backendOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined
}

/** An option the backend did not apply, and why: the caller sees it instead of silence. */
export interface Warning {
  readonly setting: string
  readonly message: string
}

/** One input or output of a model, as its engine declares it. */
export interface ValueInfo {
  readonly name: string
  /**
   * Its element type: one of core's `DType`s, or the engine's own name for
   * one core tensors cannot carry (e.g. "string"); "non-tensor" for a map
   * or a sequence.
   */
  readonly dtype: DType | (string & {})
  /** Its dims: a symbolic one by its name (e.g. "batch"; "" when it has none), as the engine declares them. */
  readonly dims: ReadonlyArray<number | string>
}

/** A model's declared inputs and outputs: what a tool shows or checks feeds against before the first run. */
export interface Signature {
  readonly inputs: ReadonlyArray<ValueInfo>
  readonly outputs: ReadonlyArray<ValueInfo>
}

export interface Session {
  readonly model: string
  /** The model version this session runs, when the source or engine knows it. */
  readonly version: string | undefined
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  /**
   * The model's declared inputs and outputs (names, element types, dims),
   * when the engine reports them; `undefined` when it does not, so callers
   * fall back to the names.
   */
  readonly signature?: Signature | undefined
  /** Where the session runs, as the engine says it (e.g. "cpu", "wasm", "webgpu", a server URL). */
  readonly provider: string
  /** Options this session was asked for but does not apply. */
  readonly warnings: ReadonlyArray<Warning>
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

/** What one output gives `StepLoop.read`: its data and dims, as the engine holds them. */
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

/** A model as a backend takes it: bytes from a `ModelSource`, or a bare ref for `modelInput: "ref"` backends. */
export type ModelInput = ModelBytes | ModelRef

export interface Shape {
  readonly specificationVersion: SpecificationVersion
  readonly name: string
  readonly capabilities: Capabilities
  /**
   * A lease on a session for the model: the same model with the same
   * options shares one session. The lease ends when the scope closes; the
   * session is released once no lease is left and its runs have finished.
   */
  readonly load: (
    model: ModelInput,
    options?: SessionOptions,
  ) => Effect.Effect<Session, ModelLoadError, Scope.Scope>
}

export class InferenceBackend extends Context.Service<InferenceBackend, Shape>()(
  "@edgeline/core/InferenceBackend",
) {}

/** A service key whose shape is a backend: `InferenceBackend`, or a second one of yours. */
export type Key<Id> = Context.Key<Id, Shape>

/** An engine session as an adapter's `load` resolves it. */
export interface Loaded {
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  /** Input shapes, for `warmup: true` (symbolic dims as strings or negative numbers). */
  readonly inputs?:
    | ReadonlyArray<{
        readonly name: string
        readonly dtype: DType
        readonly dims: ReadonlyArray<number | string>
      }>
    | undefined
  /** Every input and output as the engine declares it, for `Session.signature`. */
  readonly signature?: Signature | undefined
  /** Where it runs (e.g. "cpu", "wasm", a server URL); defaults to the backend's name. */
  readonly provider?: string | undefined
  /** The model version the engine serves, when it knows. */
  readonly version?: string | undefined
  /** Options it was given but does not apply. */
  readonly warnings?: ReadonlyArray<Warning> | undefined
  /** One run; a rejection becomes an `InferenceError` naming the model (one that is already an `InferenceError` passes as it is). */
  readonly run: (feeds: Feeds) => Promise<Feeds>
  /**
   * A native step loop; without one, `runSteps` calls `run` once per step.
   * Errors from the loop's `prepare` and `read` must pass as they are; an
   * engine failure is thrown as `engineFailure(cause)`, the typed
   * `InferenceError` the constructor makes for it.
   */
  readonly runSteps?:
    | ((loop: StepLoop, engineFailure: (cause: unknown) => InferenceError) => Promise<StepsDone>)
    | undefined
  /** Frees the engine session; called once, after its last run. */
  readonly release: () => Promise<void>
}

/** What an adapter's `load` gets besides the model: the options, and its own bag from `backendOptions`. */
export interface LoadOptions extends SessionOptions {
  readonly own: Readonly<Record<string, unknown>>
}

/** An engine, as little as it takes: how to load a model into `{ run, release }`. */
export interface Adapter<M extends "bytes" | "ref" = "bytes" | "ref"> {
  /** The backend's name; also its key in `SessionOptions.backendOptions`. */
  readonly name: string
  /** Defaults: no batching, no native steps, every dtype, only `warmup` honoured. */
  readonly capabilities: Partial<Capabilities> & { readonly modelInput: M }
  /** The content hash of model bytes (the cache key) when the source gave none; defaults to WebCrypto's SHA-256. */
  readonly hash?: ((bytes: Uint8Array) => string | Promise<string>) | undefined
  /** A rejection becomes a `ModelLoadError` naming the model. */
  readonly load: (
    model: M extends "bytes" ? ModelBytes : ModelRef,
    options: LoadOptions,
  ) => Promise<Loaded>
}

/**
 * The backend an adapter makes: sessions cached per model and options,
 * leased, warmed up, released after their last lease and run; every one
 * released when the scope closes.
 */
export const make: <M extends "bytes" | "ref">(
  adapter: Adapter<M>,
) => Effect.Effect<Shape, never, Scope.Scope> = Construct.make

/** `make` as the `InferenceBackend` Layer. */
export const layer = <M extends "bytes" | "ref">(
  adapter: Adapter<M>,
): Layer.Layer<InferenceBackend> => Layer.effect(InferenceBackend, make(adapter))
