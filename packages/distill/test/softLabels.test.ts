/** Soft labels from token probabilities and from stated confidences. */
import { describe, expect, it } from "vitest"
import {
  FLOOR,
  fromConfidence,
  fromTopLogprobs,
  labelTokenCandidates,
} from "../src/teacher/SoftLabels.js"

const ln = Math.log

describe("fromTopLogprobs", () => {
  it("maps tokens to labels exactly or by prefix, trimmed and unquoted, and renormalises over the labels", () => {
    const p = fromTopLogprobs(
      ["ham", "spam"],
      [
        { token: "sp", logprob: ln(0.6) },
        { token: ' "ham', logprob: ln(0.2) },
        { token: "{", logprob: ln(0.2) },
      ],
    )
    expect(p?.[0]).toBeCloseTo(0.25, 9)
    expect(p?.[1]).toBeCloseTo(0.75, 9)
  })

  it("adds up tokens naming the same label, counts a repeated token once", () => {
    const p = fromTopLogprobs(
      ["ham", "spam"],
      [
        { token: "spam", logprob: ln(0.5) },
        { token: "spam", logprob: ln(0.5) },
        { token: "Sp", logprob: ln(0.1) },
        { token: '"sp', logprob: ln(0.3) },
        { token: "ham", logprob: ln(0.2) },
      ],
    )
    expect(p?.[1]).toBeCloseTo(0.8, 9)
  })

  it("gives unnamed labels a floor, and splits a prefix several labels share", () => {
    const p = fromTopLogprobs(["spam", "spammy", "ham"], [{ token: "spa", logprob: ln(0.9) }])
    expect(p?.[0]).toBeCloseTo(p?.[1] as number, 12)
    expect(p?.[2]).toBeCloseTo(FLOOR / (0.9 + FLOOR), 12)
    expect(p?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    // An exact match wins over a prefix.
    expect(fromTopLogprobs(["spam", "spammy"], [{ token: "spam", logprob: 0 }])?.[0]).toBeCloseTo(
      1 - FLOOR,
      5,
    )
  })

  it("is undefined when no token starts a label", () => {
    expect(
      fromTopLogprobs(
        ["ham", "spam"],
        [
          { token: "{", logprob: 0 },
          { token: " ", logprob: -1 },
        ],
      ),
    ).toBeUndefined()
  })
})

describe("labelTokenCandidates", () => {
  const tokens = (...parts: Array<string>) =>
    parts.map((token) => ({ token, logprob: -0.1, top_logprobs: [{ token, logprob: -0.1 }] }))

  it("finds the token where the label's value starts", () => {
    const content = '{"label":"spam","confidence":0.9}'
    const list = tokens('{"', "label", '":"', "sp", "am", '","confidence":0.9}')
    expect(labelTokenCandidates(content, list)?.[0]?.token).toBe("sp")
  })

  it("cuts what a token carries from before the value, from it and its alternatives", () => {
    const content = '{"confidence": 0.9, "label": "spam"}'
    // The label's first token also carries the separator before it.
    const spelled = [
      ...tokens('{"confidence": 0.9, "label'),
      {
        token: '": "sp',
        logprob: -0.2,
        top_logprobs: [
          { token: '": "sp', logprob: -0.2 },
          { token: '": "ha', logprob: -1.7 },
          { token: " ", logprob: -9 },
        ],
      },
      ...tokens('am"}'),
    ]
    expect(labelTokenCandidates(content, spelled)?.map((c) => c.token)).toEqual([
      "sp",
      "sp",
      "ha",
      " ",
    ])
  })

  it("is undefined when the tokens do not spell the content", () => {
    expect(labelTokenCandidates('{"label":"spam"}', tokens('{"label":"', "sp"))).toBeUndefined()
  })
})

describe("fromConfidence", () => {
  it("puts the confidence on the label and spreads the rest", () => {
    expect(fromConfidence(["a", "b", "c"], "b", 0.7)).toEqual([
      0.15000000000000002, 0.7, 0.15000000000000002,
    ])
    expect(fromConfidence(["a", "b"], "a", undefined)).toEqual([1, 0])
  })
})
