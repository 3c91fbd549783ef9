// The baseline for the pipeline-overhead benchmark: Silero VAD v5 driven by a
// plain onnxruntime-node loop, as a hand-written integration would do it.
// Same model file, same session options as the runtime's OnnxBackend, same
// [1, 576] window (previous 64 samples + 512-sample frame), same state carry,
// same zero padding of a last partial frame.
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { SileroVad } from "@edgeline/recipes"
import { OnnxBackend } from "@edgeline/runtime-node"
import * as ort from "onnxruntime-node"
import { FRAME, scoreFrames } from "./silero-loop.mjs"

// The file the gate's own ref names (`npm:<package file>`).
const MODEL_PATH = createRequire(import.meta.url).resolve(SileroVad.model.uri.replace(/^npm:/, ""))

/** The runtime's own session options (CPU, one thread). */
export const SESSION_OPTIONS = OnnxBackend.sessionOptions()

/**
 * Loads the model (not part of any timing) and returns a frame-by-frame
 * scorer, with its session (to share with a pipeline: see shared-session.mjs).
 */
export const createRawSilero = async () => {
  const session = await ort.InferenceSession.create(await readFile(MODEL_PATH), SESSION_OPTIONS)
  /** Speech probability of each 512-sample frame of 16 kHz `samples`. */
  const run = (samples) => scoreFrames(ort, session, samples)

  // One frame so the first timed run does not pay ORT's lazy initialisation.
  await run(new Float32Array(FRAME))
  return { session, run, release: () => session.release() }
}
