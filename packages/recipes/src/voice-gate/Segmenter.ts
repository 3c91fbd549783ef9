/**
 * Frame probabilities to speech segments, with Silero's hangover rules:
 * speech starts at a frame above `threshold`; it ends only after
 * `minSilenceMs` (or `padMs`, if longer) below `threshold - 0.15`; segments shorter than
 * `minSpeechMs` are dropped; each kept segment is widened by `padMs` on both
 * sides (never overlapping the previous one). Works frame by frame, so a live
 * stream gets each segment, with its audio, as soon as it closes.
 */
import { Condense, type Stage } from "@edgeline/core"
import { Effect } from "effect"
import { concatFloat32, MODEL_RATE } from "../audio/Audio.js"
import { History } from "../audio/History.js"
import type { Scored } from "./SileroVad.js"

export interface Options {
  /** Speech probability that starts a segment (default 0.5). */
  readonly threshold?: number | undefined
  readonly minSpeechMs?: number | undefined
  readonly minSilenceMs?: number | undefined
  readonly padMs?: number | undefined
}

export interface Segment {
  /** Seconds from the start of the stream. */
  readonly start: number
  readonly end: number
  /** The segment's 16 kHz audio, padding included. */
  readonly audio: Float32Array
}

export interface Segmented {
  /** Segments that closed while processing this input. */
  readonly segments: ReadonlyArray<Segment>
  readonly firstFrame: number
  readonly probabilities: Float32Array
  /** 16 kHz samples this input carried. */
  readonly samples: number
}

interface State {
  triggered: boolean
  start: number
  silenceFrom: number | undefined
  lastEnd: number
  /** Audio still needed by segments open or about to open. */
  readonly history: History
}

const ms = (value: number) => Math.round((value * MODEL_RATE) / 1000)

export const concatSegmented = (a: Segmented, b: Segmented): Segmented => ({
  segments: [...a.segments, ...b.segments],
  firstFrame: a.firstFrame,
  probabilities: concatFloat32(a.probabilities, b.probabilities),
  samples: a.samples + b.samples,
})

export const make = (options: Options = {}): Stage.Stage<Scored, Segmented> => {
  const threshold = options.threshold ?? 0.5
  const negThreshold = Math.max(threshold - 0.15, 0.01)
  const minSpeech = ms(options.minSpeechMs ?? 250)
  const pad = ms(options.padMs ?? 30)
  // A segment closes only once its trailing pad has arrived, so that a live stream cuts
  // the same segments, with the same padding, as one whole input.
  const minSilence = Math.max(ms(options.minSilenceMs ?? 100), pad)

  const close = (state: State, end: number, into: Array<Segment>) => {
    if (end - state.start >= minSpeech) {
      const from = Math.max(state.lastEnd, state.start - pad, 0)
      const to = Math.min(end + pad, state.history.total)
      into.push({
        start: from / MODEL_RATE,
        end: to / MODEL_RATE,
        audio: state.history.copy(from, to),
      })
      state.lastEnd = to
    }
    state.triggered = false
    state.silenceFrom = undefined
  }

  /** Keeps only audio that a segment may still need: from the open segment's start, or the last pad. */
  const forgetOld = (state: State) => {
    state.history.forget(
      state.triggered
        ? Math.max(state.lastEnd, state.start - pad, 0)
        : Math.max(state.lastEnd, state.history.total - pad, 0),
    )
    // The input may be a view of the caller's buffer: keep our own copy of what we keep.
    state.history.own()
  }

  return Condense.condense({
    name: "speech-segments",
    initial: (): State => ({
      triggered: false,
      start: 0,
      silenceFrom: undefined,
      lastEnd: 0,
      history: new History(),
    }),
    step: (state, scored: Scored) =>
      Effect.sync((): Segmented => {
        const segments: Array<Segment> = []
        const frameStart0 = state.history.total
        state.history.append(scored.samples.subarray(0, scored.valid))
        for (let i = 0; i < scored.count; i++) {
          const p = scored.probabilities[i]!
          const start = frameStart0 + i * scored.size
          const end = Math.min(start + scored.size, state.history.total)
          if (p >= threshold) {
            state.silenceFrom = undefined
            if (!state.triggered) {
              state.triggered = true
              state.start = start
            }
          } else if (p < negThreshold && state.triggered) {
            state.silenceFrom ??= start
            if (end - state.silenceFrom >= minSilence) close(state, state.silenceFrom, segments)
          }
        }
        forgetOld(state)
        return {
          segments,
          firstFrame: scored.first,
          probabilities: scored.probabilities,
          samples: scored.valid,
        }
      }),
    flush: (state) =>
      Effect.sync((): Segmented => {
        const segments: Array<Segment> = []
        if (state.triggered) close(state, state.history.total, segments)
        return { segments, firstFrame: -1, probabilities: new Float32Array(0), samples: 0 }
      }),
    concat: concatSegmented,
    measure: (scored, out) => ({
      unit: "samples",
      before: scored?.valid ?? 0, // nothing comes in with the flush at the end
      after: out.segments.reduce((n, s) => n + s.audio.length, 0),
    }),
  })
}
