import { describe, expect, it } from "vitest"
import { Evaluation } from "../src/index.js"
import { five, labels, realistic } from "./items.js"

describe("Evaluation.evaluate on five hand-checked messages", () => {
  const report = Evaluation.evaluate({ labels, items: five, bins: 5 })

  it("counts, accuracies and agreement", () => {
    expect(report.format).toBe(Evaluation.FORMAT)
    expect(report.positive).toBe("spam")
    expect(report.counts).toEqual({ items: 5, withTruth: 5, withTeacher: 5 })
    expect(report.student.accuracy).toBe(3 / 5)
    expect(report.student.meanConfidence).toBeCloseTo((0.8 + 0.6 + 0.7 + 0.9 + 0.95) / 5, 12)
    expect(report.teacher).toEqual({ accuracy: 4 / 5 })
    expect(report.agreement).toBe(4 / 5)
  })

  it("confusion matrices, rows the reference and columns the student", () => {
    expect(report.confusion.truth!.matrix).toEqual([
      [2, 1],
      [1, 1],
    ])
    expect(report.confusion.teacher!.matrix).toEqual([
      [2, 0],
      [1, 2],
    ])
    expect(report.confusion.truth!.items).toBe(5)
  })

  it("precision, recall and F1 of the positive class", () => {
    expect(report.confusion.truth!.positive).toEqual({
      label: "spam",
      precision: 1 / 2,
      recall: 1 / 2,
      f1: 1 / 2,
      support: 2,
      predicted: 2,
    })
    const teacher = report.confusion.teacher!.positive!
    expect(teacher.precision).toBe(1)
    expect(teacher.recall).toBeCloseTo(2 / 3, 12)
    expect(teacher.f1).toBeCloseTo(0.8, 12)
  })

  it("ECE and the reliability bins", () => {
    const c = report.calibration!
    expect(c.reference).toBe("truth")
    expect(c.bins.map((b) => b.count)).toEqual([0, 0, 0, 2, 3])
    expect(c.bins[0]).toEqual({
      lower: 0,
      upper: 0.2,
      count: 0,
      meanConfidence: null,
      accuracy: null,
    })
    expect(c.bins[3]!.accuracy).toBe(1 / 2)
    expect(c.bins[3]!.meanConfidence).toBeCloseTo(0.65, 12)
    expect(c.bins[4]!.accuracy).toBe(2 / 3)
    expect(c.bins[4]!.meanConfidence).toBeCloseTo((0.8 + 0.9 + 0.95) / 3, 12)
    // 2/5 · |0.5 − 0.65| + 3/5 · |2/3 − 0.8833…|
    expect(c.ece).toBeCloseTo(0.19, 12)
  })

  it("the confidence histogram spans 1/2 to 1 in 20 bins and puts each item between its edges", () => {
    const h = report.confidenceHistogram
    expect(h.edges).toHaveLength(21)
    expect(h.edges[0]).toBe(0.5)
    expect(h.edges[20]).toBe(1)
    expect(h.counts.reduce((a, b) => a + b)).toBe(5)
    expect(h.fractions.reduce((a, b) => a + b)).toBeCloseTo(1, 12)
    for (const c of [0.6, 0.7, 0.8, 0.9, 0.95]) {
      const bin = h.counts.findIndex((_, i) => h.edges[i]! <= c && c < h.edges[i + 1]!)
      expect(h.counts[bin]).toBe(1)
    }
  })

  it("the escalation curve has one point per distinct threshold, ends included", () => {
    const e = report.escalation!
    expect(e.thresholds).toBe(6)
    expect(e.curve).toEqual([
      { threshold: 0.6, escalated: 0, accuracy: 0.6, agreement: 0.8 },
      // Each threshold sits midway between two neighbouring confidences.
      { threshold: 0.6 + (0.7 - 0.6) / 2, escalated: 0.2, accuracy: 0.6, agreement: 0.8 },
      { threshold: 0.75, escalated: 0.4, accuracy: 0.8, agreement: 1 },
      { threshold: 0.8 + (0.9 - 0.8) / 2, escalated: 0.6, accuracy: 0.8, agreement: 1 },
      { threshold: 0.925, escalated: 0.8, accuracy: 0.8, agreement: 1 },
      { threshold: 1, escalated: 1, accuracy: 0.8, agreement: 1 },
    ])
  })

  it("by default the target is the teacher's accuracy less 0.5 points, and says so", () => {
    const chosen = report.escalation!.chosen
    expect(chosen).toMatchObject({ threshold: 0.75, escalated: 0.4, accuracy: 0.8, reached: true })
    expect(chosen.target).toMatchObject({
      kind: "cascadeAccuracy",
      value: 0.8 - Evaluation.DEFAULT_MARGIN,
      metric: "accuracy",
      defaulted: true,
    })
    expect(chosen.target.description).toContain("teacher's own accuracy (80.00%)")
    expect(chosen.target.description).toContain("default")
  })
})

