// The runtime for a pipeline that borrows an onnxruntime-node session made
// elsewhere (the raw loop's), so pipeline and raw loop run the very same
// native session. Two sessions of one model, made the same way, run a few
// per cent apart for their whole life (measured: ±2 % between identical raw
// loops on different sessions in one process), which would swamp the
// framework's own cost. It is `NodeRuntime.layer()` in all but one thing:
// core's `OrtBackend` is given this session instead of creating one.
// Closing the pipeline's runtime releases the session.
import { createHash } from "node:crypto"
import { InferenceBackend, OrtBackend } from "@edgeline/core"
import { ModelSources } from "@edgeline/runtime-node"
import { Layer } from "effect"
import * as ort from "onnxruntime-node"

/** `NodeRuntime.layer()` whose backend serves every model from `session`. */
export const sharedSessionLayer = (session) =>
  Layer.mergeAll(
    Layer.effect(
      InferenceBackend.InferenceBackend,
      OrtBackend.make({
        name: "onnxruntime-node (shared session)",
        Tensor: ort.Tensor,
        hash: (bytes) => createHash("sha256").update(bytes).digest("hex"),
        create: async () => ({ provider: "cpu", session }),
      }),
    ),
    ModelSources.layer(),
  )
