/**
 * The student (and the reference teacher): an embedding bag over hashed
 * features, then either straight to the class logits (logistic regression,
 * `hidden: 0`) or through one ReLU layer (a small MLP).
 *
 * It reads sparse features directly, so its cost is the number of features
 * present in a message, not the hashed width; the ONNX export has the same
 * shape (Gather, weighted sum, MatMul).
 */
import type { SparseFeatures } from "../features/Featurizer.js"

export interface Shape {
  /** Hashed feature width (the featurizer's buckets). */
  readonly inputs: number
  /** Units of the hidden layer; 0 for logistic regression. */
  readonly hidden: number
  /** Classes. */
  readonly outputs: number
}

export interface Network {
  readonly shape: Shape
  /** [inputs, hidden || outputs], row-major: one row per bucket. */
  readonly embedding: Float32Array
  /** [hidden], empty for logistic regression. */
  readonly hiddenBias: Float32Array
  /** [hidden, outputs], empty for logistic regression. */
  readonly output: Float32Array
  /** [outputs]. */
  readonly outputBias: Float32Array
}

/** The width of the embedding rows. */
export const rowWidth = (shape: Shape): number => (shape.hidden > 0 ? shape.hidden : shape.outputs)

export const parameterCount = ({ inputs, hidden, outputs }: Shape): number =>
  hidden > 0 ? inputs * hidden + hidden + hidden * outputs + outputs : inputs * outputs + outputs

/** Zero parameters of a shape. */
export const zeros = (shape: Shape): Network => ({
  shape,
  embedding: new Float32Array(shape.inputs * rowWidth(shape)),
  hiddenBias: new Float32Array(shape.hidden),
  output: new Float32Array(shape.hidden * shape.outputs),
  outputBias: new Float32Array(shape.outputs),
})

/** The forward pass's intermediate values, kept for the backward pass. */
export interface Activations {
  /** The embedding bag: Σ value × row, before the hidden bias (or the logits' bag for logistic regression). */
  readonly bag: Float64Array
  /** ReLU output; empty for logistic regression. */
  readonly hidden: Float64Array
  readonly logits: Float64Array
}

export const forward = (network: Network, features: SparseFeatures): Activations => {
  const { shape, embedding, hiddenBias, output, outputBias } = network
  const width = rowWidth(shape)
  const bag = new Float64Array(width)
  const { indices, values } = features
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k]! * width
    const value = values[k]!
    for (let j = 0; j < width; j++) bag[j]! += value * embedding[row + j]!
  }
  const logits = new Float64Array(shape.outputs)
  if (shape.hidden === 0) {
    for (let c = 0; c < shape.outputs; c++) logits[c] = bag[c]! + outputBias[c]!
    return { bag, hidden: new Float64Array(0), logits }
  }
  const hidden = new Float64Array(shape.hidden)
  for (let j = 0; j < shape.hidden; j++) hidden[j] = Math.max(0, bag[j]! + hiddenBias[j]!)
  for (let c = 0; c < shape.outputs; c++) {
    let z = outputBias[c]!
    for (let j = 0; j < shape.hidden; j++) z += hidden[j]! * output[j * shape.outputs + c]!
    logits[c] = z
  }
  return { bag, hidden, logits }
}

/** Softmax of `logits / temperature`, computed stably. */
export const softmax = (logits: ArrayLike<number>, temperature = 1): Float64Array => {
  let max = -Infinity
  for (let c = 0; c < logits.length; c++) max = Math.max(max, logits[c]! / temperature)
  const out = new Float64Array(logits.length)
  let sum = 0
  for (let c = 0; c < logits.length; c++) {
    out[c] = Math.exp(logits[c]! / temperature - max)
    sum += out[c]!
  }
  for (let c = 0; c < out.length; c++) out[c] = out[c]! / sum
  return out
}

/** Class probabilities for one message. */
export const probabilities = (network: Network, features: SparseFeatures): Float64Array =>
  softmax(forward(network, features).logits)
