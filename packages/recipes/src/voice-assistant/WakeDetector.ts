/**
 * Scores to wake events: a wake when a chunk's score reaches the threshold,
 * at most one per refractory period (upstream-like debounce). As upstream
 * `Model.predict` does, the first 5 predictions after the start or a reset
 * count as 0 while the buffers fill with real audio.
 */
import { Stage } from "@edgeline/core"
import { Effect } from "effect"
import type { Tick } from "./WakeChunks.js"
import type { Prediction } from "./WakeClassifier.js"
import { CHUNK, SAMPLE_RATE } from "./WakeModels.js"

export interface Options {
  /** Score that wakes (default 0.5). */
  readonly threshold?: number | undefined
  /** After a wake, no other for this long, in ms of the stream's clock (default 2000); resets do not end it. */
  readonly refractoryMs?: number | undefined
  /** Predictions after the start or a reset that count as 0 (default 5, as upstream). */
  readonly warmup?: number | undefined
}

/** One 80 ms chunk's score. */
export interface Score {
  /** Seconds on the stream's clock: the chunk's start and end (when the score is known). */
  readonly start: number
  readonly end: number
  /** 0..1; 0 during the warm-up. */
  readonly score: number
  /** The classifier's outputs as they came (during the warm-up too). */
  readonly probabilities: Float32Array
}

/** The wake word was heard. */
export interface Wake {
  /** Seconds on the stream's clock: the end of the chunk whose score woke. */
  readonly at: number
  readonly score: number
}

/** What one input gave: a score per completed 80 ms chunk and the wakes among them. */
export interface Detection {
  readonly scores: ReadonlyArray<Score>
  readonly wakes: ReadonlyArray<Wake>
}

interface State {
  /** Predictions since the start or the last reset. */
  seen: number
  lastWake: number | undefined
}

export const STAGE = "wake-detector"
const CHUNK_SEC = CHUNK / SAMPLE_RATE

export const make = (
  options: Options = {},
): Stage.Stage<ReadonlyArray<Tick<Prediction>>, Detection> => {
  const threshold = options.threshold ?? 0.5
  const refractory = (options.refractoryMs ?? 2000) / 1000
  const warmup = options.warmup ?? 5
  return Stage.preprocess({
    name: STAGE,
    initial: (): State => ({ seen: 0, lastWake: undefined }),
    step: (state, ticks: ReadonlyArray<Tick<Prediction>>) =>
      Effect.sync((): Detection => {
        const scores: Array<Score> = []
        const wakes: Array<Wake> = []
        for (const tick of ticks) {
          if (tick.fresh) state.seen = 0
          const score = state.seen < warmup ? 0 : tick.value.score
          state.seen++
          const end = tick.start + CHUNK_SEC
          scores.push({ start: tick.start, end, score, probabilities: tick.value.probabilities })
          if (
            score >= threshold &&
            (state.lastWake === undefined || end - state.lastWake >= refractory - 1e-9)
          ) {
            wakes.push({ at: end, score })
            state.lastWake = end
          }
        }
        return { scores, wakes }
      }),
  })
}
