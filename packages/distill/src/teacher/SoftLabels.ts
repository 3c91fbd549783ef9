/**
 * Soft labels from what a chat model says: its token probabilities at the
 * label, or failing that its stated label and confidence.
 */

/** One candidate token at a position, with its log probability. */
export interface TokenLogprob {
  readonly token: string
  readonly logprob: number
}

/**
 * The probability a label gets when none of the offered tokens names it:
 * small but not zero, so a student's log-loss against it stays finite.
 */
export const FLOOR = 1e-6

/**
 * The label a token starts, as far as a token can say: leading spaces and
 * quotes dropped, cut at a closing quote. Labels are matched exactly first,
 * then by prefix ("sp" → "spam"); a prefix several labels share counts for
 * each of them equally.
 */
const labelsOfToken = (labels: ReadonlyArray<string>, token: string): ReadonlyArray<number> => {
  const value = (token.replace(/^[\s"]+/, "").split('"')[0] ?? "").trimEnd()
  if (value === "") return []
  const exact = labels.indexOf(value)
  if (exact >= 0) return [exact]
  const prefixed: Array<number> = []
  labels.forEach((label, i) => {
    if (label.startsWith(value)) prefixed.push(i)
  })
  return prefixed
}

/**
 * Probabilities over `labels` from the candidates for the label's first
 * token: each candidate's probability goes to the label(s) it starts, the
 * labels no candidate names get `FLOOR`, and the whole is renormalised over
 * the labels (mass on tokens that start no label is dropped). `undefined`
 * when no candidate starts any label.
 */
export const fromTopLogprobs = (
  labels: ReadonlyArray<string>,
  candidates: ReadonlyArray<TokenLogprob>,
): ReadonlyArray<number> | undefined => {
  const mass = labels.map(() => 0)
  const counted = new Set<string>()
  for (const { token, logprob } of candidates) {
    // The sampled token is usually among the top ones too: count it once.
    if (counted.has(token) || !Number.isFinite(logprob)) continue
    counted.add(token)
    const hits = labelsOfToken(labels, token)
    for (const i of hits) mass[i] = (mass[i] as number) + Math.exp(logprob) / hits.length
  }
  if (mass.every((m) => m === 0)) return undefined
  const floored = mass.map((m) => (m > 0 ? m : FLOOR))
  const total = floored.reduce((a, b) => a + b, 0)
  return floored.map((m) => m / total)
}

/**
 * Probabilities from a stated answer: `confidence` on the label and the rest
 * spread evenly over the other labels; without a confidence, all on the label.
 */
export const fromConfidence = (
  labels: ReadonlyArray<string>,
  label: string,
  confidence: number | undefined,
): ReadonlyArray<number> => {
  const c = confidence ?? 1
  const rest = (1 - c) / (labels.length - 1)
  return labels.map((l) => (l === label ? c : rest))
}

/**
 * Where the label's value starts in a JSON answer (the character after its
 * opening quote), or `undefined` when there is no `"label": "…"` in it.
 * Inside a JSON string a quote is escaped, so a key-like text within a
 * value does not match.
 */
export const labelValueOffset = (content: string): number | undefined => {
  const match = /"label"\s*:\s*"/.exec(content)
  return match === null ? undefined : match.index + match[0].length
}

/**
 * The candidates for the label's first token in a logprobs token list: the
 * token covering the label value's first character, with its alternatives.
 * A token that begins before the value (`":"sp`) has that beginning cut
 * from itself and from alternatives that share it. `undefined` when the
 * tokens do not spell the content or there is no label in it.
 */
export const labelTokenCandidates = (
  content: string,
  tokens: ReadonlyArray<
    TokenLogprob & { readonly top_logprobs?: ReadonlyArray<TokenLogprob> | null | undefined }
  >,
): ReadonlyArray<TokenLogprob> | undefined => {
  const at = labelValueOffset(content)
  if (at === undefined || tokens.map((t) => t.token).join("") !== content) return undefined
  let start = 0
  for (const entry of tokens) {
    const end = start + entry.token.length
    if (end > at) {
      const before = entry.token.slice(0, at - start)
      const cut = (t: TokenLogprob): TokenLogprob =>
        t.token.startsWith(before) ? { token: t.token.slice(before.length), logprob: t.logprob } : t
      return [cut(entry), ...(entry.top_logprobs ?? []).map(cut)]
    }
    start = end
  }
  return undefined
}
