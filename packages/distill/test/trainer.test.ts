import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { SparseFeatures } from "../src/features/index.js"
import * as DistillationLoss from "../src/student/DistillationLoss.js"
import * as Network from "../src/student/Network.js"
import * as Trainer from "../src/student/Trainer.js"
import { TrainingError } from "../src/student/TrainingError.js"

const features = (...pairs: Array<[number, number]>): SparseFeatures => ({
  indices: Int32Array.from(pairs.map(([i]) => i)),
  values: Float32Array.from(pairs.map(([, v]) => v)),
})

/** Two overlapping "topics": buckets 0–9 lean to class 0, 10–19 to class 1, 20–29 are shared noise. */
const toyData = (n: number): Array<Trainer.Example> =>
  Array.from({ length: n }, (_, k) => {
    const cls = k % 3 === 0 ? 1 : 0
    const own = cls * 10 + (k % 10)
    return {
      features: features([own, 0.8], [20 + ((k * 7) % 10), 0.6]),
      target: cls === 1 ? [0, 1] : [1, 0],
    }
  })

for (const hidden of [0, 8]) {
  describe(`Trainer.train (${hidden === 0 ? "logistic regression" : "MLP"})`, () => {
    const shape = { inputs: 32, hidden, outputs: 2 }

    it("learns separable data", async () => {
      const { network, history } = await Trainer.trainPromise(toyData(120), {
        shape,
        epochs: 30,
        learningRate: 0.05,
        seed: 1,
      })
      expect(history.at(-1)!.loss).toBeLessThan(history[0]!.loss / 5)
      for (const { features: x, target } of toyData(30)) {
        expect(Trainer.argmax(Network.probabilities(network, x))).toBe(Trainer.argmax(target))
      }
    })

    it("is deterministic under a seed, bit for bit, and another seed gives other weights", async () => {
      const run = (seed: number) => Trainer.trainPromise(toyData(60), { shape, epochs: 3, seed })
      const [a, b, c] = await Promise.all([run(7), run(7), run(8)])
      expect(
        Buffer.from(a.network.embedding.buffer).equals(Buffer.from(b.network.embedding.buffer)),
      ).toBe(true)
      expect(
        Buffer.from(a.network.outputBias.buffer).equals(Buffer.from(b.network.outputBias.buffer)),
      ).toBe(true)
      expect(
        Buffer.from(a.network.embedding.buffer).equals(Buffer.from(c.network.embedding.buffer)),
      ).toBe(false)
    })

    // The distillation loss at temperature T is minimal where softmax(z / T) equals the softened
    // teacher, that is where the student's own probabilities equal the teacher's: a wrong gradient
    // (or a temperature applied on one side only) converges somewhere else.
    for (const temperature of [1, 3]) {
      it(`matches the teacher's soft labels at temperature ${temperature}`, async () => {
        const soft = [0.72, 0.28]
        const examples = Array.from({ length: 64 }, () => ({
          features: features([4, 1]),
          target: soft,
        }))
        const { network } = await Trainer.trainPromise(examples, {
          shape,
          epochs: 200,
          batchSize: 64,
          learningRate: 0.02,
          temperature,
          seed: 3,
        })
        const p = Network.probabilities(network, features([4, 1]))
        expect(p[0]).toBeCloseTo(soft[0]!, 2)
      })
    }

    it("weighs classes: balanced weights move an ambiguous input to the middle", async () => {
      const examples = Array.from({ length: 100 }, (_, k) => ({
        features: features([2, 1]),
        target: k < 90 ? [1, 0] : [0, 1],
      }))
      const options = { shape, epochs: 150, batchSize: 100, learningRate: 0.02, seed: 5 } as const
      const plain = await Trainer.trainPromise(examples, options)
      const balanced = await Trainer.trainPromise(examples, {
        ...options,
        classWeights: "balanced",
      })
      expect(Network.probabilities(plain.network, features([2, 1]))[1]).toBeCloseTo(0.1, 1)
      expect(Network.probabilities(balanced.network, features([2, 1]))[1]).toBeCloseTo(0.5, 1)
    })
  })
}

describe("Trainer errors", () => {
  const shape = { inputs: 8, hidden: 0, outputs: 2 }
  const fails = (examples: Array<Trainer.Example>) =>
    Effect.runPromise(Effect.flip(Trainer.train(examples, { shape })))

  it("refuses no data, wrong target lengths, non-probabilities and features outside the table", async () => {
    expect((await fails([])).message).toMatch(/no training examples/)
    expect((await fails([{ features: features([1, 1]), target: [1] }])).message).toMatch(
      /1 target values for 2 classes/,
    )
    expect(
      (await fails([{ features: features([1, 1]), target: [Number.NaN, 1] }])).message,
    ).toMatch(/not a probability/)
    expect((await fails([{ features: features([1, 1]), target: [0.5, 0.6] }])).message).toMatch(
      /sum to/,
    )
    const outside = await fails([{ features: features([8, 1]), target: [1, 0] }])
    expect(outside).toBeInstanceOf(TrainingError)
    expect(outside.message).toMatch(/feature 8 outside 0..7/)
  })
})

