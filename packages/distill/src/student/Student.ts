/**
 * Trains a classifier from texts and soft labels: featurize with the
 * on-device featurizer, then {@link Trainer.train}. The result exports to
 * ONNX with `OnnxExport.encode` and evaluates with `Classifier`.
 */
import { Effect } from "effect"
import type { FeaturizerConfigError } from "../features/FeaturizerConfigError.js"
import { Featurizer, type FeaturizerConfig } from "../features/index.js"
import type { Network } from "./Network.js"
import * as Trainer from "./Trainer.js"
import { TrainingError } from "./TrainingError.js"

export interface LabelledText {
  readonly text: string
  /** Probabilities per label, in the order of `labels` (one-hot for ground truth). */
  readonly target: ArrayLike<number>
}

export interface Options extends Omit<Trainer.Options, "shape" | "onEpoch"> {
  readonly labels: ReadonlyArray<string>
  readonly featurizer: FeaturizerConfig.FeaturizerConfig
  /** Hidden units; 0 (the default) is logistic regression. */
  readonly hidden?: number
  readonly onProgress?: (progress: Progress) => void
}

export type Progress =
  | { readonly phase: "featurize"; readonly done: number; readonly total: number }
  | ({ readonly phase: "train" } & Trainer.EpochProgress)

export interface Trained {
  readonly labels: ReadonlyArray<string>
  readonly featurizer: FeaturizerConfig.FeaturizerConfig
  readonly network: Network
  readonly history: ReadonlyArray<Trainer.EpochProgress>
  /** Wall-clock time of featurizing and training. */
  readonly durationMs: number
}

export const train = (
  data: ReadonlyArray<LabelledText>,
  options: Options,
): Effect.Effect<Trained, TrainingError | FeaturizerConfigError> =>
  Effect.gen(function* () {
    const started = performance.now()
    const { labels, featurizer: config, hidden = 0, onProgress, ...trainer } = options
    const featurizer = yield* Featurizer.make(config)
    const examples: Array<Trainer.Example> = []
    for (const [n, { text, target }] of data.entries()) {
      if (typeof text !== "string") {
        return yield* new TrainingError({
          message: `example ${n}: text must be a string, got ${text === null ? "null" : typeof text}`,
        })
      }
      examples.push({ features: featurizer.featurize(text), target })
      if (n % 500 === 499 || n === data.length - 1) {
        onProgress?.({ phase: "featurize", done: n + 1, total: data.length })
        yield* Effect.yieldNow
      }
    }
    const { network, history } = yield* Trainer.train(examples, {
      ...trainer,
      shape: { inputs: config.buckets, hidden, outputs: labels.length },
      ...(onProgress
        ? { onEpoch: (p: Trainer.EpochProgress) => onProgress({ phase: "train", ...p }) }
        : {}),
    })
    return { labels, featurizer: config, network, history, durationMs: performance.now() - started }
  })

/** {@link train} as a Promise. */
export const trainPromise = (
  data: ReadonlyArray<LabelledText>,
  options: Options,
): Promise<Trained> => Effect.runPromise(train(data, options))
