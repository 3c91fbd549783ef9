// A stand-in for the Silero v5 onnxruntime session that answers at once: the
// same input and output names and shapes as the real one, a speech
// probability from the frame's loudness (so the segmenter still cuts
// segments and PCM16 still runs), and the state passed back unchanged. With
// it, a live push costs only JavaScript: the framework's share of the push,
// without onnxruntime's time per frame moving with it. A benchmark's
// instrument only, never a test double: the real model is what the rest of
// the benchmark runs.
import * as ort from "onnxruntime-node"
import { CONTEXT, FRAME } from "./silero-loop.mjs"

/** An `ort.InferenceSession`-shaped object with Silero v5's names whose `run` does almost nothing. */
export const createInstantSilero = () => ({
  inputNames: ["input", "state", "sr"],
  outputNames: ["output", "stateN"],
  run: async (feeds) => {
    const window = feeds.input.data
    let energy = 0
    for (let i = CONTEXT; i < CONTEXT + FRAME; i += 8) energy += Math.abs(window[i])
    const p = Math.min(1, (energy / (FRAME / 8)) * 20)
    return {
      output: new ort.Tensor("float32", Float32Array.of(p), [1, 1]),
      stateN: feeds.state,
    }
  },
  release: async () => {},
})
