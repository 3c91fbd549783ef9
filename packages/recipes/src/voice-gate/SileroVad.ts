/**
 * Silero VAD v5 as a stateful infer stage. As Silero's reference wrapper
 * does, each 512-sample frame is preceded by the previous frame's last 64
 * samples (input [1, 576]), and the recurrent state [2, 1, 128] is carried
 * from frame to frame and from chunk to chunk of a stream.
 */
import {
  Infer,
  type InferenceBackend,
  type InferenceError,
  ModelRef,
  Progress,
  type Stage,
  Tensor,
} from "@edgeline/core"
import * as SileroModel from "@edgeline/model-silero-vad"
import { Effect } from "effect"
import { MODEL_RATE } from "../audio/Audio.js"
import type { Frames } from "../audio/Frames.js"
import { scoringFailed } from "../internal/scoringFailed.js"
import * as StretchScore from "./StretchScore.js"

export const FRAME = 512
/** The stage's name: in its timings and progress events. */
export const STAGE = "silero-vad"
export const CONTEXT = 64
/** Below this speech probability throughout, a chunk is silence (a safe point to switch versions). */
const QUIET = 0.1

/**
 * Silero VAD v5, shipped in `@edgeline/model-silero-vad` (MIT), pinned by its
 * sha256: a source verifies the bytes, and the browser's cache answers
 * without the network once the model has been loaded. It resolves from this
 * module, so isolated installs (pnpm) find it too.
 */
export const model = ModelRef.make("silero_vad_v5", `npm:${SileroModel.specifier}`, {
  sha256: SileroModel.sha256,
  resolveFrom: import.meta.url,
})

export interface Scored extends Frames {
  /** Speech probability of each frame. */
  readonly probabilities: Float32Array
}

interface State {
  /** [context | frame], reused for every frame. */
  readonly window: Float32Array
  /**
   * The model's feeds: the window as its input (made once, so the backend
   * wraps it once), the recurrent state (carried from run to run) and the
   * sample rate.
   */
  feeds: Tensor.Feeds
  /** The last chunk was silence throughout: a safe point to switch to a newer model version. */
  quiet: boolean
}

/** Set when the step is interrupted: the loop stops at the next frame. */
interface StopFlag {
  readonly aborted: boolean
}

/** The `sr` feed: Silero v5 at 16 kHz. */
export const sampleRate = Tensor.int64(BigInt64Array.of(BigInt(MODEL_RATE)), [])

/**
 * How long frames are scored in a plain async loop before the Effect step
 * resumes: one fiber suspension per slice instead of per frame. Between
 * slices come progress and the chance to be cancelled, so a slow backend
 * (wasm in a browser) and a fast one (native) both report about ten times a
 * second and see a cancel within this time.
 */
const SLICE_MS = 100

/** Output name → the input it replaces: the recurrent state. */
const CARRY = { stateN: "state" }

/**
 * Scores frames from `first` on, carrying the context and the recurrent state,
 * until all are done, `SLICE_MS` has passed or `stop` is set; calls `done`
 * with the next frame to score, or `failed`. Callbacks rather than an async
 * function: a live stream runs this once per push, and each promise layer
 * between onnxruntime and the fiber showed in the framework's cost.
 */
const scoreSlice = (
  session: InferenceBackend.Session,
  state: State,
  frames: Frames,
  first: number,
  probabilities: Float32Array,
  stop: StopFlag,
  done: (next: number) => void,
  failed: (e: unknown) => void,
): void => {
  const until = Date.now() + SLICE_MS
  const { samples, count } = frames
  const { window } = state
  let running: Promise<InferenceBackend.StepsDone>
  try {
    running = session.runSteps({
      feeds: state.feeds,
      steps: count - first,
      carry: CARRY,
      prepare: (step) => {
        const i = first + step
        // A live push is usually one whole frame: no view to make for it.
        window.set(
          samples.length === FRAME ? samples : samples.subarray(i * FRAME, (i + 1) * FRAME),
          CONTEXT,
        )
      },
      read: (step, outputs) => {
        probabilities[first + step] = (outputs.output!.data as Float32Array)[0]!
        window.copyWithin(0, FRAME)
        // Stop at the next frame once interrupted: the runtime may be closing.
        return stop.aborted || Date.now() >= until
      },
    })
  } catch (e) {
    failed(e)
    return
  }
  running.then((result) => {
    state.feeds = result.feeds
    done(first + result.steps)
  }, failed)
}

