/**
 * Batched scoring of a whole input with Silero VAD v5: the frames are split
 * into stretches that advance in lockstep, one model call per step with one
 * batch row per stretch (input [K, 576], each row with its own 64-sample
 * context; state [2, K, 128]). A call on K rows costs far less than K calls
 * on one, so a whole file is scored several times faster than frame by frame.
 *
 * The first stretch continues the carried state, exactly as the sequential
 * loop would. Every other stretch starts from zero state a few frames early
 * (its warm-up, whose probabilities are discarded), on the real audio before
 * it. Silero's recurrent state never quite forgets, so a stretch's
 * probabilities are close to, not equal to, the sequential ones: use
 * sequential scoring where results must be bit-identical.
 *
 * Every row runs the same number of steps: the last stretch, shorter than the
 * others, gets a longer warm-up instead, so no call carries padding and the
 * state after the last step is the state after the input's last frame (what
 * the next chunk of a stream continues from).
 *
 * Platform-neutral: only `InferenceBackend.Session.runSteps`, so it runs the
 * same on onnxruntime-node and on onnxruntime-web in a browser worker.
 */
import { type InferenceBackend, type InferenceError, Tensor } from "@edgeline/core"
import { Effect } from "effect"
import type { Frames } from "../audio/Frames.js"
import { scoringFailed } from "../internal/scoringFailed.js"

export interface Options {
  /**
   * Most stretches, i.e. rows per model call (default 16). On onnxruntime-node
   * one thread, a frame costs 127 µs alone, 50 µs in a call of 8 rows, 44 in
   * one of 16 and 40 in one of 64, while each stretch adds a warm-up and a
   * join: beyond 16 the warm-ups eat what the batch saves.
   */
  readonly stretches?: number | undefined
  /**
   * Frames each stretch but the first is run on before its own, from zero
   * state (default 32, about 1 s). Measured on the fixtures: the first frames
   * after a cold start are off by up to 0.9, after 32 frames rarely by more
   * than 0.1, and a longer warm-up buys little more (Silero's state never
   * quite forgets: some difference stays for hundreds of frames).
   */
  readonly warmupFrames?: number | undefined
  /**
   * Shortest stretch (default 224 frames, about 7 s): an input too short for
   * two is scored sequentially, and a longer one gets no more stretches than
   * it has room for, so warm-ups stay a small share and joins few (a 60 s
   * recording gets 8, ten minutes 16). Each join may shift a segment
   * boundary: measured, 8 stretches on 60 s kept every segment within one
   * frame, 16 moved some by up to 3 frames for no gain in speed.
   */
  readonly minStretchFrames?: number | undefined
}

export const DEFAULTS = { stretches: 16, warmupFrames: 32, minStretchFrames: 224 } as const

/** The options checked, defaults filled in. */
export interface Resolved {
  readonly stretches: number
  readonly warmupFrames: number
  readonly minStretchFrames: number
}

/** Where each stretch runs: all rows take `steps` steps; row k feeds frames from `fed[k]` and keeps them from `own[k]`. */
export interface Layout {
  readonly rows: number
  readonly steps: number
  /** First frame each row is fed (its warm-up's first frame). */
  readonly fed: ReadonlyArray<number>
  /** First frame whose probability each row keeps. */
  readonly own: ReadonlyArray<number>
}

const checked = (name: string, value: number, least: number): number => {
  if (!Number.isInteger(value) || value < least) {
    throw new RangeError(`StretchScore: ${name} must be an integer >= ${least}, got ${value}`)
  }
  return value
}

/** Validates the options once, when the stage is made: a bad value fails at once, not mid-file. */
export const resolve = (options: Options = {}): Resolved => ({
  stretches: checked("stretches", options.stretches ?? DEFAULTS.stretches, 1),
  warmupFrames: checked("warmupFrames", options.warmupFrames ?? DEFAULTS.warmupFrames, 0),
  minStretchFrames: checked(
    "minStretchFrames",
    options.minStretchFrames ?? DEFAULTS.minStretchFrames,
    1,
  ),
})

/**
 * The stretches for `count` frames, or `undefined` when the input is too
 * short to split (score it sequentially). With K rows of T steps, row 0
 * keeps T frames and each later row T − warm-up, so
 * T = ⌈(count + (K − 1)·warm-up) / K⌉; the last row keeps what is left and
 * warms up on the rest of its T steps.
 */
export const layout = (count: number, options: Resolved): Layout | undefined => {
  const { warmupFrames: warmup, minStretchFrames } = options
  let rows = Math.min(options.stretches, Math.floor(count / minStretchFrames))
  for (; rows >= 2; rows--) {
    const steps = Math.ceil((count + (rows - 1) * warmup) / rows)
    const lastOwn = steps + (rows - 2) * (steps - warmup)
    // Rounding up can leave the last row nothing of its own: try one row fewer.
    if (steps > warmup && lastOwn < count) {
      const own = [0]
      for (let k = 1; k < rows; k++) own.push(steps + (k - 1) * (steps - warmup))
      // Each row ends where the next one's own frames begin, the last at the input's end.
      const fed = own.map((_, k) => (k === 0 ? 0 : (own[k + 1] ?? count) - steps))
      return { rows, steps, fed, own }
    }
  }
  return undefined
}

