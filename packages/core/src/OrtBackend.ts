/**
 * What every onnxruntime backend shares, whatever the platform: tensors
 * wrapped without copying, sessions whose failures are typed, warm-up, a
 * session cache keyed by the model's hash, every session released when the
 * Layer's scope closes. onnxruntime-node and onnxruntime-web expose the same
 * onnxruntime-common API, so a runtime is this plus how it creates a session.
 * Only structural types here: core depends on no ORT package.
 */
import { Effect, type Scope } from "effect"
import { InferenceError, ModelLoadError, messageOf } from "./Errors.js"
import {
  type Session,
  type SessionOptions,
  type Shape,
  type StepLoop,
  type StepOutput,
  type StepsDone,
  settingsKey,
} from "./InferenceBackend.js"
import type { ModelBytes, ModelRef } from "./ModelRef.js"
import * as Tensor from "./Tensor.js"

export interface OrtTensor {
  readonly type: string
  readonly dims: ReadonlyArray<number>
  readonly data: unknown
}

export type OrtTensorConstructor = new (
  type: any,
  data: any,
  dims: ReadonlyArray<number>,
) => OrtTensor

export interface OrtValueMetadata {
  readonly name: string
  readonly isTensor: boolean
  readonly type?: string
  readonly shape?: ReadonlyArray<number | string>
}

export interface OrtSession {
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  readonly inputMetadata?: ReadonlyArray<OrtValueMetadata>
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>
  release(): Promise<void>
}

export interface Created {
  readonly session: OrtSession
  /** The execution provider the session got. */
  readonly provider: string
}

export interface Options {
  readonly name: string
  readonly Tensor: OrtTensorConstructor
  readonly hash: (bytes: Uint8Array) => string | Promise<string>
  /** Creates a session for the bytes (trying providers in order, if the platform has several). */
  readonly create: (model: ModelBytes, options: SessionOptions) => Promise<Created>
}

/** Zeros shaped from an input's metadata, symbolic dims taken as 1. */
const zerosFor = (meta: OrtValueMetadata): Tensor.Tensor => {
  if (!meta.isTensor || meta.type === undefined || meta.shape === undefined) {
    throw new TypeError(`input ${meta.name} is not a tensor`)
  }
  const dims = meta.shape.map((d) => (typeof d === "number" ? d : 1))
  return Tensor.zeros(meta.type as Tensor.DType, dims)
}

/** Counts runs inside ORT, so sessions are released only once none is left. */
class InFlight {
  private count = 0
  private waiting: Array<() => void> = []
  enter(): void {
    this.count++
  }
  leave(): void {
    if (--this.count === 0) for (const wake of this.waiting.splice(0)) wake()
  }
  /** Resolves once nothing is in flight. */
  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((wake) => this.waiting.push(wake))
  }
}

/** An output tensor that keeps its ORT twin, so feeding it back (a recurrent state) costs nothing. */
class OrtBacked implements Tensor.Tensor {
  constructor(
    readonly dtype: Tensor.DType,
    readonly dims: ReadonlyArray<number>,
    readonly data: Tensor.DataTypes[Tensor.DType],
    readonly ort: OrtTensor,
    readonly owner: symbol,
  ) {}
}

const wrap = (
  TensorCtor: OrtTensorConstructor,
  model: ModelRef,
  { session, provider }: Created,
  ortOf: symbol,
  inFlight: InFlight,
): Session => {
  // A tensor remembers its ORT twin, so one fed to many runs (a reused input
  // window, a recurrent state passed back in) is wrapped once, not per run.
  const toOrt = (t: Tensor.Tensor): OrtTensor => {
    if (t instanceof OrtBacked && t.owner === ortOf) return t.ort
    const memo = t as Tensor.Tensor & { [key: symbol]: OrtTensor | undefined }
    const known = memo[ortOf]
    if (known !== undefined) return known
    const wrapped = new TensorCtor(t.dtype, t.data, t.dims)
    memo[ortOf] = wrapped
    return wrapped
  }
  const backed = (t: OrtTensor) =>
    new OrtBacked(t.type as Tensor.DType, t.dims, t.data as never, t, ortOf)
  const failure = (e: unknown) =>
    new InferenceError({
      model: model.name,
      message: `running "${model.name}" on ${provider} failed: ${messageOf(e)}; check the input names, dims and dtypes (inputs: ${session.inputNames.join(", ")})`,
    })
  const failed = (e: unknown): never => {
    inFlight.leave()
    throw failure(e)
  }
  const done = (outputs: Record<string, OrtTensor>): Tensor.Feeds => {
    inFlight.leave()
    // ORT made this map for this run alone: its entries are replaced in place, one object fewer per frame.
    const result = outputs as Record<string, OrtTensor | Tensor.Tensor>
    for (const name in outputs) result[name] = backed(outputs[name]!)
    return result as Tensor.Feeds
  }
  // No async function and no extra promise: this runs once per frame in a per-frame loop.
  const runPromise = (feeds: Tensor.Feeds): Promise<Tensor.Feeds> => {
    inFlight.enter()
    try {
      const ortFeeds: Record<string, OrtTensor> = {}
      for (const name in feeds) ortFeeds[name] = toOrt(feeds[name]!)
      return session.run(ortFeeds).then(done, failed)
    } catch (e) {
      inFlight.leave()
      return Promise.reject(failure(e))
    }
  }
  // The frame loop of a recurrent model: ORT's own promise awaited directly,
  // feeds wrapped once, outputs read where ORT put them, one in-flight count.
  const runSteps = async (loop: StepLoop): Promise<StepsDone> => {
    const ortFeeds: Record<string, OrtTensor> = {}
    for (const name in loop.feeds) ortFeeds[name] = toOrt(loop.feeds[name]!)
    const carry = Object.entries(loop.carry ?? {})
    let last: Record<string, OrtTensor> | undefined
    let step = 0
    inFlight.enter()
    try {
      while (step < loop.steps) {
        loop.prepare(step)
        try {
          last = await session.run(ortFeeds)
        } catch (e) {
          throw failure(e)
        }
        for (const [output, input] of carry) ortFeeds[input] = last[output]!
        if (loop.read(step++, last as Record<string, StepOutput>)) break
      }
    } finally {
      inFlight.leave()
    }
    const feeds: Record<string, Tensor.Tensor> = { ...loop.feeds }
    if (last !== undefined) {
      for (const [output, input] of carry) {
        feeds[input] = backed(last[output]!)
      }
    }
    return { steps: step, feeds }
  }
  return {
    model: model.name,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    provider,
    runPromise,
    runSteps,
    run: (feeds) =>
      Effect.tryPromise({ try: () => runPromise(feeds), catch: (e) => e as InferenceError }),
  }
}

