// Worker entry for the worker benchmark: the whole-file voice gate served
// over worker_threads with the Node runtime.
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime, serveWorker } from "@edgeline/runtime-node"

serveWorker(VoiceGate.file, NodeRuntime.layer())