describe("Trainer options", () => {
  const shape = { inputs: 8, hidden: 0, outputs: 2 }
  const examples = [{ features: features([1, 1]), target: [1, 0] }]
  it.each([
    [{ epochs: 0 }, /epochs must be a whole number ≥ 1, got 0/],
    [{ epochs: 2.5 }, /epochs must be a whole number/],
    [{ batchSize: 0 }, /batchSize must be a whole number ≥ 1/],
    [{ batchSize: Number.NaN }, /batchSize must be a whole number/],
    [{ learningRate: -1 }, /learningRate must be a number > 0/],
    [{ temperature: 0 }, /temperature must be a number > 0, got 0/],
    [{ temperature: Number.POSITIVE_INFINITY }, /temperature must be a number > 0/],
    [{ weightDecay: -0.1 }, /weightDecay must be a number ≥ 0/],
    [{ seed: 1.5 }, /seed must be a whole number/],
    [{ classWeights: [1] }, /classWeights has 1 weights for 2 classes/],
    [{ classWeights: [1, Number.NaN] }, /classWeights must be finite/],
    [{ classWeights: [0, 0] }, /not all 0/],
    [{ classWeights: "inverse" as "balanced" }, /classWeights must be "balanced", "none"/],
    [{ shape: { inputs: 8, hidden: -1, outputs: 2 } }, /shape must have/],
    [{ shape: { inputs: 8, hidden: 0, outputs: 1 } }, /shape must have/],
  ])("refuses %j with a TrainingError that says what is wrong", async (bad, says) => {
    const error = await Effect.runPromise(
      Effect.flip(Trainer.train(examples, { shape, ...(bad as Partial<Trainer.Options>) })),
    )
    expect(error).toBeInstanceOf(TrainingError)
    expect(error.message).toMatch(says)
  })
})

describe("DistillationLoss", () => {
  // A small MLP with every parameter away from zero, and a sparse input that repeats nothing.
  const shape = { inputs: 6, hidden: 4, outputs: 3 }
  const network = Network.zeros(shape)
  const fill = (a: Float32Array, k: number) => {
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(1.7 * i + k) * 0.8
  }
  fill(network.embedding, 1)
  fill(network.hiddenBias, 2)
  fill(network.output, 3)
  fill(network.outputBias, 4)
  const x = features([1, 0.6], [3, -0.5], [4, 0.62])

  for (const [temperature, weight] of [
    [1, 1],
    [2.5, 1],
    [3, 0.4],
  ] as const) {
    it(`has the gradient of its loss (T=${temperature}, class weight ${weight}), by finite differences`, () => {
      const soft = DistillationLoss.soften([0.2, 0.7, 0.1], temperature)
      const grads = DistillationLoss.gradientsFor(network)
      const rows: Array<number> = []
      const value = DistillationLoss.accumulate(
        network,
        x,
        soft,
        weight,
        temperature,
        1,
        grads,
        new Float64Array(shape.hidden),
        (row) => rows.push(row),
      )
      expect(value).toBeCloseTo(DistillationLoss.loss(network, x, soft, weight, temperature), 10)
      expect(rows).toEqual([1, 3, 4])
      const h = 1e-3
      const parts = [
        [network.embedding, grads.embedding],
        [network.hiddenBias, grads.hiddenBias],
        [network.output, grads.output],
        [network.outputBias, grads.outputBias],
      ] as const
      let checked = 0
      for (const [weights, grad] of parts) {
        for (let i = 0; i < weights.length; i++) {
          const w = weights[i]!
          weights[i] = w + h
          const up = DistillationLoss.loss(network, x, soft, weight, temperature)
          weights[i] = w - h
          const down = DistillationLoss.loss(network, x, soft, weight, temperature)
          weights[i] = w
          // Float32 weights: the step is exact to ~1e-7 of it, the difference to ~1e-4.
          expect(grad[i]!).toBeCloseTo((up - down) / (2 * h), 3)
          checked++
        }
      }
      expect(checked).toBe(6 * 4 + 4 + 4 * 3 + 3)
      // Rows of buckets absent from the input get nothing.
      for (const row of [0, 2, 5])
        for (let j = 0; j < 4; j++) expect(grads.embedding[row * 4 + j]).toBe(0)
    })
  }
})
