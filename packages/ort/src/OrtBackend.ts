/**
 * What every onnxruntime backend shares, whatever the platform, as an
 * `InferenceBackend` adapter: tensors wrapped without copying, a native step
 * loop for recurrent models, input shapes for warm-up, failures that say
 * what to check. onnxruntime-node and onnxruntime-web expose the same
 * onnxruntime-common API, so a runtime is this plus how it creates a
 * session; the constructor in core adds the cache, leases and release.
 * Only structural types here: this package depends on no ORT package.
 */
import { InferenceBackend, type ModelRef, Tensor } from "@edgeline/core"
import type { Effect, Scope } from "effect"

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
  readonly outputMetadata?: ReadonlyArray<OrtValueMetadata>
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>
  release(): Promise<void>
}

export interface Created {
  readonly session: OrtSession
  /** The execution provider the session got. */
  readonly provider: string
  /** Options the platform could not apply. */
  readonly warnings?: ReadonlyArray<InferenceBackend.Warning> | undefined
}

export interface Options {
  readonly name: string
  readonly Tensor: OrtTensorConstructor
  readonly hash: (bytes: Uint8Array) => string | Promise<string>
  /** The neutral session options this platform applies (besides warm-up). */
  readonly options: ReadonlyArray<InferenceBackend.NeutralOption>
  /** Creates a session for the bytes (trying providers in order, if the platform has several). */
  readonly create: (
    model: ModelRef.ModelBytes,
    options: InferenceBackend.LoadOptions,
  ) => Promise<Created>
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

/**
 * Where the engine has `Float16Array` (newer browsers), onnxruntime-common
 * returns float16 data as one; core holds half floats as their bits in a
 * `Uint16Array`, so it is viewed as such, without a copy.
 */
const float16Bits = (t: OrtTensor): unknown => {
  const data = t.data as ArrayBufferView & { readonly length: number }
  return t.type === "float16" && !(data instanceof Uint16Array)
    ? new Uint16Array(data.buffer, data.byteOffset, data.length)
    : data
}

/**
 * A declared dim: onnxruntime-web reports an unnamed symbolic one as
 * 4294967295 (-1 read as unsigned), onnxruntime-node as ""; both become "".
 */
const dimOf = (dim: number | string): number | string =>
  typeof dim === "number" && (dim < 0 || dim >= 2 ** 31) ? "" : dim

const inputsOf = (session: OrtSession): InferenceBackend.Loaded["inputs"] =>
  (session.inputMetadata ?? [])
    .filter((meta) => meta.isTensor && meta.type !== undefined && meta.shape !== undefined)
    .map((meta) => ({
      name: meta.name,
      dtype: meta.type as Tensor.DType,
      dims: meta.shape!.map(dimOf),
    }))

/** ORT's metadata as core's `ValueInfo`: non-tensors (maps, sequences) named as such. */
const valueInfo = (meta: OrtValueMetadata): InferenceBackend.ValueInfo => ({
  name: meta.name,
  dtype: meta.isTensor ? (meta.type ?? "unknown") : "non-tensor",
  dims: meta.isTensor ? (meta.shape ?? []).map(dimOf) : [],
})

/** The declared inputs and outputs, when this onnxruntime reports them (1.22 and later). */
const signatureOf = (session: OrtSession): InferenceBackend.Signature | undefined =>
  session.inputMetadata === undefined || session.outputMetadata === undefined
    ? undefined
    : {
        inputs: session.inputMetadata.map(valueInfo),
        outputs: session.outputMetadata.map(valueInfo),
      }

const NO_CARRY: Readonly<Record<string, string>> = {}

const loaded = (
  TensorCtor: OrtTensorConstructor,
  ortOf: symbol,
  { session, provider, warnings }: Created,
): InferenceBackend.Loaded => {
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
    new OrtBacked(t.type as Tensor.DType, t.dims, float16Bits(t) as never, t, ortOf)
  const fromOrt = (outputs: Record<string, OrtTensor>): Tensor.Feeds => {
    // ORT made this map for this run alone: its entries are replaced in place, one object fewer per frame.
    const result = outputs as Record<string, OrtTensor | Tensor.Tensor>
    for (const name in outputs) result[name] = backed(outputs[name]!)
    return result as Tensor.Feeds
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: inputsOf(session),
    signature: signatureOf(session),
    provider,
    warnings,
    run: (feeds) => {
      const ortFeeds: Record<string, OrtTensor> = {}
      for (const name in feeds) ortFeeds[name] = toOrt(feeds[name]!)
      return session.run(ortFeeds).then(fromOrt)
    },
    // The frame loop of a recurrent model: ORT's own promise awaited directly,
    // feeds wrapped once, outputs read where ORT put them.
    // A live stream calls this once per push: the carried names are walked in
    // place rather than copied into entries.
    runSteps: async (loop, engineFailure) => {
      const ortFeeds: Record<string, OrtTensor> = {}
      for (const name in loop.feeds) ortFeeds[name] = toOrt(loop.feeds[name]!)
      const carry = loop.carry ?? NO_CARRY
      let last: Record<string, OrtTensor> | undefined
      let step = 0
      while (step < loop.steps) {
        loop.prepare(step)
        try {
          last = await session.run(ortFeeds)
        } catch (e) {
          throw engineFailure(e)
        }
        for (const output in carry) ortFeeds[carry[output]!] = last[output]!
        if (loop.read(step++, last as Record<string, InferenceBackend.StepOutput>)) break
      }
      const feeds: Record<string, Tensor.Tensor> = { ...loop.feeds }
      if (last !== undefined) {
        for (const output in carry) feeds[carry[output]!] = backed(last[output]!)
      }
      return { steps: step, feeds }
    },
    release: () => session.release(),
  }
}

/** The adapter for one ORT platform. */
export const adapter = (options: Options): InferenceBackend.Adapter<"bytes"> => {
  // One key per backend, not per session: a long-lived tensor (a constant input)
  // then keeps one ORT twin however many model versions it is fed to.
  const ortOf = Symbol(`${options.name} tensor`)
  return {
    name: options.name,
    capabilities: {
      modelInput: "bytes",
      batching: true,
      recurrentSteps: true,
      // onnxruntime-common's tensors hold every dtype core has.
      dtypes: Tensor.dtypes,
      options: ["warmup", ...options.options],
    },
    hash: options.hash,
    load: async (model, loadOptions) => {
      let created: Created
      try {
        created = await options.create(model, loadOptions)
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new Error(`${message}; is it a valid ONNX file?`)
      }
      return loaded(options.Tensor, ortOf, created)
    },
  }
}

/** The backend for one ORT platform; its sessions are released when the scope closes. */
export const make = (options: Options): Effect.Effect<InferenceBackend.Shape, never, Scope.Scope> =>
  InferenceBackend.make(adapter(options))
