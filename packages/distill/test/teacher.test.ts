/** The Teacher spec: a teacher from an async function, its answers checked, its failures typed. */
import { describe, expect, it } from "vitest"
import {
  Teacher,
  TeacherAnswerError,
  TeacherOptionsError,
  TeacherRejectedError,
} from "../src/index.js"

const labels = ["ham", "spam"]
const answer = (probabilities: ReadonlyArray<number>): Teacher.Answer => ({
  probabilities,
  source: "model",
  usage: { promptTokens: 3, completionTokens: 1 },
})
const rejection = (promise: Promise<unknown>): Promise<any> =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (e: unknown) => e,
  )

describe("Teacher.make", () => {
  it("labels through the function and gives the top label", async () => {
    const keywords = Teacher.make({
      id: "keywords-v1",
      labels,
      label: (text) => answer(/winner/i.test(text) ? [0.1, 0.9] : [0.9, 0.1]),
    })
    expect(keywords.specificationVersion).toBe("v1")
    const a = await Teacher.labelPromise(keywords, "You are a WINNER")
    expect(Teacher.topLabel(keywords, a)).toBe("spam")
  })

  it("an answer that is not a soft label is a TeacherAnswerError saying why, with its usage", async () => {
    const cases: ReadonlyArray<[Teacher.Answer, string]> = [
      [answer([0.5, 0.6]), "sum to 1.1"],
      [answer([1]), "1 probabilities for 2 labels"],
      [answer([Number.NaN, 1]), `probability for "ham" is NaN`],
      [answer([-0.5, 1.5]), `probability for "ham" is -0.5`],
      [{ ...answer([0, 1]), source: "vibes" as never }, "source"],
      [{ ...answer([0, 1]), usage: { promptTokens: -1, completionTokens: 0 } }, "usage"],
    ]
    for (const [bad, why] of cases) {
      const teacher = Teacher.make({ id: "bad", labels, label: () => bad })
      const error = await rejection(Teacher.labelPromise(teacher, "x"))
      expect(error).toBeInstanceOf(TeacherAnswerError)
      expect(error.message).toContain(why)
    }
    const sumOff = await rejection(
      Teacher.labelPromise(Teacher.make({ id: "b", labels, label: () => answer([0.5, 0.6]) }), "x"),
    )
    expect(sumOff.usage).toEqual({ promptTokens: 3, completionTokens: 1 })
  })

  it("an answer a rounding away from a distribution is taken, clamped and rescaled to sum to 1", async () => {
    const teacher = Teacher.make({ id: "r", labels, label: () => answer([1.0000004, 0.0000002]) })
    const a = await Teacher.labelPromise(teacher, "x")
    expect(a.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true)
    expect(a.probabilities[0]! + a.probabilities[1]!).toBeCloseTo(1, 15)
    expect(a.probabilities[1]).toBeCloseTo(0.0000002, 12)
  })

  it("a thrown teacher error keeps its kind; anything else thrown is a retryable request error", async () => {
    const refusing = Teacher.make({
      id: "r",
      labels,
      label: async () => {
        throw new TeacherRejectedError({ message: "no", status: 403 })
      },
    })
    expect(await rejection(Teacher.labelPromise(refusing, "x"))).toBeInstanceOf(
      TeacherRejectedError,
    )
    const crashing = Teacher.make({
      id: "c",
      labels,
      label: async () => {
        throw new TypeError("boom")
      },
    })
    const error = await rejection(Teacher.labelPromise(crashing, "x"))
    expect(error).toMatchObject({ _tag: "TeacherRequestError", message: "teacher c failed: boom" })
    expect(Teacher.isRetryable(error)).toBe(true)
  })

  it("the caller's abort reaches the function", async () => {
    let aborted = false
    const waiting = Teacher.make({
      id: "w",
      labels,
      label: (_, { signal }) =>
        new Promise<Teacher.Answer>((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted = true
            reject(signal.reason)
          })
        }),
    })
    const controller = new AbortController()
    const call = Teacher.labelPromise(waiting, "x", { signal: controller.signal })
    controller.abort()
    await rejection(call)
    expect(aborted).toBe(true)
  })

  it("bad ids and labels throw TeacherOptionsError", () => {
    const label = () => answer([0.5, 0.5])
    expect(() => Teacher.make({ id: "", labels, label })).toThrow(TeacherOptionsError)
    expect(() => Teacher.make({ id: "x", labels: ["a", ""], label })).toThrow(/non-empty strings/)
    expect(() => Teacher.make({ id: "x", labels: ["a", "a"], label })).toThrow(/appears twice/)
  })

  it("costs tokens at the teacher's pricing", () => {
    expect(
      Teacher.costUsd(
        { promptTokens: 2_000_000, completionTokens: 500_000 },
        { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      ),
    ).toBeCloseTo(0.6, 12)
    expect(Teacher.costUsd({ promptTokens: 10, completionTokens: 10 }, undefined)).toBe(0)
  })
})
