/**
 * A Web Worker serving the recipes' message-triage cascade as a device app
 * would: `MessageTriage.make()` from @edgeline/recipes (the object Node
 * runs), on runtime-web's Layer (onnxruntime-web wasm; the student from
 * @edgeline/model-message-triage through a `?url` import) and core's
 * OpenAI-compatible CloudModel client. Its configuration comes in the
 * worker's name; the tap's records go out on a BroadcastChannel.
 */

import { OpenAiCloudModel } from "@edgeline/core"
import studentUrl from "@edgeline/model-message-triage/model.onnx?url"
import { MessageTriage, TriageStudent } from "@edgeline/recipes"
import { Layer } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { serveWorker, WebRuntime } from "../src/index.js"

export interface Config {
  /** The cloud tier's API base. */
  readonly baseUrl: string
  readonly model: string
  /** The BroadcastChannel the tap's `onLabelled` records go to. */
  readonly labelled: string
}

const config = JSON.parse(self.name) as Config
const labelled = new BroadcastChannel(config.labelled)

serveWorker(
  MessageTriage.make({ onLabelled: (item) => labelled.postMessage(item) }),
  Layer.mergeAll(
    WebRuntime.layer({
      wasmPaths: { wasm: wasmUrl },
      models: { [TriageStudent.model.uri]: studentUrl },
      executionProviders: ["wasm"],
    }),
    OpenAiCloudModel.layer({ baseUrl: config.baseUrl, model: config.model }),
  ),
)
