import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { SparseFeatures } from "../src/features/index.js"
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
