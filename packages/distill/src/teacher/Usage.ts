/** Tokens an answer cost, and what tokens cost in dollars. */

export interface Usage {
  readonly promptTokens: number
  readonly completionTokens: number
}

/** Dollars per million tokens, as providers list them. */
export interface Pricing {
  readonly inputPerMillion: number
  readonly outputPerMillion: number
}

export const zero: Usage = { promptTokens: 0, completionTokens: 0 }

/** What `usage` cost at `pricing`; 0 without pricing (a local teacher). */
export const costUsd = (usage: Usage, pricing: Pricing | undefined): number =>
  pricing === undefined
    ? 0
    : (usage.promptTokens * pricing.inputPerMillion +
        usage.completionTokens * pricing.outputPerMillion) /
      1_000_000
