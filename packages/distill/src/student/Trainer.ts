/**
 * Trains a {@link Network} on soft labels in TypeScript: typed arrays,
 * shuffled mini-batches, Adam, a distillation loss with a temperature, and
 * class weights.
 *
 * The loss is T² · cross-entropy between the teacher's distribution and the
 * student's, both softened by the temperature T (Hinton et al., 2015); with
 * one-hot targets and T = 1 it is plain cross-entropy, which is how the
 * reference teacher itself is trained from ground truth.
 *
 * Embedding rows take lazy Adam steps: only the rows of buckets present in
 * the batch move, so a step costs the batch's features, not the table.
 * Everything random comes from Effect's seeded `Random`, so a seed fixes
 * the result bit for bit.
 */
import { Effect, Random } from "effect"
import type { SparseFeatures } from "../features/Featurizer.js"
import { forward, type Network, rowWidth, type Shape, softmax, zeros } from "./Network.js"
import { TrainingError } from "./TrainingError.js"

export interface Example {
  readonly features: SparseFeatures
  /** The teacher's probabilities (or a one-hot ground truth), one per class. */
  readonly target: ArrayLike<number>
}

export interface Options {
  readonly shape: Shape
  readonly epochs?: number
  readonly batchSize?: number
  readonly learningRate?: number
  /** Distillation temperature: > 1 shows the student the teacher's doubt as well as its answer. */
  readonly temperature?: number
  /** Per-class loss weights; "balanced" weighs each class by the inverse of its share of the targets. */
  readonly classWeights?: "balanced" | "none" | ReadonlyArray<number>
  /** Decoupled weight decay (AdamW) on the touched weights. */
  readonly weightDecay?: number
  readonly seed?: number
  readonly onEpoch?: (progress: EpochProgress) => void
}

export interface EpochProgress {
  readonly epoch: number
  readonly epochs: number
  /** Mean weighted loss over the epoch. */
  readonly loss: number
}

export interface Trained {
  readonly network: Network
  readonly history: ReadonlyArray<EpochProgress>
}

const BETA1 = 0.9
const BETA2 = 0.999
const EPSILON = 1e-8

/** One parameter array with its Adam moments. */
interface Slot {
  readonly weights: Float32Array
  readonly grad: Float64Array
  readonly m: Float64Array
  readonly v: Float64Array
}

const slot = (weights: Float32Array): Slot => ({
  weights,
  grad: new Float64Array(weights.length),
  m: new Float64Array(weights.length),
  v: new Float64Array(weights.length),
})

const adamStep = (s: Slot, from: number, to: number, lr: number, step: number, decay: number) => {
  const c1 = 1 - BETA1 ** step
  const c2 = 1 - BETA2 ** step
  for (let i = from; i < to; i++) {
    const g = s.grad[i]!
    const m = BETA1 * s.m[i]! + (1 - BETA1) * g
    const v = BETA2 * s.v[i]! + (1 - BETA2) * g * g
    s.m[i] = m
    s.v[i] = v
    const w = s.weights[i]!
    s.weights[i] = w - lr * (m / c1 / (Math.sqrt(v / c2) + EPSILON) + decay * w)
    s.grad[i] = 0
  }
}

const validate = (examples: ReadonlyArray<Example>, shape: Shape): string | undefined => {
  if (examples.length === 0) return "no training examples"
  for (const [n, { features, target }] of examples.entries()) {
    if (target.length !== shape.outputs)
      return `example ${n}: ${target.length} target values for ${shape.outputs} classes`
    let sum = 0
    for (let c = 0; c < target.length; c++) {
      const p = target[c]!
      if (!(p >= 0 && p <= 1)) return `example ${n}: target ${c} is ${p}, not a probability`
      sum += p
    }
    if (Math.abs(sum - 1) > 1e-3) return `example ${n}: targets sum to ${sum}, not 1`
    for (const i of features.indices) {
      if (i < 0 || i >= shape.inputs)
        return `example ${n}: feature ${i} outside 0..${shape.inputs - 1}`
    }
  }
  return undefined
}

/** Inverse-frequency weights of the targets' argmax classes, averaging 1 over the examples. */
const balancedWeights = (examples: ReadonlyArray<Example>, classes: number): Float64Array => {
  const counts = new Float64Array(classes)
  for (const { target } of examples) counts[argmax(target)]! += 1
  return counts.map((n) => (n === 0 ? 0 : examples.length / (classes * n)))
}

export const argmax = (values: ArrayLike<number>): number => {
  let best = 0
  for (let c = 1; c < values.length; c++) if (values[c]! > values[best]!) best = c
  return best
}

