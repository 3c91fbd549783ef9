/**
 * openWakeWord's speech-embedding model as a stateful infer stage: a rolling
 * buffer of mel frames (76 frames of ones after a reset, as upstream starts
 * it), and per 80 ms chunk one 96-d embedding of its last 76 frames — windows
 * 8 frames apart, upstream's step. A push's windows run as one batch.
 *
 * On a fresh chunk it also hands on the embeddings of the start-up noise's
 * mel (windows of 76 frames every 8, upstream's `_get_embeddings`), which
 * fill the classifier's history as upstream fills its feature buffer; they
 * are computed once per stream.
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
import type { Mel } from "./Melspectrogram.js"
import * as ModelOutput from "./ModelOutput.js"
import type { Tick } from "./WakeChunks.js"
import * as WakeModels from "./WakeModels.js"
import { EMBEDDING, MEL_BINS, STEP, WINDOW } from "./WakeModels.js"
import { WakeWordError } from "./WakeWordError.js"

export const STAGE = "wake-embedding"

/** One chunk's embedding. */
export interface Embedded {
  /** 96 values. */
  readonly embedding: Float32Array
  /** On a fresh chunk: the start-up noise's embeddings (count × 96), oldest first. */
  readonly prime?: Float32Array | undefined
}

const WINDOW_SIZE = WINDOW * MEL_BINS

interface State {
  /** The last 76 mel frames. */
  readonly mel: Float32Array
  prime: Float32Array | undefined
}

/** Runs the model on `count` windows of 76 × 32 frames back to back: `count` × 96 values. */
const embed = async (
  session: InferenceBackend.Session,
  windows: Float32Array,
  count: number,
): Promise<Float32Array> => {
  const data = await ModelOutput.run(
    session,
    Tensor.float32(windows, [count, WINDOW, MEL_BINS, 1]),
    {
      role: "the embedding model",
      inputName: "input_1",
      fits: (output, data) =>
        output.dims[output.dims.length - 1] === EMBEDDING && data.length === count * EMBEDDING,
      gives: `for ${count} windows an openWakeWord embedding model gives float32 [${count}, 1, 1, ${EMBEDDING}]`,
    },
  )
  // The output may be a view the engine reuses: keep a copy.
  return data.slice()
}

/** Upstream's `_get_embeddings` on mel frames: windows of 76 every 8 frames, short ones dropped. */
const primeOf = (session: InferenceBackend.Session, mel: Float32Array): Promise<Float32Array> => {
  const frames = mel.length / MEL_BINS
  const count = frames < WINDOW ? 0 : Math.floor((frames - WINDOW) / STEP) + 1
  const windows = new Float32Array(count * WINDOW_SIZE)
  for (let w = 0; w < count; w++) {
    windows.set(
      mel.subarray(w * STEP * MEL_BINS, w * STEP * MEL_BINS + WINDOW_SIZE),
      w * WINDOW_SIZE,
    )
  }
  return count === 0 ? Promise.resolve(new Float32Array(0)) : embed(session, windows, count)
}

export type EmbeddingStage = Stage.Stage<
  ReadonlyArray<Tick<Mel>>,
  ReadonlyArray<Tick<Embedded>>,
  Infer.InferError | WakeWordError,
  Infer.InferServices
>

export const make = (
  options: { readonly model?: ModelRef.ModelRef | undefined } = {},
): EmbeddingStage =>
  Infer.inferStateful({
    name: STAGE,
    model: options.model ?? WakeModels.embedding,
    initial: (): State => ({ mel: new Float32Array(WINDOW_SIZE).fill(1), prime: undefined }),
    step: (session, state, ticks: ReadonlyArray<Tick<Mel>>) =>
      Effect.tryPromise({
        try: async () => {
          if (ticks.length === 0) return []
          const { mel } = state
          const windows = new Float32Array(ticks.length * WINDOW_SIZE)
          const primes: Array<Float32Array | undefined> = []
          for (const [i, tick] of ticks.entries()) {
            const { frames, count, prime } = tick.value
            if (tick.fresh) {
              mel.fill(1)
              if (prime !== undefined) state.prime ??= await primeOf(session, prime)
            }
            primes.push(tick.fresh ? state.prime : undefined)
            // Roll the buffer: drop the oldest `count` frames, append the new ones.
            const keep = Math.max(0, WINDOW - count)
            mel.copyWithin(0, (WINDOW - keep) * MEL_BINS)
            mel.set(frames.subarray((count - (WINDOW - keep)) * MEL_BINS), keep * MEL_BINS)
            windows.set(mel, i * WINDOW_SIZE)
          }
          const embeddings = await embed(session, windows, ticks.length)
          return ticks.map(
            (tick, i): Tick<Embedded> => ({
              start: tick.start,
              fresh: tick.fresh,
              value: {
                embedding: embeddings.subarray(i * EMBEDDING, (i + 1) * EMBEDDING),
                prime: primes[i],
              },
            }),
          )
        },
        catch: (e) =>
          e instanceof InferenceError || e instanceof WakeWordError
            ? e
            : new InferenceError({
                model: session.model,
                message: `wake word: the embedding failed: ${messageOf(e)}`,
              }),
      }),
  })
