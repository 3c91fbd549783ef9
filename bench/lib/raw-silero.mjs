// The baseline for the pipeline-overhead benchmark: Silero VAD v5 driven by a
// plain onnxruntime-node loop, as a hand-written integration would do it.
// Same model file, same session options as the runtime's OnnxBackend, same
// [1, 576] window (previous 64 samples + 512-sample frame), same state carry,
// same zero padding of a last partial frame.
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as ort from "onnxruntime-node"

export const FRAME = 512
export const CONTEXT = 64

export const MODEL_PATH = createRequire(import.meta.url).resolve(
  "@ricky0123/vad-web/dist/silero_vad_v5.onnx",
)

export const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
}

/** Loads the model (not part of any timing) and returns a frame-by-frame scorer. */
export const createRawSilero = async () => {
  const session = await ort.InferenceSession.create(await readFile(MODEL_PATH), SESSION_OPTIONS)
  const sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), [])

  /** Speech probability of each 512-sample frame of 16 kHz `samples`. */
  const run = async (samples) => {
    const count = Math.ceil(samples.length / FRAME)
    const probabilities = new Float32Array(count)
    const window = new Float32Array(CONTEXT + FRAME)
    const input = new ort.Tensor("float32", window, [1, CONTEXT + FRAME])
    let state = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128])
    for (let i = 0; i < count; i++) {
      const frame = samples.subarray(i * FRAME, (i + 1) * FRAME)
      if (frame.length < FRAME) window.fill(0, CONTEXT)
      window.set(frame, CONTEXT)
      const out = await session.run({ input, state, sr })
      probabilities[i] = out.output.data[0]
      state = out.stateN
      window.copyWithin(0, FRAME)
    }
    return probabilities
  }

  // One frame so the first timed run does not pay ORT's lazy initialisation.
  await run(new Float32Array(FRAME))
  return { run, release: () => session.release() }
}