/** What the sequential loop carries from chunk to chunk, read and written here too. */
export interface Carried {
  /** [context | frame]: its first `window.length − frame size` samples are the context. */
  readonly window: Float32Array
  /** The model's feeds: `state` [2, 1, 128] and `sr` are read; the result's state replaces them. */
  readonly feeds: Tensor.Feeds
}

/** Set when the step is interrupted: the loop stops at the next step. */
interface StopFlag {
  aborted: boolean
}

/** One batched pass over one input, advanced slice by slice. */
interface Pass {
  readonly layout: Layout
  readonly frames: Frames
  readonly context: number
  readonly input: Float32Array
  feeds: Tensor.Feeds
  /** The last row's state after the last step: [2, 1, 128]. */
  readonly last: Float32Array
  readonly probabilities: Float32Array
  /** Steps done. */
  step: number
}

const STATE = 128

const start = (layout: Layout, frames: Frames, carried: Carried, probabilities: Float32Array) => {
  const { rows } = layout
  const context = carried.window.length - frames.size
  const width = context + frames.size
  const input = new Float32Array(rows * width)
  // Row 0 continues the carried state; the others start from zero.
  const state = new Float32Array(2 * rows * STATE)
  const carriedState = carried.feeds.state!.data as Float32Array
  for (let layer = 0; layer < 2; layer++) {
    state.set(carriedState.subarray(layer * STATE, (layer + 1) * STATE), layer * rows * STATE)
  }
  // Row 0's first context is the carried one: the end of the previous chunk.
  input.set(carried.window.subarray(0, context), 0)
  const pass: Pass = {
    layout,
    frames,
    context,
    input,
    feeds: {
      input: Tensor.float32(input, [rows, width]),
      state: Tensor.float32(state, [2, rows, STATE]),
      sr: carried.feeds.sr!,
    },
    last: new Float32Array(2 * STATE),
    probabilities,
    step: 0,
  }
  return pass
}

/** Writes step `t`'s window of every row: the 64 samples before its frame, then the frame. */
const prepare = (pass: Pass, t: number) => {
  const { layout, frames, context, input } = pass
  const { samples, size } = frames
  const width = context + size
  for (let k = 0; k < layout.rows; k++) {
    const f = layout.fed[k]! + t
    if (f === 0) {
      // The first frame of the input: its context is the carried one, already in place.
      input.set(samples.subarray(0, size), context)
    } else {
      input.set(samples.subarray(f * size - context, (f + 1) * size), k * width)
    }
  }
}

const read = (
  pass: Pass,
  t: number,
  outputs: Readonly<Record<string, InferenceBackend.StepOutput>>,
) => {
  const { layout, probabilities } = pass
  const output = outputs.output!.data as Float32Array
  for (let k = 0; k < layout.rows; k++) {
    const f = layout.fed[k]! + t
    if (f >= layout.own[k]!) probabilities[f] = output[k]!
  }
  if (t === layout.steps - 1) {
    const stateN = outputs.stateN!.data as Float32Array
    const { rows } = layout
    for (let layer = 0; layer < 2; layer++) {
      const at = (layer * rows + rows - 1) * STATE
      pass.last.set(stateN.subarray(at, at + STATE), layer * STATE)
    }
  }
}

/** Runs steps until all are done, `until` has passed or `stop` is set. */
const slice = async (
  session: InferenceBackend.Session,
  pass: Pass,
  until: number,
  stop: StopFlag,
): Promise<void> => {
  const first = pass.step
  const done = await session.runSteps({
    feeds: pass.feeds,
    steps: pass.layout.steps - first,
    carry: { stateN: "state" },
    prepare: (step) => prepare(pass, first + step),
    read: (step, outputs) => {
      read(pass, first + step, outputs)
      return stop.aborted || Date.now() >= until
    },
  })
  pass.feeds = done.feeds
  pass.step = first + done.steps
}

/**
 * Scores `frames` in stretches laid out by `layout`, into `probabilities`;
 * returns the feeds to carry on with (the state after the last frame) and
 * writes the last frame's end into `carried.window`'s context, as the
 * sequential loop leaves them. Works in slices of `sliceMs`, reporting frames
 * done to `report` after each and stopping at the next step once interrupted.
 */
export const score = (
  session: InferenceBackend.Session,
  layout: Layout,
  frames: Frames,
  carried: Carried,
  probabilities: Float32Array,
  options: { readonly sliceMs: number; readonly report: (done: number) => void },
): Effect.Effect<Tensor.Feeds, InferenceError> =>
  Effect.gen(function* () {
    const pass = start(layout, frames, carried, probabilities)
    const { steps } = layout
    while (pass.step < steps) {
      // A plain flag, as in the sequential loop: cheaper than an AbortController per slice.
      const stop: StopFlag = { aborted: false }
      const until = Date.now() + options.sliceMs
      yield* Effect.tryPromise({
        try: () => slice(session, pass, until, stop),
        catch: (e) => scoringFailed(session, "scoring frames in stretches", e),
      }).pipe(Effect.onInterrupt(() => Effect.sync(() => (stop.aborted = true))))
      options.report(Math.min(frames.count, Math.round((frames.count * pass.step) / steps)))
      // Let the event loop in (onnxruntime-web settles runs as microtasks): a cancel is seen.
      if (pass.step < steps) yield* Effect.yieldNow
    }
    const { samples, size } = frames
    const context = carried.window.length - size
    carried.window.set(samples.subarray(samples.length - context), 0)
    return { ...carried.feeds, state: Tensor.float32(pass.last, [2, 1, STATE]) }
  })
