import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Evaluation, EvaluationInputError } from "../src/index.js"
import { five, labels } from "./items.js"

/** The error `evaluate` throws for `input`, checked to be the typed one. */
const errorOf = (input: unknown): EvaluationInputError => {
  try {
    Evaluation.evaluate(input as Evaluation.Input)
  } catch (error) {
    expect(error).toBeInstanceOf(EvaluationInputError)
    expect((error as EvaluationInputError)._tag).toBe("EvaluationInputError")
    return error as EvaluationInputError
  }
  throw new Error("evaluate accepted the input")
}

describe("Evaluation.evaluate refuses what it cannot evaluate", () => {
  it("no items", () => {
    expect(errorOf({ labels, items: [] }).message).toMatch(/items is empty/)
  })

  it("labels: fewer than two, repeated, not strings", () => {
    expect(errorOf({ labels: ["ham"], items: five }).message).toMatch(/at least two/)
    expect(errorOf({ labels: ["ham", "ham"], items: five }).message).toMatch(/distinct/)
    expect(errorOf({ labels: ["ham", 1], items: five }).message).toMatch(/non-empty strings/)
  })

  it("probabilities of the wrong length, naming the item", () => {
    const items = [...five, { truth: "ham", teacher: [0.5, 0.5], student: [0.2, 0.3, 0.5] }]
    const error = errorOf({ labels, items })
    expect(error.item).toBe(5)
    expect(error.message).toBe("items[5].student has 3 probabilities; labels has 2 (ham, spam)")
    const teacher = errorOf({ labels, items: [{ teacher: [1], student: [0.5, 0.5] }] })
    expect(teacher.message).toMatch(/items\[0\]\.teacher has 1 probabilities/)
  })

  it("NaN, negative or above 1", () => {
    expect(errorOf({ labels, items: [{ student: [Number.NaN, 1] }] }).message).toMatch(
      /items\[0\]\.student\[0\] is NaN/,
    )
    expect(errorOf({ labels, items: [{ student: [-0.1, 1.1] }] }).message).toMatch(/from 0 to 1/)
    expect(errorOf({ labels, items: [{ student: ["0.5", 0.5] }] }).message).toMatch(/from 0 to 1/)
  })

  it("not summing to 1 (logits, say)", () => {
    expect(errorOf({ labels, items: [{ student: [0.2, 0.2] }] }).message).toMatch(
      /sums to 0\.4, not 1; pass probabilities/,
    )
    // Within the tolerance is fine: float32 softmax, rounded teacher JSON.
    const close = 1 - Evaluation.SUM_TOLERANCE / 2
    expect(() => Evaluation.evaluate({ labels, items: [{ student: [close, 0] }] })).not.toThrow()
  })

  it("a truth that is not a label", () => {
    const error = errorOf({ labels, items: [{ truth: "Spam", student: [0.5, 0.5] }] })
    expect(error.message).toBe('items[0].truth "Spam" is not one of the labels (ham, spam)')
  })

  it("teacher probabilities on only some items", () => {
    const items = [five[0]!, { truth: "ham", student: [0.6, 0.4] }]
    const error = errorOf({ labels, items })
    expect(error.item).toBe(1)
    expect(error.message).toMatch(/on 1 of 2 items .* every item or for none/)
  })

  it("escalated probabilities on only some items, or without the teacher's", () => {
    const some = [{ ...five[0]!, escalated: [0.5, 0.5] }, five[1]!]
    expect(errorOf({ labels, items: some }).message).toMatch(
      /escalated probabilities are on 1 of 2 items .* every item or for none/,
    )
    const alone = [{ truth: "ham", student: [0.6, 0.4], escalated: [0.5, 0.5] }]
    expect(errorOf({ labels, items: alone }).message).toMatch(/need the teacher's too/)
  })

  it("a target without a teacher, or a malformed one", () => {
    const noTeacher = five.map(({ truth, student }) => ({ truth, student }))
    expect(errorOf({ labels, items: noTeacher, target: { cascadeAccuracy: 0.9 } }).message).toMatch(
      /nothing to escalate to/,
    )
    expect(
      errorOf({ labels, items: five, target: { cascadeAccuracy: 0.9, maxEscalated: 0.1 } }).message,
    ).toMatch(/exactly one/)
    expect(errorOf({ labels, items: five, target: {} }).message).toMatch(/exactly one/)
    expect(errorOf({ labels, items: five, target: { maxEscalated: 1.5 } }).message).toMatch(
      /target\.maxEscalated must be a share from 0 to 1, got 1\.5/,
    )
    expect(
      errorOf({ labels, items: five, target: { cascadeAccuracy: Number.NaN } }).message,
    ).toMatch(/cascadeAccuracy/)
  })

  it("a positive class that is not a label, and impossible bins", () => {
    expect(errorOf({ labels, items: five, positive: "junk" }).message).toMatch(/positive "junk"/)
    expect(errorOf({ labels, items: five, bins: 0 }).message).toMatch(/bins must be an integer/)
    expect(errorOf({ labels, items: five, bins: 2.5 }).message).toMatch(/bins must be an integer/)
  })

  it("not an object at all", () => {
    expect(errorOf(undefined).message).toMatch(/an object with labels and items/)
    expect(errorOf({ labels, items: [null] }).message).toMatch(/items\[0\] must be an object/)
  })
})

describe("Evaluation.evaluateEffect", () => {
  it("succeeds with the same report", async () => {
    const report = await Effect.runPromise(Evaluation.evaluateEffect({ labels, items: five }))
    expect(report).toEqual(Evaluation.evaluate({ labels, items: five }))
  })

  it("fails with the typed error, which catchTag can handle", async () => {
    const recovered = await Effect.runPromise(
      Evaluation.evaluateEffect({ labels, items: [] }).pipe(
        Effect.catchTag("EvaluationInputError", (error) => Effect.succeed(error.message)),
      ),
    )
    expect(recovered).toMatch(/items is empty/)
  })
})