describe("choosing the threshold", () => {
  const choose = (target: Evaluation.TargetInput) =>
    Evaluation.evaluate({ labels, items: five, target }).escalation!.chosen

  it("takes the fewest escalations that reach a cascade accuracy", () => {
    expect(choose({ cascadeAccuracy: 0.6 })).toMatchObject({ threshold: 0.6, escalated: 0 })
    expect(choose({ cascadeAccuracy: 0.7 })).toMatchObject({ threshold: 0.75, escalated: 0.4 })
  })

  it("takes the best one, marked not reached, when no threshold reaches the target", () => {
    const chosen = choose({ cascadeAccuracy: 0.9 })
    expect(chosen).toMatchObject({ threshold: 0.75, accuracy: 0.8, reached: false })
    expect(chosen.target).toMatchObject({ kind: "cascadeAccuracy", value: 0.9, defaulted: false })
  })

  it("takes the best cascade accuracy within an escalation budget, the fewest escalations on a tie", () => {
    expect(choose({ maxEscalated: 0.2 })).toMatchObject({
      threshold: 0.6,
      escalated: 0,
      reached: true,
    })
    expect(choose({ maxEscalated: 0.5 })).toMatchObject({ threshold: 0.75, escalated: 0.4 })
    expect(choose({ maxEscalated: 1 })).toMatchObject({ threshold: 0.75, escalated: 0.4 })
    expect(choose({ maxEscalated: 0.5 }).target.description).toContain("at most 50.00% escalated")
  })

  it("scores escalated items by the teacher's answer to what the cascade sends, when given", () => {
    // The teacher, sent item 2 condensed, calls it ham: escalating it no longer pays.
    const items = five.map((item, i) => ({
      ...item,
      escalated: i === 2 ? [0.6, 0.4] : item.teacher,
    }))
    const report = Evaluation.evaluate({ labels, items })
    expect(report.teacher).toEqual({ accuracy: 4 / 5 })
    expect(report.agreement).toBe(4 / 5)
    expect(report.escalation!.curve.map((p) => [p.escalated, p.accuracy, p.agreement])).toEqual([
      [0, 0.6, 0.8],
      [0.2, 0.6, 0.8],
      [0.4, 0.6, 0.8],
      [0.6, 0.6, 0.8],
      [0.8, 0.6, 0.8],
      [1, 0.6, 0.8],
    ])
    // The default target is still the teacher's own accuracy on the items less 0.5 points.
    expect(report.escalation!.chosen).toMatchObject({ escalated: 0, reached: false })
    expect(report.escalation!.chosen.target.value).toBe(0.8 - Evaluation.DEFAULT_MARGIN)
  })

  it("escalates everything above a confidence of 1 when some confidence is 1", () => {
    const report = Evaluation.evaluate({
      labels,
      items: [
        { truth: "spam", teacher: [0, 1], student: [0, 1] },
        { truth: "ham", teacher: [1, 0], student: [0.4, 0.6] },
      ],
    })
    const curve = report.escalation!.curve
    expect(curve.map((p) => p.threshold)).toEqual([0.6, 0.8, 1 + Number.EPSILON])
    expect(curve.at(-1)!.escalated).toBe(1)
    expect(report.escalation!.chosen).toMatchObject({ threshold: 0.8, escalated: 0.5, accuracy: 1 })
  })
})

