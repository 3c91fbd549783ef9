/**
 * The distillation loss of one example and its gradient (Hinton et al.,
 * 2015): w · T² · cross-entropy between the teacher's distribution and the
 * student's, both softened by the temperature T. With one-hot targets and
 * T = 1 it is plain cross-entropy.
 *
 * Kept apart from the training loop so the gradient can be checked against
 * finite differences of the loss.
 */
import type { SparseFeatures } from "../features/Featurizer.js"
import { forward, type Network, rowWidth, softmax } from "./Network.js"

/** Gradient accumulators, laid out as the network's parameters. */
export interface Gradients {
  readonly embedding: Float64Array
  readonly hiddenBias: Float64Array
  readonly output: Float64Array
  readonly outputBias: Float64Array
}

export const gradientsFor = (network: Network): Gradients => ({
  embedding: new Float64Array(network.embedding.length),
  hiddenBias: new Float64Array(network.hiddenBias.length),
  output: new Float64Array(network.output.length),
  outputBias: new Float64Array(network.outputBias.length),
})

/** The teacher's distribution softened by T: p^(1/T), normalised. */
export const soften = (target: ArrayLike<number>, temperature: number): Float64Array =>
  softmax(
    Array.from(target, (p) => Math.log(Math.max(p, 1e-12))),
    temperature,
  )

/** w · T² · CE(softTarget, softmax(logits / T)) for one example. */
export const loss = (
  network: Network,
  features: SparseFeatures,
  softTarget: ArrayLike<number>,
  weight: number,
  temperature: number,
): number => {
  const student = softmax(forward(network, features).logits, temperature)
  let sum = 0
  for (let c = 0; c < student.length; c++)
    sum -= softTarget[c]! * Math.log(Math.max(student[c]!, 1e-12))
  return weight * temperature * temperature * sum
}

/**
 * Adds `scale` × the gradient of {@link loss} to `into` and returns the
 * loss. Only the embedding rows of the example's features are touched;
 * `onRow` hears each such bucket (the trainer steps only those rows).
 */
export const accumulate = (
  network: Network,
  features: SparseFeatures,
  softTarget: ArrayLike<number>,
  weight: number,
  temperature: number,
  scale: number,
  into: Gradients,
  scratch: Float64Array,
  onRow: (bucket: number) => void,
): number => {
  const { shape } = network
  const classes = shape.outputs
  const act = forward(network, features)
  const student = softmax(act.logits, temperature)
  // d(w · T² · CE)/dz = w · T · (student_T − target_T).
  const dz = new Float64Array(classes)
  let exampleLoss = 0
  for (let c = 0; c < classes; c++) {
    exampleLoss -= softTarget[c]! * Math.log(Math.max(student[c]!, 1e-12))
    dz[c] = scale * weight * temperature * (student[c]! - softTarget[c]!)
    into.outputBias[c]! += dz[c]!
  }
  let rowGrad: ArrayLike<number> = dz
  if (shape.hidden > 0) {
    for (let j = 0; j < shape.hidden; j++) {
      const h = act.hidden[j]!
      let g = 0
      for (let c = 0; c < classes; c++) {
        into.output[j * classes + c]! += h * dz[c]!
        g += network.output[j * classes + c]! * dz[c]!
      }
      scratch[j] = h > 0 ? g : 0
      into.hiddenBias[j]! += scratch[j]!
    }
    rowGrad = scratch
  }
  const width = rowWidth(shape)
  const { indices, values } = features
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!
    onRow(i)
    const base = i * width
    const value = values[k]!
    for (let j = 0; j < width; j++) into.embedding[base + j]! += value * rowGrad[j]!
  }
  return weight * temperature * temperature * exampleLoss
}
