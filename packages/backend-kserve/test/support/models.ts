/** The models the test server serves: Silero VAD v5, the voice gate's model, from its package. */
import { fileURLToPath } from "node:url"
import type { ServedModel } from "./kserveServer.js"

export const sileroPath = fileURLToPath(
  import.meta.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx"),
)

export const served: ReadonlyArray<ServedModel> = [
  { name: "silero_vad_v5", version: "5", path: sileroPath },
  // Loaded but not ready, as a server that is still warming a model up answers.
  { name: "warming_up", version: "1", path: sileroPath, ready: false },
]