describe("what is missing", () => {
  it("without a teacher: no agreement, no teacher confusion, no cascade", () => {
    const report = Evaluation.evaluate({
      labels,
      items: five.map(({ truth, student }) => ({ truth, student })),
    })
    expect(report.teacher).toBeNull()
    expect(report.agreement).toBeNull()
    expect(report.confusion.teacher).toBeNull()
    expect(report.escalation).toBeNull()
    expect(report.student.accuracy).toBe(0.6)
    expect(report.calibration!.reference).toBe("truth")
    expect(report.counts.withTeacher).toBe(0)
  })

  it("without truth: calibration and the cascade are scored against the teacher", () => {
    const report = Evaluation.evaluate({
      labels,
      items: five.map(({ teacher, student }) => ({ teacher, student })),
    })
    expect(report.student.accuracy).toBeNull()
    expect(report.teacher).toEqual({ accuracy: null })
    expect(report.confusion.truth).toBeNull()
    expect(report.calibration!.reference).toBe("teacher")
    expect(report.escalation!.curve.every((p) => p.accuracy === null)).toBe(true)
    const chosen = report.escalation!.chosen
    expect(chosen.target).toMatchObject({ metric: "agreement", value: 0.995, defaulted: true })
    // The only disagreement (confidence 0.7) is escalated at 0.8.
    expect(chosen).toMatchObject({ threshold: 0.75, escalated: 0.4, agreement: 1 })
  })

  it("with truth on some items, accuracies count only those", () => {
    const items = five.map((item, i) => (i === 2 ? { ...item, truth: undefined } : item))
    const report = Evaluation.evaluate({ labels, items })
    expect(report.counts.withTruth).toBe(4)
    expect(report.student.accuracy).toBe(3 / 4)
    expect(report.confusion.truth!.items).toBe(4)
    expect(report.calibration!.items).toBe(4)
    expect(report.escalation!.curve[0]!.accuracy).toBe(3 / 4)
  })

  it("with neither truth nor teacher, only the histogram", () => {
    const report = Evaluation.evaluate({ labels, items: five.map(({ student }) => ({ student })) })
    expect(report.calibration).toBeNull()
    expect(report.confusion).toEqual({ truth: null, teacher: null })
    expect(report.confidenceHistogram.items).toBe(5)
  })

  it("three labels have no positive class unless one is named", () => {
    const items = [{ truth: "c", student: [0.2, 0.3, 0.5] }]
    const three = ["a", "b", "c"]
    expect(Evaluation.evaluate({ labels: three, items }).confusion.truth!.positive).toBeNull()
    const named = Evaluation.evaluate({ labels: three, items, positive: "c" })
    expect(named.confusion.truth!.positive).toMatchObject({ label: "c", precision: 1, recall: 1 })
    expect(named.confidenceHistogram.edges[0]).toBe(1 / 3)
  })

  it("a ratio with nothing to divide by is null, and F1 is 0 when nothing is found", () => {
    const report = Evaluation.evaluate({
      labels,
      items: [
        { truth: "ham", student: [0.9, 0.1] },
        { truth: "spam", student: [0.8, 0.2] },
      ],
    })
    expect(report.confusion.truth!.positive).toMatchObject({ precision: null, recall: 0, f1: null })
    const none = Evaluation.evaluate({ labels, items: [{ truth: "ham", student: [0.9, 0.1] }] })
    expect(none.confusion.truth!.positive).toMatchObject({
      precision: null,
      recall: null,
      f1: null,
    })
  })

  it("a tie goes to the first label", () => {
    const report = Evaluation.evaluate({ labels, items: [{ truth: "ham", student: [0.5, 0.5] }] })
    expect(report.student.accuracy).toBe(1)
    expect(report.student.meanConfidence).toBe(0.5)
  })
})

