/**
 * `InferenceBackend` over onnxruntime-node: the shared ORT adapter
 * (`@edgeline/ort`) plus how Node creates a session — on the CPU, with few
 * threads, since small models on few cores lose more to thread pools than
 * they gain.
 *
 * Neutral options: `threads` sets ORT's intra-op threads; `device: "gpu"`
 * gives a warning (this build runs on the CPU). ORT's own session options go
 * in `backendOptions["onnxruntime-node"]`, e.g. `{ graphOptimizationLevel: "basic" }`.
 */
import { InferenceBackend, type ModelRef } from "@edgeline/core"
import { OrtBackend } from "@edgeline/ort"
import { Layer } from "effect"
import * as ort from "onnxruntime-node"
import { sha256 } from "./Sha256.js"

/** The backend's name, and its key in `SessionOptions.backendOptions`. */
export const NAME = "onnxruntime-node"

export interface Options {
  /** Default threads inside one operator when a stage sets none (1 suits small models on few cores). */
  readonly threads?: number | undefined
  /**
   * Makes the sessions instead of the backend, e.g. to serve one made
   * elsewhere (a benchmark's baseline shares its own). Closing the scope
   * releases them all the same.
   */
  readonly createSession?: CreateSession | undefined
}

/** The onnxruntime-node session options the backend uses: CPU, sequential, `threads` intra-op threads. */
export const sessionOptions = (threads = 1): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
})

/** A stage's load options as onnxruntime-node session options: `sessionOptions(threads)`, then its own per-backend options. */
export const ortSessionOptions = (
  load: InferenceBackend.LoadOptions,
): ort.InferenceSession.SessionOptions => ({
  ...sessionOptions(load.threads),
  ...(load.own as ort.InferenceSession.SessionOptions),
})

/** How the backend gets an onnxruntime-node session for model bytes; `threads` is resolved (the stage's, else the layer's). */
export type CreateSession = (
  model: ModelRef.ModelBytes,
  options: InferenceBackend.LoadOptions,
) => Promise<ort.InferenceSession>

const gpuWarning = (options: InferenceBackend.SessionOptions): Array<InferenceBackend.Warning> =>
  options.device === "gpu"
    ? [
        {
          setting: "device",
          message: `${NAME} runs on the CPU here: "device: gpu" has no effect (onnxruntime-node's CPU build)`,
        },
      ]
    : []

/** The backend as a scoped Layer: closing the scope releases every session. */
export const layer = (options: Options = {}): Layer.Layer<InferenceBackend.InferenceBackend> => {
  const create: CreateSession =
    options.createSession ??
    ((model, session) => ort.InferenceSession.create(model.bytes, ortSessionOptions(session)))
  return Layer.effect(
    InferenceBackend.InferenceBackend,
    OrtBackend.make({
      name: NAME,
      Tensor: ort.Tensor,
      hash: sha256,
      // "device" is read here (to warn on "gpu"), so the constructor does not warn again.
      options: ["threads", "device"],
      create: async (model, session) => ({
        provider: "cpu",
        session: await create(model, { ...session, threads: session.threads ?? options.threads }),
        warnings: gpuWarning(session),
      }),
    }),
  )
}
