/**
 * Silero VAD v5 scoring the frames of many streams in shared model calls:
 * each call takes one frame of every stream in the batch ([n, 576] in,
 * [2, n, 128] state), while each stream keeps its own recurrent state and
 * 64-sample context, gathered into its row for the call and scattered back
 * after it. A stream's probabilities are those it would get alone, up to the
 * engine's rounding (batched kernels sum in another order).
 */
import { type InferenceBackend, Tensor } from "@edgeline/core"
import { concatFrames, type Frames } from "../audio/Frames.js"
import { scoringFailed } from "../internal/scoringFailed.js"
import { CONTEXT, FRAME, sampleRate } from "./SileroVad.js"

/** Most streams scored in one call by default: past 64 rows a call gains little per frame. */
export const DEFAULT_MAX_BATCH = 64

/** Silero v5's recurrent state per stream and layer. */
const STATE = 128
const ROW = FRAME + CONTEXT

/** One stream's own part of the model: what a call gathers into its row and scatters back. */
export interface StreamState {
  /** The last 64 samples of the stream's previous frame. */
  readonly context: Float32Array
  /** Its recurrent state, [2, 1, 128] flat. */
  readonly recurrent: Float32Array
}

/** A stream before its first frame: zero context, zero state (as the one-stream stage starts). */
export const initial = (): StreamState => ({
  context: new Float32Array(CONTEXT),
  recurrent: new Float32Array(2 * STATE),
})

/** A stream's frames to score: those of its pushes, in order. */
export interface Row {
  readonly stream: StreamState
  readonly pieces: ReadonlyArray<Frames>
}

interface Job {
  readonly stream: StreamState
  readonly frames: Frames
  readonly probabilities: Float32Array
  next: number
}

/** A call's input and state buffers, for up to `rows` rows. */
interface Buffers {
  readonly rows: number
  readonly input: Float32Array
  readonly state: Float32Array
}

/**
 * The buffers of the last finished group, lent to the next one: a gateway
 * scores a batch every turn, and fresh ones per call (≈ 200 kB at 64 rows)
 * kept the garbage collector busy. A group that finds them lent out (calls
 * on other sessions interleaving) makes its own.
 */
let spare: Buffers | undefined

const borrow = (rows: number): Buffers => {
  const lent = spare
  if (lent !== undefined && lent.rows >= rows) {
    spare = undefined
    return lent
  }
  return { rows, input: new Float32Array(rows * ROW), state: new Float32Array(rows * 2 * STATE) }
}

const giveBack = (buffers: Buffers) => {
  if (spare === undefined || spare.rows < buffers.rows) spare = buffers
}

/**
 * Up to `maxBatch` rows, one call per round, each round taking the next
 * frame of every row not yet done. Its buffers are its own while it runs,
 * so calls on other sessions may interleave with it. (`set` of a view
 * copies faster than a plain loop here, view included.)
 */
const scoreGroup = async (session: InferenceBackend.Session, jobs: Array<Job>) => {
  const buffers = borrow(jobs.length)
  const { input, state } = buffers
  const active = jobs.filter((job) => job.frames.count > 0)
  while (active.length > 0) {
    const n = active.length
    for (let i = 0; i < n; i++) {
      const { stream, frames, next } = active[i]!
      input.set(stream.context, i * ROW)
      input.set(frames.samples.subarray(next * FRAME, (next + 1) * FRAME), i * ROW + CONTEXT)
      // [2, n, 128]: layer 0 of every row, then layer 1 of every row.
      state.set(stream.recurrent.subarray(0, STATE), i * STATE)
      state.set(stream.recurrent.subarray(STATE), (n + i) * STATE)
    }
    const outputs = await session.runPromise({
      input: Tensor.float32(input.subarray(0, n * ROW), [n, ROW]),
      state: Tensor.float32(state.subarray(0, 2 * n * STATE), [2, n, STATE]),
      sr: sampleRate,
    })
    const output = outputs.output!.data as Float32Array
    const stateN = outputs.stateN!.data as Float32Array
    let still = 0
    for (let i = 0; i < n; i++) {
      const job = active[i]!
      const { stream, frames } = job
      job.probabilities[job.next] = output[i]!
      stream.recurrent.set(stateN.subarray(i * STATE, (i + 1) * STATE), 0)
      stream.recurrent.set(stateN.subarray((n + i) * STATE, (n + i + 1) * STATE), STATE)
      const end = ++job.next * FRAME
      stream.context.set(frames.samples.subarray(end - CONTEXT, end))
      if (job.next < frames.count) active[still++] = job
    }
    active.length = still
  }
  giveBack(buffers)
}

/**
 * Scores every row's frames, carrying each stream's state; returns each
 * row's probabilities per piece. More than `maxBatch` rows are scored in
 * groups of `maxBatch`, one after the other. Rejects with `InferenceError`;
 * the streams' states are then those after their last scored frame.
 */
export const score = async (
  session: InferenceBackend.Session,
  rows: ReadonlyArray<Row>,
  maxBatch: number = DEFAULT_MAX_BATCH,
): Promise<Array<Array<Float32Array>>> => {
  const jobs = rows.map((row): Job => {
    // One piece is the common case; several (pushes queued in one turn) are joined.
    const frames = row.pieces.reduce(concatFrames)
    return { stream: row.stream, frames, probabilities: new Float32Array(frames.count), next: 0 }
  })
  try {
    for (let from = 0; from < jobs.length; from += maxBatch) {
      await scoreGroup(session, jobs.slice(from, from + maxBatch))
    }
  } catch (e) {
    throw scoringFailed(session, "scoring a batch of frames", e)
  }
  return jobs.map((job, i) => {
    const pieces = rows[i]!.pieces
    if (pieces.length === 1) return [job.probabilities]
    let at = 0
    return pieces.map((piece) => {
      const from = at
      at += piece.count
      // Copies, not views: each push owns its probabilities (a transfer of one must not detach another's).
      return job.probabilities.slice(from, at)
    })
  })
}
