/** Items shared by the tests: a hand-checkable five and a seeded realistic set. */
import type { Evaluation } from "../src/index.js"

export const labels = ["ham", "spam"] as const

/**
 * Five messages, checked by hand in evaluate.test.ts. Student confidences
 * 0.8, 0.6, 0.7, 0.9, 0.95; the student is wrong on 2 and 3, the teacher on 3.
 */
export const five: ReadonlyArray<Evaluation.Item> = [
  { truth: "spam", teacher: [0.1, 0.9], student: [0.2, 0.8] },
  { truth: "ham", teacher: [0.8, 0.2], student: [0.6, 0.4] },
  { truth: "spam", teacher: [0.3, 0.7], student: [0.7, 0.3] },
  { truth: "ham", teacher: [0.4, 0.6], student: [0.1, 0.9] },
  { truth: "ham", teacher: [0.9, 0.1], student: [0.95, 0.05] },
]

/** A deterministic generator (a linear congruential one), so the large sets are the same on every run. */
export const random = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/**
 * `size` messages, 30% spam: a teacher right about 97% of the time and a
 * student right about 92%, less sure where it is wrong, as a distilled
 * student tends to be. Confidences are float32, as a model's are.
 */
export const realistic = (size: number, seed = 1): ReadonlyArray<Evaluation.Item> => {
  const next = random(seed)
  return Array.from({ length: size }, () => {
    const spam = next() < 0.3
    const teacherRight = next() < 0.97
    const teacherSpam = teacherRight === spam ? 0.85 + 0.15 * next() : 0.05 + 0.4 * next()
    const studentRight = next() < 0.92
    const sure = studentRight ? 0.55 + 0.45 * Math.sqrt(next()) : 0.5 + 0.35 * next()
    const studentSpam = studentRight === spam ? sure : 1 - sure
    const student = Float32Array.of(1 - studentSpam, studentSpam)
    return {
      truth: spam ? "spam" : "ham",
      teacher: [1 - teacherSpam, teacherSpam],
      student,
    }
  })
}
