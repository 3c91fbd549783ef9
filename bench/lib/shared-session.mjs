// The runtime for a pipeline that borrows an onnxruntime-node session made
// elsewhere (the raw loop's), so pipeline and raw loop run the very same
// native session. Two sessions of one model, made the same way, run a few
// per cent apart for their whole life (measured: ±2 % between identical raw
// loops on different sessions in one process), which would swamp the
// framework's own cost. It is `NodeRuntime.layer()` in all but one thing:
// the backend is given this session instead of creating one. Closing the
// pipeline's runtime releases the session.
import { ModelSources, OnnxBackend } from "@edgeline/runtime-node"
import { Layer } from "effect"

/** `NodeRuntime.layer()` whose backend serves every model from `session`. */
export const sharedSessionLayer = (session) =>
  Layer.mergeAll(
    OnnxBackend.layerWith(async () => session),
    ModelSources.layer(),
  )
