/**
 * The wake-word classifier as a stateful infer stage: the last N embeddings
 * (N from the model's declared input [1, N, 96]: 16 for hey_jarvis, 22 for
 * weather, 34 for timer) scored once per 80 ms chunk, upstream's
 * `Model.predict`. After a reset the history starts as upstream's does: the
 * start-up noise's embeddings, then the real ones push them out.
 *
 * Any openWakeWord-format classifier works: one output [1, 1] is the score;
 * several [1, C] are class probabilities with class 0 the background (as
 * `timer`), scored by default as the most likely other class (upstream
 * reports each class and a detection fires on any), or as 1 − p(background)
 * with `multiClass: "not-background"`.
 */
import {
  Infer,
  type InferenceBackend,
  InferenceError,
  ModelRef,
  ModelSource,
  type Stage,
  Tensor,
} from "@edgeline/core"
import { Effect } from "effect"
import { messageOf } from "../internal/messageOf.js"
import { declaredInputs } from "../internal/onnxInputs.js"
import * as ModelOutput from "./ModelOutput.js"
import type { Embedded } from "./SpeechEmbedding.js"
import type { Tick } from "./WakeChunks.js"
import { EMBEDDING } from "./WakeModels.js"
import { WakeWordError } from "./WakeWordError.js"

export const STAGE = "wake-classifier"

export interface Options {
  /** The classifier: any openWakeWord-format model (see `WakeModels.pretrained` for the packaged ones). */
  readonly model: ModelRef.ModelRef
  /**
   * Embeddings it takes (N of [1, N, 96]). By default read from the model
   * file's declared input shape; give it for a backend that loads models by
   * reference, where this device never sees the file.
   */
  readonly embeddings?: number | undefined
  /** How a multi-class model's probabilities become one score (default `"max"`). */
  readonly multiClass?: "max" | "not-background" | undefined
}

/** One chunk's prediction. */
export interface Prediction {
  /** The wake-word score, 0..1. */
  readonly score: number
  /** The model's outputs as they came (one score, or class probabilities with 0 the background). */
  readonly probabilities: Float32Array
}

interface State {
  /** The last N embeddings, oldest first; made once N is known. */
  history: Float32Array | undefined
}

const invalid = (message: string) => new WakeWordError({ problem: "invalid-model", message })

/** N of the classifier's [1, N, 96] input, from the model file's declared shape. */
const embeddingsOf = (ref: ModelRef.ModelRef) =>
  Effect.gen(function* () {
    const source = yield* ModelSource.ModelSource
    const { bytes } = yield* source.resolve(ref)
    const inputs = yield* Effect.try({
      try: () => declaredInputs(bytes),
      catch: (e) =>
        invalid(`wake word: "${ref.name}" is not a readable ONNX model: ${messageOf(e)}`),
    })
    const dims = inputs[0]?.dims ?? []
    const n = dims[1]
    if (
      inputs.length !== 1 ||
      dims.length !== 3 ||
      dims[2] !== EMBEDDING ||
      typeof n !== "number" ||
      n < 1
    ) {
      return yield* Effect.fail(
        invalid(
          `wake word: "${ref.name}" takes ${inputs
            .map((i) => `${i.name} [${i.dims.join(", ")}]`)
            .join(", ")}; an openWakeWord classifier takes one input [1, N, ${EMBEDDING}]`,
        ),
      )
    }
    return n
  })

/** Fills `history` (N × 96) with the last rows of `prime`, repeating its oldest row if it is short. */
const fill = (history: Float32Array, prime: Float32Array | undefined) => {
  const rows = history.length / EMBEDDING
  const have = prime === undefined ? 0 : prime.length / EMBEDDING
  if (prime === undefined || have === 0) {
    history.fill(0)
    return
  }
  for (let r = 0; r < rows; r++) {
    const from = Math.max(0, have - rows + r)
    history.set(prime.subarray(from * EMBEDDING, (from + 1) * EMBEDDING), r * EMBEDDING)
  }
}

const scoreOf = (p: Float32Array, multiClass: "max" | "not-background"): number => {
  if (p.length === 1) return p[0]!
  if (multiClass === "not-background") return 1 - p[0]!
  let best = 0
  for (let i = 1; i < p.length; i++) best = Math.max(best, p[i]!)
  return best
}

const classify = async (
  session: InferenceBackend.Session,
  history: Float32Array,
): Promise<Float32Array> => {
  const rows = history.length / EMBEDDING
  const data = await ModelOutput.run(session, Tensor.float32(history, [1, rows, EMBEDDING]), {
    role: "the classifier",
    inputName: "input",
    fits: (_, data) => data.length >= 1,
    gives: "an openWakeWord classifier gives float32 [1, 1] or [1, classes]",
  })
  return data.slice()
}

export type ClassifierStage = Stage.Stage<
  ReadonlyArray<Tick<Embedded>>,
  ReadonlyArray<Tick<Prediction>>,
  Infer.InferError | WakeWordError,
  Infer.InferServices
>

export const make = (options: Options): ClassifierStage => {
  const multiClass = options.multiClass ?? "max"
  // The window length of each classifier file, read once per stage object.
  const known = new Map<string, number>()
  const embeddings = (ref: ModelRef.ModelRef) => {
    if (options.embeddings !== undefined) {
      const n = options.embeddings
      return Number.isInteger(n) && n >= 1
        ? Effect.succeed(n)
        : Effect.fail(invalid(`wake word: "embeddings" must be a whole number ≥ 1, got ${n}`))
    }
    const key = ModelRef.key(ref)
    const n = known.get(key)
    return n !== undefined
      ? Effect.succeed(n)
      : Effect.tap(embeddingsOf(ref), (found) => Effect.sync(() => known.set(key, found)))
  }
  return Infer.inferStateful({
    name: STAGE,
    model: options.model,
    initial: (): State => ({ history: undefined }),
    step: (session, state, ticks: ReadonlyArray<Tick<Embedded>>) =>
      Effect.gen(function* () {
        if (ticks.length === 0) return []
        const rows = yield* embeddings(options.model)
        state.history ??= new Float32Array(rows * EMBEDDING)
        const history = state.history
        return yield* Effect.tryPromise({
          try: async () => {
            const out: Array<Tick<Prediction>> = []
            for (const tick of ticks) {
              if (tick.fresh) fill(history, tick.value.prime)
              history.copyWithin(0, EMBEDDING)
              history.set(tick.value.embedding, history.length - EMBEDDING)
              const probabilities = await classify(session, history)
              out.push({
                start: tick.start,
                fresh: tick.fresh,
                value: { score: scoreOf(probabilities, multiClass), probabilities },
              })
            }
            return out
          },
          catch: (e) =>
            e instanceof InferenceError || e instanceof WakeWordError
              ? e
              : new InferenceError({
                  model: session.model,
                  message: `wake word: the classifier failed: ${messageOf(e)}`,
                }),
        })
      }),
  })
}
