/**
 * `InferenceBackend` over onnxruntime-node: core's `OrtBackend` (no-copy
 * tensors, sha256-keyed session cache, warm-up, release with the scope) plus
 * how Node creates a session — on the CPU, with few threads, since small
 * models on few cores lose more to thread pools than they gain.
 */
import { createHash } from "node:crypto"
import { InferenceBackend, OrtBackend } from "@edgeline/core"
import { Layer } from "effect"
import * as ort from "onnxruntime-node"

export interface Options {
  /** Default threads inside one operator (1 suits small models on few cores). */
  readonly intraOpThreads?: number | undefined
}

/** The backend as a scoped Layer: closing the scope releases every session. */
export const layer = (options: Options = {}): Layer.Layer<InferenceBackend.InferenceBackend> =>
  Layer.effect(
    InferenceBackend.InferenceBackend,
    OrtBackend.make({
      name: "onnxruntime-node",
      Tensor: ort.Tensor,
      hash: (bytes) => createHash("sha256").update(bytes).digest("hex"),
      create: async (model, session) => ({
        provider: "cpu",
        session: await ort.InferenceSession.create(model.bytes, {
          intraOpNumThreads: session.intraOpThreads ?? options.intraOpThreads ?? 1,
          interOpNumThreads: 1,
          executionMode: "sequential",
          graphOptimizationLevel: "all",
          logSeverityLevel: 3,
        }),
      }),
    }),
  )
