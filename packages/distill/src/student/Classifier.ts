/**
 * An exported classifier run in TypeScript: the featurizer from its card
 * and the network from its weights. Evaluation, the reference teacher and
 * the export check use it; devices run the same ONNX file in onnxruntime.
 */
import { Effect } from "effect"
import { Featurizer } from "../features/index.js"
import type { ModelCard } from "../onnx/ModelCard.js"
import { ModelFormatError } from "../onnx/ModelFormatError.js"
import * as OnnxImport from "../onnx/OnnxImport.js"
import { type Network, probabilities } from "./Network.js"

export interface Classifier {
  readonly card: ModelCard
  readonly network: Network
  /** Probabilities per label of `card.labels`. */
  classify(text: string): Float64Array
}

export const fromNetwork = (
  card: ModelCard,
  network: Network,
): Effect.Effect<Classifier, ModelFormatError> =>
  Featurizer.make(card.featurizer).pipe(
    Effect.mapError(
      (e) => new ModelFormatError({ message: `the model's featurizer: ${e.message}` }),
    ),
    Effect.map((featurizer) => ({
      card,
      network,
      classify: (text: string) => probabilities(network, featurizer.featurize(text)),
    })),
  )

/** A classifier from the bytes of a model exported by this package. */
export const fromOnnx = (bytes: Uint8Array): Effect.Effect<Classifier, ModelFormatError> =>
  Effect.gen(function* () {
    const imported = OnnxImport.decode(bytes)
    if (typeof imported === "string") return yield* new ModelFormatError({ message: imported })
    return yield* fromNetwork(imported.card, imported.network)
  })

/** {@link fromOnnx} as a Promise. */
export const load = (bytes: Uint8Array): Promise<Classifier> => Effect.runPromise(fromOnnx(bytes))