/** The model loaded but its warm-up run failed. */
class WarmupError extends Error {}

/** The backend's scope closed before or while the model loaded. */
class ClosedError extends Error {}

const warmUp = async (session: Session, created: Created, warmup: SessionOptions["warmup"]) => {
  if (!warmup) return
  const zeros = warmup === true
  try {
    const feeds = zeros
      ? Object.fromEntries((created.session.inputMetadata ?? []).map((m) => [m.name, zerosFor(m)]))
      : (warmup as Tensor.Feeds)
    await session.runPromise(feeds)
  } catch (e) {
    throw new WarmupError(
      `${messageOf(e)}${zeros ? "; `warmup: true` feeds zeros with symbolic dims as 1, which this model rejects: pass the warm-up feeds instead" : ""}`,
    )
  }
}

/** Builds the backend; the sessions it creates live until the enclosing scope closes. */
export const make = (options: Options): Effect.Effect<Shape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const cache = new Map<string, Promise<Session>>()
    const opened = new Set<OrtSession>()
    const ortOf = Symbol(`${options.name} tensor`)
    // Runs in flight must finish before sessions are released (loads are in `cache`).
    const inFlight = new InFlight()
    let closed = false
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        // A load or a run cut short by interruption may still be inside ORT;
        // every load not yet failed is in the cache.
        await Promise.allSettled([...cache.values()])
        await inFlight.drained()
        await Promise.allSettled([...opened].map((s) => s.release()))
        opened.clear()
        cache.clear()
      }),
    )

    const create = async (model: ModelBytes, sessionOptions: SessionOptions): Promise<Session> => {
      const created = await options.create(model, sessionOptions)
      if (closed) {
        await created.session.release()
        throw new ClosedError("the runtime was closed while the model was loading")
      }
      opened.add(created.session)
      const session = wrap(options.Tensor, model.ref, created, ortOf, inFlight)
      try {
        await warmUp(session, created, sessionOptions.warmup)
      } catch (e) {
        // The bytes loaded fine; release the session now rather than when the scope closes.
        opened.delete(created.session)
        await created.session.release()
        throw e
      }
      return session
    }

    return {
      name: options.name,
      load: (model, sessionOptions = {}) =>
        Effect.tryPromise({
          try: async () => {
            if (closed) throw new ClosedError("the runtime is closed")
            const key = `${model.sha256 ?? (await options.hash(model.bytes))}|${settingsKey(sessionOptions)}`
            let pending = cache.get(key)
            if (pending === undefined) {
              pending = create(model, sessionOptions)
              cache.set(key, pending)
              // A failed load is forgotten, so the next caller tries again.
              pending.catch(() => cache.delete(key))
            }
            return pending
          },
          catch: (e) =>
            new ModelLoadError({
              model: model.ref.name,
              message:
                e instanceof WarmupError
                  ? `warming up "${model.ref.name}" (${model.ref.uri}) failed: ${e.message}`
                  : e instanceof ClosedError
                    ? `loading "${model.ref.name}" stopped: ${e.message}`
                    : `loading "${model.ref.name}" (${model.ref.uri}) into ${options.name} failed: ${messageOf(e)}; is it a valid ONNX file?`,
            }),
        }),
    }
  })
