// The runtime for a pipeline that borrows an onnxruntime-node session made
// elsewhere (the raw loop's), so pipeline and raw loop run the very same
// native session. Two sessions of one model, made the same way, run a few
// per cent apart for their whole life (measured: ±2 % between identical raw
// loops on different sessions in one process), which would swamp the
// framework's own cost. It is `NodeRuntime.layer()` given this session to
// serve instead of creating one; closing the pipeline's runtime releases it.
import { NodeRuntime } from "@edgeline/runtime-node"

/** `NodeRuntime.layer()` whose backend serves every model from `session`. */
export const sharedSessionLayer = (session) =>
  NodeRuntime.layer({ createSession: async () => session })
