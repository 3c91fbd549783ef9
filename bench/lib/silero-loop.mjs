// Silero VAD v5 frame by frame on any onnxruntime (node or web: both have
// onnxruntime-common's API): the [1, 576] window of 64 context + 512 new
// samples, the recurrent state carried, a last partial frame zero-padded.
// The baseline the pipeline is measured against, shared by Node and browser.
import { SileroVad } from "@edgeline/recipes"

export const { FRAME, CONTEXT } = SileroVad

/** Speech probability of each 512-sample frame of 16 kHz `audio`. */
export const scoreFrames = async (ort, session, audio) => {
  const count = Math.ceil(audio.length / FRAME)
  const probabilities = new Float32Array(count)
  const window = new Float32Array(CONTEXT + FRAME)
  const input = new ort.Tensor("float32", window, [1, CONTEXT + FRAME])
  const sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), [])
  let state = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128])
  for (let i = 0; i < count; i++) {
    const frame = audio.subarray(i * FRAME, (i + 1) * FRAME)
    if (frame.length < FRAME) window.fill(0, CONTEXT)
    window.set(frame, CONTEXT)
    const out = await session.run({ input, state, sr })
    probabilities[i] = out.output.data[0]
    state = out.stateN
    window.copyWithin(0, FRAME)
  }
  return probabilities
}