describe("a realistic set", () => {
  const items = realistic(5000)
  const report = Evaluation.evaluate({ labels, items })

  /** The cascade at one threshold, counted directly from the items. */
  const cascadeAt = (threshold: number) => {
    let escalated = 0
    let right = 0
    for (const item of items) {
      const confidence = Math.max(...Array.from(item.student))
      const escalate = confidence < threshold
      if (escalate) escalated++
      const probabilities = escalate ? item.teacher! : item.student
      const label = probabilities[0]! >= probabilities[1]! ? "ham" : "spam"
      if (label === item.truth) right++
    }
    return { escalated: escalated / items.length, accuracy: right / items.length }
  }

  it("samples the curve to at most MAX_CURVE_POINTS, both ends and the chosen point kept", () => {
    const e = report.escalation!
    expect(e.thresholds).toBeGreaterThan(Evaluation.MAX_CURVE_POINTS)
    expect(e.curve.length).toBeLessThanOrEqual(Evaluation.MAX_CURVE_POINTS)
    expect(e.curve.length).toBeGreaterThan(100)
    expect(e.curve[0]!.escalated).toBe(0)
    expect(e.curve.at(-1)!.escalated).toBe(1)
    expect(e.curve.at(-1)!.accuracy).toBe(report.teacher!.accuracy)
    expect(e.curve).toContainEqual({
      threshold: e.chosen.threshold,
      escalated: e.chosen.escalated,
      accuracy: e.chosen.accuracy,
      agreement: e.chosen.agreement,
    })
    for (let i = 1; i < e.curve.length; i++) {
      expect(e.curve[i]!.escalated).toBeGreaterThan(e.curve[i - 1]!.escalated)
      expect(e.curve[i]!.threshold).toBeGreaterThan(e.curve[i - 1]!.threshold)
    }
    // No gap wider than two grid steps, except where one confidence holds many items.
    const gaps = e.curve.slice(1).map((p, i) => p.escalated - e.curve[i]!.escalated)
    expect(Math.max(...gaps)).toBeLessThan(0.02)
  })

  it("every point kept is the cascade counted directly", () => {
    for (const p of report.escalation!.curve.filter((_, i) => i % 10 === 0)) {
      const direct = cascadeAt(p.threshold)
      expect(p.escalated).toBeCloseTo(direct.escalated, 12)
      expect(p.accuracy).toBeCloseTo(direct.accuracy, 12)
    }
  })

  it("the chosen threshold reaches the target and no smaller escalation does", () => {
    const chosen = report.escalation!.chosen
    expect(chosen.reached).toBe(true)
    expect(chosen.accuracy).toBeGreaterThanOrEqual(chosen.target.value)
    expect(chosen.escalated).toBeGreaterThan(0)
    const confidences = [
      ...new Set(items.map((item) => Math.max(...Array.from(item.student)))),
    ].sort((a, b) => a - b)
    const below = confidences.filter((c) => c < chosen.threshold)
    for (const threshold of below.slice(-50)) {
      expect(cascadeAt(threshold).accuracy).toBeLessThan(chosen.target.value)
    }
  })

  it("is deterministic and plain JSON", () => {
    const again = Evaluation.evaluate({ labels, items })
    expect(JSON.stringify(again)).toBe(JSON.stringify(report))
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  it("the student is less sure where it is wrong, so escalating some items pays", () => {
    expect(report.student.accuracy).toBeGreaterThan(0.88)
    expect(report.teacher!.accuracy).toBeGreaterThan(0.95)
    expect(report.escalation!.chosen.escalated).toBeLessThan(0.6)
  })
})