/** Trains a network; fails with a {@link TrainingError} on examples that do not fit the shape. */
export const train = (
  examples: ReadonlyArray<Example>,
  options: Options,
): Effect.Effect<Trained, TrainingError> =>
  Effect.gen(function* () {
    const {
      shape,
      epochs = 10,
      batchSize = 32,
      learningRate = 0.01,
      temperature = 1,
      weightDecay = 0,
    } = options
    const bad = validate(examples, shape)
    if (bad !== undefined) return yield* new TrainingError({ message: bad })
    const classes = shape.outputs
    const classWeights =
      options.classWeights === undefined || options.classWeights === "none"
        ? new Float64Array(classes).fill(1)
        : options.classWeights === "balanced"
          ? balancedWeights(examples, classes)
          : Float64Array.from(options.classWeights)
    const rng = yield* Random.Random
    const network = zeros(shape)
    const width = rowWidth(shape)
    // Uniform initialisation scaled to the layer's fan (Glorot); the bag's fan-in is one unit-length feature vector.
    const initEmbedding = Math.sqrt(6 / (1 + width))
    for (let i = 0; i < network.embedding.length; i++)
      network.embedding[i] = (rng.nextDoubleUnsafe() * 2 - 1) * initEmbedding
    const initOutput = Math.sqrt(6 / (shape.hidden + classes))
    for (let i = 0; i < network.output.length; i++)
      network.output[i] = (rng.nextDoubleUnsafe() * 2 - 1) * initOutput

    const embedding = slot(network.embedding)
    const dense = [
      slot(network.hiddenBias),
      slot(network.output),
      slot(network.outputBias),
    ] as const
    const [hiddenBias, output, outputBias] = dense
    const touched = new Uint8Array(shape.inputs)
    const rows: Array<number> = []
    // The teachers' softened targets, computed once: normalise p^(1/T).
    const targets = examples.map(({ target }) =>
      softmax(
        Array.from(target, (p) => Math.log(Math.max(p, 1e-12))),
        temperature,
      ),
    )
    const order = Int32Array.from(examples.keys())
    const history: Array<EpochProgress> = []
    let step = 0
    const dh = new Float64Array(shape.hidden)
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.nextDoubleUnsafe() * (i + 1))
        const t = order[i]!
        order[i] = order[j]!
        order[j] = t
      }
      let lossSum = 0
      let weightSum = 0
      for (let start = 0; start < order.length; start += batchSize) {
        const end = Math.min(order.length, start + batchSize)
        let batchWeight = 0
        for (let b = start; b < end; b++)
          batchWeight += classWeights[argmax(examples[order[b]!]!.target)]!
        if (batchWeight === 0) continue
        for (let b = start; b < end; b++) {
          const n = order[b]!
          const { features } = examples[n]!
          const target = targets[n]!
          const weight = classWeights[argmax(examples[n]!.target)]!
          if (weight === 0) continue
          const act = forward(network, features)
          const student = softmax(act.logits, temperature)
          // d(T² · CE)/dz = T · (student_T − target_T), per example, scaled to the batch mean.
          const dz = new Float64Array(classes)
          for (let c = 0; c < classes; c++) {
            lossSum -=
              weight *
              temperature *
              temperature *
              target[c]! *
              Math.log(Math.max(student[c]!, 1e-12))
            dz[c] = ((weight * temperature) / batchWeight) * (student[c]! - target[c]!)
            outputBias.grad[c]! += dz[c]!
          }
          weightSum += weight
          let rowGrad: ArrayLike<number> = dz
          if (shape.hidden > 0) {
            for (let j = 0; j < shape.hidden; j++) {
              const h = act.hidden[j]!
              let g = 0
              for (let c = 0; c < classes; c++) {
                output.grad[j * classes + c]! += h * dz[c]!
                g += network.output[j * classes + c]! * dz[c]!
              }
              dh[j] = h > 0 ? g : 0
              hiddenBias.grad[j]! += dh[j]!
            }
            rowGrad = dh
          }
          const { indices, values } = features
          for (let k = 0; k < indices.length; k++) {
            const i = indices[k]!
            if (touched[i] === 0) {
              touched[i] = 1
              rows.push(i)
            }
            const base = i * width
            const value = values[k]!
            for (let j = 0; j < width; j++) embedding.grad[base + j]! += value * rowGrad[j]!
          }
        }
        step++
        for (const s of dense) adamStep(s, 0, s.weights.length, learningRate, step, weightDecay)
        for (const i of rows) {
          adamStep(embedding, i * width, (i + 1) * width, learningRate, step, weightDecay)
          touched[i] = 0
        }
        rows.length = 0
      }
      const progress = { epoch, epochs, loss: lossSum / Math.max(weightSum, 1e-12) }
      history.push(progress)
      options.onEpoch?.(progress)
      yield* Effect.yieldNow
    }
    return { network, history }
  }).pipe(Random.withSeed(options.seed ?? 0))

/** {@link train} as a Promise. */
export const trainPromise = (
  examples: ReadonlyArray<Example>,
  options: Options,
): Promise<Trained> => Effect.runPromise(train(examples, options))
