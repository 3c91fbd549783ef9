/**
 * `InferenceBackend` over onnxruntime-node. Sessions are cached by the sha256
 * of the model bytes (plus session options), so two refs to the same file
 * share one session; all are released when the Layer's scope closes.
 * Tensors cross to and from ORT without copying their data.
 */
import { createHash } from "node:crypto"
import {
  InferenceBackend,
  InferenceError,
  ModelLoadError,
  type ModelRef,
  Tensor,
} from "@edgeline/core"
import { Effect, Layer } from "effect"
import * as ort from "onnxruntime-node"

export interface Options {
  /** Default threads inside one operator (1 suits small models on few cores). */
  readonly intraOpThreads?: number | undefined
}

const toOrt = (t: Tensor.Tensor): ort.Tensor => new ort.Tensor(t.dtype, t.data as never, t.dims)

const fromOrt = (t: ort.Tensor): Tensor.Tensor => ({
  dtype: t.type as Tensor.DType,
  dims: t.dims,
  data: t.data as Tensor.DataTypes[Tensor.DType],
})

const zerosFor = (meta: ort.InferenceSession.ValueMetadata): Tensor.Tensor => {
  if (!meta.isTensor) throw new TypeError(`input ${meta.name} is not a tensor`)
  const dims = meta.shape.map((d) => (typeof d === "number" ? d : 1))
  return Tensor.zeros(meta.type as Tensor.DType, dims)
}

/** The model loaded but its warm-up run failed. */
class WarmupError extends Error {}

const hashOf = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const makeSession = (
  model: ModelRef.ModelRef,
  session: ort.InferenceSession,
): InferenceBackend.Session => ({
  model: model.name,
  inputNames: session.inputNames,
  outputNames: session.outputNames,
  provider: "cpu",
  run: (feeds) =>
    Effect.tryPromise({
      try: async () => {
        const ortFeeds: Record<string, ort.Tensor> = {}
        for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor)
        const outputs = await session.run(ortFeeds)
        const result: Record<string, Tensor.Tensor> = {}
        for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrt(tensor)
        return result
      },
      catch: (e) =>
        new InferenceError({
          model: model.name,
          message: `running "${model.name}" failed: ${e instanceof Error ? e.message : String(e)}; check the input names, dims and dtypes (inputs: ${session.inputNames.join(", ")})`,
        }),
    }),
})

/** The backend as a scoped Layer: closing the scope releases every session. */
export const layer = (options: Options = {}): Layer.Layer<InferenceBackend.InferenceBackend> =>
  Layer.effect(
    InferenceBackend.InferenceBackend,
    Effect.gen(function* () {
      const cache = new Map<string, Promise<InferenceBackend.Session>>()
      const opened: Array<ort.InferenceSession> = []
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          await Promise.allSettled(opened.map((s) => s.release()))
          opened.length = 0
          cache.clear()
        }),
      )

      const create = async (
        model: ModelRef.ModelBytes,
        session: InferenceBackend.SessionOptions,
      ): Promise<InferenceBackend.Session> => {
        const threads = session.intraOpThreads ?? options.intraOpThreads ?? 1
        const ortSession = await ort.InferenceSession.create(model.bytes, {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: "sequential",
          graphOptimizationLevel: "all",
          logSeverityLevel: 3,
        })
        opened.push(ortSession)
        const ready = makeSession(model.ref, ortSession)
        if (session.warmup) {
          const zeros = session.warmup === true
          try {
            const feeds = zeros
              ? Object.fromEntries(ortSession.inputMetadata.map((m) => [m.name, zerosFor(m)]))
              : (session.warmup as Tensor.Feeds)
            await Effect.runPromise(ready.run(feeds))
          } catch (e) {
            // The bytes loaded fine; release the session rather than keep it until the scope closes.
            opened.splice(opened.indexOf(ortSession), 1)
            await ortSession.release()
            throw new WarmupError(
              `${e instanceof Error ? e.message : String(e)}${zeros ? "; `warmup: true` feeds zeros with symbolic dims as 1, which this model rejects: pass the warm-up feeds instead" : ""}`,
            )
          }
        }
        return ready
      }

      return InferenceBackend.InferenceBackend.of({
        name: "onnxruntime-node",
        load: (model, session = {}) =>
          Effect.tryPromise({
            try: () => {
              const key = `${hashOf(model.bytes)}|${JSON.stringify({ ...session, warmup: !!session.warmup })}`
              let pending = cache.get(key)
              if (pending === undefined) {
                pending = create(model, session)
                cache.set(key, pending)
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
                    : `loading "${model.ref.name}" (${model.ref.uri}) into onnxruntime failed: ${e instanceof Error ? e.message : String(e)}; is it a valid ONNX file?`,
              }),
          }),
      })
    }),
  )
