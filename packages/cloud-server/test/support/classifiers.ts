/**
 * Small classifiers written for the tests. They stand in for the real triage
 * model (an ONNX teacher, wired in later) only to test the protocol: what
 * they answer is easy to predict, so the tests can check what the server
 * makes of it.
 */
import type { ChatClassifier } from "../../src/index.js"

const SPAM_WORDS = ["prize", "winner", "free", "claim", "urgent", "cash"]

/** Spam in proportion to the spam words a text holds: 0 words → p(spam) 0.1, then +0.25 each, up to 0.95. */
export const spamProbability = (text: string): number => {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? []
  const hits = words.filter((w) => SPAM_WORDS.includes(w)).length
  return Math.min(0.95, 0.1 + 0.25 * hits)
}

export const keywordTriage: ChatClassifier = {
  id: "keyword-triage",
  labels: ["ham", "spam"],
  description: "spam words counted: a stand-in for the triage teacher, for protocol tests",
  classify: async (texts) =>
    texts.map((text) => {
      const spam = spamProbability(text)
      return [1 - spam, spam]
    }),
}

/** A classifier whose answers wait until `release()`: requests stay in flight for as long as a test needs. */
export const gated = (id = "gated") => {
  const waiting: Array<() => void> = []
  let entered: () => void = () => {}
  let nextEntry = new Promise<void>((resolve) => (entered = resolve))
  const model: ChatClassifier = {
    id,
    labels: ["ham", "spam"],
    classify: (texts) =>
      new Promise((resolve) => {
        waiting.push(() => resolve(texts.map(() => [0.5, 0.5])))
        entered()
        nextEntry = new Promise<void>((r) => (entered = r))
      }),
  }
  return {
    model,
    /** Resolves once a request is waiting inside the model. */
    entered: () => (waiting.length > 0 ? Promise.resolve() : nextEntry),
    release: () => {
      for (const go of waiting.splice(0)) go()
    },
  }
}
