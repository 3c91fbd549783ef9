/**
 * Silero VAD v5 as a stateful infer stage. As Silero's reference wrapper
 * does, each 512-sample frame is preceded by the previous frame's last 64
 * samples (input [1, 576]), and the recurrent state [2, 1, 128] is carried
 * from frame to frame and from chunk to chunk of a stream.
 */
import { Infer, ModelRef, Progress, Tensor } from "@edgeline/core"
import { Effect } from "effect"
import type { Frames } from "../audio/Frames.js"

export const FRAME = 512
export const CONTEXT = 64

/** The v5 model file shipped inside `@ricky0123/vad-web`. */
export const model = ModelRef.make(
  "silero_vad_v5",
  "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx",
)

export interface Scored extends Frames {
  /** Speech probability of each frame. */
  readonly probabilities: Float32Array
}

interface State {
  rnn: Tensor.Tensor<"float32">
  /** [context | frame], reused for every frame. */
  readonly window: Float32Array
}

const sampleRate = Tensor.int64(BigInt64Array.from([16000n]), [])
const PROGRESS_EVERY = 256

const warmup: Tensor.Feeds = {
  input: Tensor.zeros("float32", [1, FRAME + CONTEXT]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: sampleRate,
}

export const make = (options: { readonly model?: ModelRef.ModelRef | undefined } = {}) =>
  Infer.inferStateful({
    name: "silero-vad",
    model: options.model ?? model,
    session: { intraOpThreads: 1, warmup },
    initial: (): State => ({
      rnn: Tensor.zeros("float32", [2, 1, 128]),
      window: new Float32Array(FRAME + CONTEXT),
    }),
    step: (session, state, frames: Frames) =>
      Effect.gen(function* () {
        const probabilities = new Float32Array(frames.count)
        const input = Tensor.float32(state.window, [1, FRAME + CONTEXT])
        for (let i = 0; i < frames.count; i++) {
          const frame = frames.samples.subarray(i * FRAME, (i + 1) * FRAME)
          state.window.set(frame, CONTEXT)
          const out = yield* session.run({ input, state: state.rnn, sr: sampleRate })
          probabilities[i] = (out.output!.data as Float32Array)[0]!
          state.rnn = out.stateN as Tensor.Tensor<"float32">
          state.window.copyWithin(0, FRAME)
          if ((i + 1) % PROGRESS_EVERY === 0) {
            yield* Progress.report({ stage: "silero-vad", done: i + 1, total: frames.count })
          }
        }
        yield* Progress.report({ stage: "silero-vad", done: frames.count, total: frames.count })
        return { ...frames, probabilities }
      }),
  })
