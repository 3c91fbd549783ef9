/**
 * Cutting 16 kHz audio into fixed-size frames. Samples that do not fill a
 * frame wait for the next chunk; at the end of the stream the remainder is
 * zero-padded into one last frame, so no audio goes unclassified.
 */
import { Stage } from "@edgeline/core"
import { Effect } from "effect"
import { concatFloat32 } from "./Audio.js"

export interface Frames {
  /** Index of the first frame in the stream. */
  readonly first: number
  /** `count` frames of `size` samples, back to back. */
  readonly samples: Float32Array
  readonly count: number
  readonly size: number
  /** Real (not padding) samples among them. */
  readonly valid: number
}

const NO_SAMPLES = new Float32Array(0)

interface State {
  pending: Float32Array
  next: number
}

export const concatFrames = (a: Frames, b: Frames): Frames =>
  b.count === 0
    ? a
    : a.count === 0
      ? b
      : {
          first: a.first,
          samples: concatFloat32(a.samples, b.samples),
          count: a.count + b.count,
          size: a.size,
          valid: a.valid + b.valid,
        }

export const make = (size: number) =>
  Stage.preprocess({
    name: `frames-${size}`,
    initial: (): State => ({ pending: new Float32Array(0), next: 0 }),
    step: (state, samples: Float32Array) =>
      Effect.sync((): Frames => {
        const all = concatFloat32(state.pending, samples)
        const count = Math.floor(all.length / size)
        // A view, not a copy: stages copy whatever they keep beyond their step.
        const frames: Frames = {
          first: state.next,
          samples: all.length === count * size ? all : all.subarray(0, count * size),
          count,
          size,
          valid: count * size,
        }
        state.pending = all.length === count * size ? NO_SAMPLES : all.slice(count * size)
        state.next += count
        return frames
      }),
    flush: (state) =>
      Effect.sync((): Frames => {
        const valid = state.pending.length
        if (valid === 0)
          return { first: state.next, samples: new Float32Array(0), count: 0, size, valid }
        const last = new Float32Array(size)
        last.set(state.pending)
        state.pending = new Float32Array(0)
        return { first: state.next++, samples: last, count: 1, size, valid }
      }),
    concat: concatFrames,
  })