/** Whether every value is below `limit`. */
const allBelow = (values: Float32Array, limit: number): boolean => {
  for (let i = 0; i < values.length; i++) if (!(values[i]! < limit)) return false
  return true
}

/** The feeds for one warm-up run after loading: one frame of silence from zero state. */
export const warmup: Tensor.Feeds = {
  input: Tensor.zeros("float32", [1, FRAME + CONTEXT]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: sampleRate,
}

/** The stage scores frames; it needs a backend and a model source. */
export type SileroStage = Stage.Stage<Frames, Scored, Infer.InferError, Infer.InferServices>

/**
 * How each input's frames are scored: `"sequential"`, frame after frame
 * (bit-identical to Silero's reference loop; the default), or `"batched"`, in
 * stretches scored side by side (`StretchScore`; pass its options to tune it).
 */
export type Scoring = "sequential" | "batched" | StretchScore.Options

export const make = (
  options: {
    readonly model?: ModelRef.ModelRef | undefined
    readonly scoring?: Scoring | undefined
    /**
     * Threads inside one model call (default: the runtime's own, one on
     * Node). Batched calls are large enough for a second one to pay on an
     * idle core; with the core busy it costs more than it saves.
     */
    readonly threads?: number | undefined
  } = {},
): SileroStage => {
  const scoring = options.scoring ?? "sequential"
  const stretches =
    scoring === "sequential"
      ? undefined
      : StretchScore.resolve(scoring === "batched" ? {} : scoring)
  return Infer.inferStateful({
    name: STAGE,
    model: options.model ?? model,
    // No thread count: each runtime picks its own (one on Node), and a backend that cannot apply one would warn.
    session: options.threads === undefined ? { warmup } : { warmup, threads: options.threads },
    // A live stream takes a newer model version after a silent chunk: restarting
    // the recurrent state there changes nothing a segment depends on.
    switchAt: (state) => state.quiet,
    initial: (): State => {
      const window = new Float32Array(FRAME + CONTEXT)
      return {
        window,
        quiet: true,
        feeds: {
          input: Tensor.float32(window, [1, FRAME + CONTEXT]),
          state: Tensor.zeros("float32", [2, 1, 128]),
          sr: sampleRate,
        },
      }
    },
    // Built from Effect primitives rather than Effect.gen: a live stream runs
    // this once per 512-sample push, where the generator, the per-slice
    // interrupt wrapper and the result's spread showed in the framework's cost.
    step: (session, state, frames: Frames) =>
      Effect.withFiber((fiber) => {
        const listener = fiber.getRef(Progress.Reporter)
        const { count } = frames
        const probabilities = new Float32Array(count)
        // A plain flag rather than an AbortSignal: creating an AbortController
        // per push costs more than a frame's JS.
        const stop = { aborted: false }
        const finish = (): Effect.Effect<Scored> => {
          state.quiet = allBelow(probabilities, QUIET)
          return Effect.succeed({
            first: frames.first,
            samples: frames.samples,
            count,
            size: frames.size,
            valid: frames.valid,
            probabilities,
          })
        }
        const slice = (from: number): Effect.Effect<Scored, InferenceError> =>
          Effect.flatMap(
            Effect.callback<number, InferenceError>((resume) => {
              scoreSlice(
                session,
                state,
                frames,
                from,
                probabilities,
                stop,
                (next) => resume(Effect.succeed(next)),
                (e) => resume(Effect.fail(scoringFailed(session, "scoring frames", e))),
              )
              // On interruption: stop at the next frame.
              return Effect.sync(() => {
                stop.aborted = true
              })
            }),
            (done) => {
              if (listener !== undefined) {
                Progress.notify(listener, { scope: "stage", name: STAGE, done, total: count })
              }
              // Let the event loop in: onnxruntime-web settles runs as microtasks,
              // so without this a worker would not see a cancel until the end.
              return done < count
                ? Effect.andThen(
                    Effect.yieldNow,
                    Effect.suspend(() => slice(done)),
                  )
                : finish()
            },
          )
        if (count === 0) return finish()
        const layout = stretches && StretchScore.layout(count, stretches)
        if (layout === undefined) return slice(0)
        // Batched: every frame in one pass of stretches side by side.
        return Effect.flatMap(
          StretchScore.score(session, layout, frames, state, probabilities, {
            sliceMs: SLICE_MS,
            report: (done) => {
              if (listener !== undefined) {
                Progress.notify(listener, { scope: "stage", name: STAGE, done, total: count })
              }
            },
          }),
          (feeds) => {
            state.feeds = feeds
            return finish()
          },
        )
      }),
  })
}
