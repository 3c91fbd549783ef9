/**
 * `InferenceBackend` over onnxruntime-node: core's `OrtBackend` (no-copy
 * tensors, sha256-keyed session cache, warm-up, release with the scope) plus
 * how Node creates a session — on the CPU, with few threads, since small
 * models on few cores lose more to thread pools than they gain.
 */
import { InferenceBackend, type ModelRef, OrtBackend } from "@edgeline/core"
import { Layer } from "effect"
import * as ort from "onnxruntime-node"
import { sha256 } from "./Sha256.js"

export interface Options {
  /** Default threads inside one operator (1 suits small models on few cores). */
  readonly intraOpThreads?: number | undefined
  /**
   * Makes the sessions instead of the backend, e.g. to serve one made
   * elsewhere (a benchmark's baseline shares its own). Closing the scope
   * releases them all the same.
   */
  readonly createSession?: CreateSession | undefined
}

/** The onnxruntime-node session options the backend uses: CPU, sequential, `intraOpThreads` threads. */
export const sessionOptions = (intraOpThreads = 1): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: intraOpThreads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
})

/** How the backend gets an onnxruntime-node session for model bytes. */
export type CreateSession = (
  model: ModelRef.ModelBytes,
  options: InferenceBackend.SessionOptions,
) => Promise<ort.InferenceSession>

/** The backend as a scoped Layer: closing the scope releases every session. */
export const layer = (options: Options = {}): Layer.Layer<InferenceBackend.InferenceBackend> => {
  const create: CreateSession =
    options.createSession ??
    ((model, session) =>
      ort.InferenceSession.create(
        model.bytes,
        sessionOptions(session.intraOpThreads ?? options.intraOpThreads),
      ))
  return Layer.effect(
    InferenceBackend.InferenceBackend,
    OrtBackend.make({
      name: "onnxruntime-node",
      Tensor: ort.Tensor,
      hash: sha256,
      create: async (model, session) => ({
        provider: "cpu",
        session: await create(model, session),
      }),
    }),
  )
}
