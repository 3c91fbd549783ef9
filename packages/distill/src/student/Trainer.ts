/**
 * Trains a {@link Network} on soft labels in TypeScript: typed arrays,
 * shuffled mini-batches, Adam, a distillation loss with a temperature
 * (DistillationLoss.ts), and class weights.
 *
 * Embedding rows take lazy Adam steps: only the rows of buckets present in
 * the batch move, so a step costs the batch's features, not the table. Each
 * row counts its own steps for Adam's bias correction, so a rare feature's
 * first step is as large as a common one's. Rows of buckets never seen stay
 * at zero, so a feature unseen in training adds nothing on the device.
 * Everything random comes from Effect's seeded `Random`, so a seed fixes
 * the result bit for bit.
 */
import { Effect, Random } from "effect"
import type { SparseFeatures } from "../features/Featurizer.js"
import { accumulate, gradientsFor, soften } from "./DistillationLoss.js"
import { type Network, rowWidth, type Shape, zeros } from "./Network.js"
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

type Settings = Pick<
  Options,
  "epochs" | "batchSize" | "learningRate" | "temperature" | "weightDecay" | "seed"
>

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

/** One parameter array with its gradient and Adam moments. */
interface Slot {
  readonly weights: Float32Array
  readonly grad: Float64Array
  readonly m: Float64Array
  readonly v: Float64Array
}

const slot = (weights: Float32Array, grad: Float64Array): Slot => ({
  weights,
  grad,
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

const positiveInteger = (name: string, n: number) =>
  Number.isInteger(n) && n >= 1 ? undefined : `${name} must be a whole number ≥ 1, got ${n}`

const optionsProblem = (options: Options, defaults: Required<Settings>): string | undefined => {
  const { shape } = options
  const { epochs, batchSize, learningRate, temperature, weightDecay, seed } = defaults
  if (
    typeof shape !== "object" ||
    shape === null ||
    !Number.isInteger(shape.inputs) ||
    shape.inputs < 1 ||
    !Number.isInteger(shape.hidden) ||
    shape.hidden < 0 ||
    !Number.isInteger(shape.outputs) ||
    shape.outputs < 2
  ) {
    return `shape must have whole inputs ≥ 1, hidden ≥ 0 and outputs ≥ 2, got ${JSON.stringify(shape)}`
  }
  const classWeights = options.classWeights
  if (Array.isArray(classWeights)) {
    if (classWeights.length !== shape.outputs)
      return `classWeights has ${classWeights.length} weights for ${shape.outputs} classes`
    if (
      !classWeights.every((w) => Number.isFinite(w) && w >= 0) ||
      !classWeights.some((w) => w > 0)
    )
      return `classWeights must be finite, ≥ 0 and not all 0, got ${JSON.stringify(classWeights)}`
  } else if (classWeights !== undefined && classWeights !== "balanced" && classWeights !== "none") {
    return `classWeights must be "balanced", "none" or one weight per class, got ${JSON.stringify(classWeights)}`
  }
  return (
    positiveInteger("epochs", epochs) ??
    positiveInteger("batchSize", batchSize) ??
    (Number.isFinite(learningRate) && learningRate > 0
      ? undefined
      : `learningRate must be a number > 0, got ${learningRate}`) ??
    (Number.isFinite(temperature) && temperature > 0
      ? undefined
      : `temperature must be a number > 0, got ${temperature}`) ??
    (Number.isFinite(weightDecay) && weightDecay >= 0
      ? undefined
      : `weightDecay must be a number ≥ 0, got ${weightDecay}`) ??
    (Number.isInteger(seed) ? undefined : `seed must be a whole number, got ${seed}`)
  )
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

/** Trains a network; fails with a {@link TrainingError} on options or examples that do not fit. */
export const train = (
  examples: ReadonlyArray<Example>,
  options: Options,
): Effect.Effect<Trained, TrainingError> =>
  Effect.gen(function* () {
    const settings = {
      epochs: options.epochs ?? 10,
      batchSize: options.batchSize ?? 32,
      learningRate: options.learningRate ?? 0.01,
      temperature: options.temperature ?? 1,
      weightDecay: options.weightDecay ?? 0,
      seed: options.seed ?? 0,
    }
    const bad = optionsProblem(options, settings) ?? validate(examples, options.shape)
    if (bad !== undefined) return yield* new TrainingError({ message: bad })
    const { shape } = options
    const { epochs, batchSize, learningRate, temperature, weightDecay } = settings
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
    // The embedding starts at zero (rows of unseen buckets stay so). An MLP's
    // hidden units start just open (bias 0.1), so gradients reach the rows,
    // and differ through the output layer's random (Glorot) weights.
    if (shape.hidden > 0) {
      network.hiddenBias.fill(0.1)
      const initOutput = Math.sqrt(6 / (shape.hidden + classes))
      for (let i = 0; i < network.output.length; i++)
        network.output[i] = (rng.nextDoubleUnsafe() * 2 - 1) * initOutput
    }

    const grads = gradientsFor(network)
    const embedding = slot(network.embedding, grads.embedding)
    const dense = [
      slot(network.hiddenBias, grads.hiddenBias),
      slot(network.output, grads.output),
      slot(network.outputBias, grads.outputBias),
    ] as const
    const rowSteps = new Uint32Array(shape.inputs)
    const touched = new Uint8Array(shape.inputs)
    const rows: Array<number> = []
    const touch = (bucket: number) => {
      if (touched[bucket] === 0) {
        touched[bucket] = 1
        rows.push(bucket)
      }
    }
    // The teachers' softened targets, computed once.
    const targets = examples.map(({ target }) => soften(target, temperature))
    const weights = examples.map(({ target }) => classWeights[argmax(target)]!)
    const order = Int32Array.from(examples.keys())
    const history: Array<EpochProgress> = []
    const scratch = new Float64Array(shape.hidden)
    let step = 0
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
        for (let b = start; b < end; b++) batchWeight += weights[order[b]!]!
        if (batchWeight === 0) continue
        for (let b = start; b < end; b++) {
          const n = order[b]!
          const weight = weights[n]!
          if (weight === 0) continue
          // The batch's loss is the weighted mean of its examples' losses.
          lossSum += accumulate(
            network,
            examples[n]!.features,
            targets[n]!,
            weight,
            temperature,
            1 / batchWeight,
            grads,
            scratch,
            touch,
          )
          weightSum += weight
        }
        step++
        for (const s of dense) adamStep(s, 0, s.weights.length, learningRate, step, weightDecay)
        for (const i of rows) {
          rowSteps[i]! += 1
          adamStep(embedding, i * width, (i + 1) * width, learningRate, rowSteps[i]!, weightDecay)
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
