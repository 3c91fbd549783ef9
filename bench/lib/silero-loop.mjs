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

/**
 * `steps` model calls of `batch` rows each (input [batch, 576], state
 * [2, batch, 128] carried), row k on the frames from k × `steps` on (wrapping
 * round the audio): the model's own cost per frame in a batched call, as
 * StretchScore makes them. Returns the last call's probabilities.
 */
export const scoreBatch = async (ort, session, audio, batch, steps) => {
  const width = CONTEXT + FRAME
  const frames = Math.floor(audio.length / FRAME)
  const windows = new Float32Array(batch * width)
  const input = new ort.Tensor("float32", windows, [batch, width])
  const sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), [])
  let state = new ort.Tensor("float32", new Float32Array(2 * batch * 128), [2, batch, 128])
  let out
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < batch; k++) {
      const f = (k * steps + t) % frames
      // The first frame has no context before it: zeros, as the gate starts.
      if (f === 0) windows.fill(0, k * width, k * width + CONTEXT)
      const from = Math.max(0, f * FRAME - CONTEXT)
      windows.set(audio.subarray(from, (f + 1) * FRAME), k * width + (f === 0 ? CONTEXT : 0))
    }
    out = await session.run({ input, state, sr })
    state = out.stateN
  }
  return out.output.data
}
