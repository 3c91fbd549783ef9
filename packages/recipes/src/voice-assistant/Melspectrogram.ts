/**
 * openWakeWord's melspectrogram model as a stateful infer stage, the
 * upstream streaming way (openWakeWord 0.5.1, `AudioFeatures`): each 80 ms
 * chunk is run together with the 480 samples before it (none after a reset,
 * as upstream's empty buffer), which gives 8 new frames of 32 mel bins (5 for
 * a first chunk), transformed `mel / 10 + 2` as upstream does.
 *
 * On a fresh chunk the stage also hands on the mel of upstream's start-up
 * noise (4 s of int16 noise in ±1000), from which the next stage fills the
 * embedding history the classifier first sees. Upstream draws that noise at
 * random; here it is seeded, so scores are the same on every run.
 */
import {
  Infer,
  type InferenceBackend,
  InferenceError,
  type ModelRef,
  type Stage,
  Tensor,
} from "@edgeline/core"
import { Effect } from "effect"
import { messageOf } from "../internal/messageOf.js"
import { intNoise } from "../internal/noise.js"
import * as ModelOutput from "./ModelOutput.js"
import type { Tick } from "./WakeChunks.js"
import * as WakeModels from "./WakeModels.js"
import { CHUNK, CONTEXT, MEL_BINS, MEL_HOP, MEL_MIN_SAMPLES } from "./WakeModels.js"
import { WakeWordError } from "./WakeWordError.js"

export const STAGE = "wake-melspectrogram"

/** Start-up noise, as upstream: 4 s of 16 kHz int16 noise in [-1000, 1000). */
export const PRIME_SAMPLES = 4 * WakeModels.SAMPLE_RATE
const PRIME_SEED = 0x0eec0de

/** One chunk's mel frames. */
export interface Mel {
  /** `count` frames × 32 bins, transformed `mel / 10 + 2`. */
  readonly frames: Float32Array
  readonly count: number
  /** On a fresh chunk: the mel frames of the start-up noise (count × 32). */
  readonly prime?: Float32Array | undefined
}

/** Frames the model gives for `samples` samples. */
export const framesFor = (samples: number): number =>
  samples < MEL_MIN_SAMPLES ? 0 : 1 + Math.floor((samples - MEL_MIN_SAMPLES) / MEL_HOP)

interface State {
  /** [context | chunk]: the last 480 samples of the previous chunk, then this one. */
  readonly window: Float32Array
  /** Context samples held (0 after a reset). */
  context: number
  prime: Float32Array | undefined
}

/** Runs the model on `audio` (int16-range floats); its frames, transformed. */
const melOf = async (
  session: InferenceBackend.Session,
  audio: Float32Array,
): Promise<Float32Array> => {
  const expected = framesFor(audio.length)
  const data = await ModelOutput.run(session, Tensor.float32(audio, [1, audio.length]), {
    role: "the melspectrogram model",
    inputName: "input",
    fits: (output, data) =>
      output.dims[output.dims.length - 1] === MEL_BINS && data.length === expected * MEL_BINS,
    gives: `for ${audio.length} samples an openWakeWord melspectrogram gives float32 [1, 1, ${expected}, ${MEL_BINS}]`,
  })
  const frames = new Float32Array(data.length)
  for (let i = 0; i < data.length; i++) frames[i] = data[i]! / 10 + 2
  return frames
}

export type MelStage = Stage.Stage<
  ReadonlyArray<Tick<Float32Array>>,
  ReadonlyArray<Tick<Mel>>,
  Infer.InferError | WakeWordError,
  Infer.InferServices
>

export const make = (options: { readonly model?: ModelRef.ModelRef | undefined } = {}): MelStage =>
  Infer.inferStateful({
    name: STAGE,
    model: options.model ?? WakeModels.melspectrogram,
    initial: (): State => ({
      window: new Float32Array(CONTEXT + CHUNK),
      context: 0,
      prime: undefined,
    }),
    step: (session, state, ticks: ReadonlyArray<Tick<Float32Array>>) =>
      Effect.tryPromise({
        try: async () => {
          const out: Array<Tick<Mel>> = []
          const { window } = state
          for (const tick of ticks) {
            let prime: Float32Array | undefined
            if (tick.fresh) {
              state.context = 0
              state.prime ??= await melOf(session, intNoise(PRIME_SAMPLES, -1000, 1000, PRIME_SEED))
              prime = state.prime
            }
            window.set(tick.value, CONTEXT)
            const frames = await melOf(session, window.subarray(CONTEXT - state.context))
            // The last 480 samples become the next chunk's context.
            window.copyWithin(0, CHUNK)
            state.context = CONTEXT
            out.push({
              start: tick.start,
              fresh: tick.fresh,
              value: { frames, count: frames.length / MEL_BINS, prime },
            })
          }
          return out
        },
        catch: (e) =>
          e instanceof InferenceError || e instanceof WakeWordError
            ? e
            : new InferenceError({
                model: session.model,
                message: `wake word: the melspectrogram failed: ${messageOf(e)}`,
              }),
      }),
  })
