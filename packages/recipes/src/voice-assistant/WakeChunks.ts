/**
 * The wake-word detector's input and its first stage: 16 kHz audio of any
 * chunk size cut into the 80 ms chunks (1280 samples) that openWakeWord
 * scores, as int16-range floats (upstream feeds 16-bit PCM values). Samples
 * that do not fill a chunk wait for the next input; a reset drops them.
 */
import { Stage } from "@edgeline/core"
import { Effect, Schema } from "effect"
import { CHUNK, SAMPLE_RATE } from "./WakeModels.js"
import { WakeWordError } from "./WakeWordError.js"

/** What the detector is fed. */
export interface Input {
  /** 16 kHz mono samples in [-1, 1] (louder ones are clipped), any number of them. */
  readonly samples: Float32Array
  /**
   * Start afresh before these samples: the audio context, the mel and
   * embedding buffers and the warm-up all restart, and samples still waiting
   * to fill a chunk are dropped. For audio that does not follow the previous
   * input (e.g. the next speech segment after a gap the detector did not hear).
   */
  readonly reset?: boolean | undefined
  /** Seconds on the stream's clock of the first sample (default: right after the previous input's). */
  readonly at?: number | undefined
}

/** One 80 ms step of the detector, as each stage passes it on. */
export interface Tick<A> {
  /** Seconds on the stream's clock where the chunk starts. */
  readonly start: number
  /** The first chunk after the start of the stream or a reset: stages start afresh. */
  readonly fresh: boolean
  readonly value: A
}

interface State {
  /** Samples (int16 range) waiting to fill a chunk. */
  readonly pending: Float32Array
  filled: number
  /** Clock: `base` seconds plus `offset` samples at the next sample. */
  base: number
  offset: number
  fresh: boolean
}

/** The input that resets the detector, its next sample at `at` seconds (default: where the clock is). */
export const reset = (at?: number): Input => ({ samples: new Float32Array(0), reset: true, at })

const INT16 = 32768

export const STAGE = "wake-chunks"

/** What an input must be: checked at the pipeline's entry and at worker boundaries. */
export const InputSchema = Schema.Struct({
  samples: Schema.instanceOf(Float32Array, { expected: "16 kHz mono samples in a Float32Array" }),
  reset: Schema.optional(Schema.Boolean),
  at: Schema.optional(Schema.Number),
})

export const stage: Stage.Stage<
  Input,
  ReadonlyArray<Tick<Float32Array>>,
  WakeWordError
> = Stage.preprocess({
  name: STAGE,
  input: InputSchema,
  initial: (): State => ({
    pending: new Float32Array(CHUNK),
    filled: 0,
    base: 0,
    offset: 0,
    fresh: true,
  }),
  step: (state, input: Input) =>
    Effect.suspend(() => {
      const { samples } = input
      if (input.at !== undefined && !Number.isFinite(input.at)) {
        return Effect.fail(
          new WakeWordError({
            problem: "invalid-time",
            message: `wake word: "at" must be a finite number of seconds, got ${input.at}`,
          }),
        )
      }
      for (let i = 0; i < samples.length; i++) {
        if (!Number.isFinite(samples[i]!)) {
          return Effect.fail(
            new WakeWordError({
              problem: "invalid-samples",
              message: `wake word: sample ${i} of the input is ${samples[i]}; give finite samples in [-1, 1]`,
            }),
          )
        }
      }
      if (input.reset === true || input.at !== undefined) {
        // Where the next sample falls, unless `at` says otherwise; samples
        // waiting for a chunk keep their place before it (a reset drops them).
        const next = input.at ?? state.base + (state.offset + state.filled) / SAMPLE_RATE
        if (input.reset === true) {
          state.filled = 0
          state.fresh = true
        }
        state.base = next - state.filled / SAMPLE_RATE
        state.offset = 0
      }
      const ticks: Array<Tick<Float32Array>> = []
      const { pending } = state
      for (let i = 0; i < samples.length; ) {
        const take = Math.min(CHUNK - state.filled, samples.length - i)
        for (let k = 0; k < take; k++) {
          const x = samples[i + k]! * INT16
          pending[state.filled + k] = Math.min(32767, Math.max(-32768, x))
        }
        state.filled += take
        i += take
        if (state.filled === CHUNK) {
          ticks.push({
            start: state.base + state.offset / SAMPLE_RATE,
            fresh: state.fresh,
            value: pending.slice(),
          })
          state.fresh = false
          state.filled = 0
          state.offset += CHUNK
        }
      }
      return Effect.succeed(ticks)
    }),
})
