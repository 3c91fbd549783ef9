/**
 * The distilled message-triage student on the device, as two stages: the
 * featurizer it was trained with (`@edgeline/distill/features`, a
 * preprocess stage on the caller's thread), then its ONNX graph from
 * `@edgeline/model-message-triage` through core's infer stage. Concurrent
 * callers are micro-batched there: their sparse features are ragged (as
 * many as a message has), padded with bucket 0 at weight 0, which the graph
 * reads as nothing. Two stages, so their timings show where a message's
 * time goes (featurizing dominates: it reads every word).
 */
import { Infer, ModelRef, Pipeline, Stage, Tensor } from "@edgeline/core"
import {
  Featurizer,
  type FeaturizerConfig,
  type FeaturizerConfigError,
  SparseBatch,
  type SparseFeatures,
} from "@edgeline/distill/features"
import * as Student from "@edgeline/model-message-triage"
import { Effect } from "effect"

/** The stages' names: in their timings and progress events. */
export const FEATURES_STAGE = "triage-features"
export const STAGE = "triage-student"

/**
 * The committed student, pinned by its sha256 and resolved from this module,
 * so isolated installs (pnpm) find it too. A fleet's newer student arrives
 * through the same ref from `@edgeline/sync`'s source.
 */
export const model = ModelRef.make("message-triage", `npm:${Student.specifier}`, {
  sha256: Student.sha256,
  resolveFrom: import.meta.url,
})

/** A message to triage: its raw text (a mail or plain text), and whatever else the caller carries. */
export interface Message {
  readonly text: string
}

export interface Triaged {
  /** The most probable label. */
  readonly label: string
  /** Its probability: below the threshold, the cascade escalates. */
  readonly confidence: number
  /** One probability per label, in `labels` order. */
  readonly probabilities: ReadonlyArray<number>
}

/** A message with its sparse features: what the model stage reads. */
export interface Featurized<In extends Message = Message> {
  readonly features: SparseFeatures
  readonly input: In
}

/** The student's answer with the message it is about, for the stages after it. */
export interface Scored<In extends Message = Message> extends Triaged {
  readonly input: In
}

export interface Options {
  /** The model (default: the committed student). */
  readonly model?: ModelRef.ModelRef | undefined
  /** Its labels in output order (default: the committed student's). */
  readonly labels?: ReadonlyArray<string> | undefined
  /** The featurizer config it was trained with (default: the committed student's). */
  readonly featurizer?: FeaturizerConfig.FeaturizerConfig | undefined
  /**
   * Micro-batching of concurrent callers (default: up to 16, from callers
   * arriving in the same turn; no timer, so a lone caller is not delayed).
   */
  readonly batch?: { readonly maxSize: number; readonly maxWaitMs: number } | false | undefined
}

/** The featurizer as a preprocess stage; building it starts its hash function (WebAssembly). */
export const features = <In extends Message = Message>(
  options: Pick<Options, "featurizer"> = {},
): Effect.Effect<Stage.Stage<In, Featurized<In>>, FeaturizerConfigError> =>
  Effect.map(Featurizer.make(options.featurizer ?? Student.featurizer), (featurizer) =>
    Stage.preprocess({
      name: FEATURES_STAGE,
      run: (input: In) =>
        Effect.sync(() => ({ features: featurizer.featurize(input.text), input })),
    }),
  )

/** The model as an infer stage over featurized messages; its answer carries the message on. */
export const classify = <In extends Message = Message>(
  options: Omit<Options, "featurizer"> = {},
): Stage.Stage<Featurized<In>, Scored<In>, Infer.InferError, Infer.InferServices> => {
  const labels = options.labels ?? Student.labels
  const batch = options.batch ?? { maxSize: 16, maxWaitMs: 0 }
  return Infer.infer<Featurized<In>, Scored<In>>({
    name: STAGE,
    model: options.model ?? model,
    session: { threads: 1 },
    encode: ({ features }) => {
      // One row, at least one column: a text with no features reads bucket 0 at weight 0.
      const { width, indices, values } = SparseBatch.pad([features])
      return {
        indices: Tensor.make("int64", indices, [1, width]),
        values: Tensor.make("float32", values, [1, width]),
      }
    },
    decode: (outputs, { input }) => {
      const p = Array.from(outputs.probabilities!.data as Float32Array)
      let best = 0
      for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c
      return { label: labels[best]!, confidence: p[best]!, probabilities: p, input }
    },
    batch: batch === false ? undefined : { ...batch, ragged: true },
  })
}

/** The student over messages (`{ text }`): featurize, then classify. */
export const make = <In extends Message = Message>(
  options: Options = {},
): Effect.Effect<
  Pipeline.Pipeline<In, Scored<In>, Infer.InferError, Infer.InferServices>,
  FeaturizerConfigError
> =>
  Effect.map(features<In>(options), (featurize) =>
    Pipeline.make("triage-student", featurize, classify<In>(options)),
  )
