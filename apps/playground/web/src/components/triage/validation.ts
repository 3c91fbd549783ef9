/**
 * The validation table the build writes (scripts/triage-validation.mjs):
 * per SpamAssassin `-1` validation message, what the student and the cloud
 * said and what it costs in tokens. Any threshold's outcome is computed
 * from it in the page, so the slider answers as it moves.
 */

export interface ValidationItem {
  readonly id: string
  readonly truth: string
  readonly student: string
  readonly confidence: number
  /** The reference cloud's label on the condensed text. */
  readonly cloud: string
  readonly tokensFull: number
  readonly tokensCondensed: number
}

export interface ValidationTable {
  readonly about: string
  readonly student: { readonly sha256: string; readonly threshold: number }
  readonly cloudModel: string
  readonly tokenBudget: number
  readonly items: ReadonlyArray<ValidationItem>
}

export interface Outcome {
  readonly messages: number
  readonly escalated: number
  /** The cascade's accuracy: the cloud's label where it escalates, the student's elsewhere. */
  readonly accuracy: number
  /** Condensed tokens sent for the escalated messages. */
  readonly tokensSent: number
  /** Tokens if every message went to the cloud whole. */
  readonly tokensAllCloud: number
}

/** The cascade on the validation split at `threshold` (escalate below it, as the recipe's policy does). */
export const at = (table: ValidationTable, threshold: number): Outcome => {
  let escalated = 0
  let right = 0
  let tokensSent = 0
  let tokensAllCloud = 0
  for (const item of table.items) {
    const escalates = item.confidence < threshold
    if (escalates) {
      escalated++
      tokensSent += item.tokensCondensed
    }
    if ((escalates ? item.cloud : item.student) === item.truth) right++
    tokensAllCloud += item.tokensFull
  }
  const messages = table.items.length
  return {
    messages,
    escalated,
    accuracy: messages === 0 ? 0 : right / messages,
    tokensSent,
    tokensAllCloud,
  }
}

export const load = async (): Promise<ValidationTable> => {
  const response = await fetch("./triage-validation.json")
  if (!response.ok) {
    throw new Error(
      `the validation table is missing (HTTP ${response.status}): run \`npm run build\` in apps/playground`,
    )
  }
  return (await response.json()) as ValidationTable
}
