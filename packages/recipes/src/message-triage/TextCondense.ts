/**
 * The text condense stage: a message in, the short, masked text that may
 * leave the device out.
 *
 * ```
 * raw mail or text ─▶ MessageClean ─▶ PiiMask ─▶ SentencePick ─▶ "Subject: …\nFrom: …\n\n<best sentences>"
 *                     (MIME, HTML,    (e-mail,    (under the token
 *                      no quotes or    phone, URL  budget, o200k_base;
 *                      signature)      queries)    Subject always kept)
 * ```
 *
 * Masking is on by default and happens before picking, so the text, its
 * token counts and anything downstream (an escalation, a `Tap` recording
 * it) see only masked text; the output carries nothing of the input but
 * that text. As a core condense stage it reports tokens in (the input as
 * given) and out as metrics and span attributes.
 *
 * @example
 * ```ts
 * import { createRunner } from "@edgeline/core"
 * import { TextCondense } from "@edgeline/recipes"
 * import { Layer } from "effect"
 *
 * const runner = await createRunner(TextCondense.stage, { layer: Layer.empty })
 * const out = await runner.run(rawMail)
 * console.log(out.text, `${out.tokensIn} → ${out.tokensOut} tokens`, out.masked)
 * await runner.close()
 * ```
 */
import { Condense, Pipeline, type Stage } from "@edgeline/core"
import { Effect } from "effect"
import * as MessageClean from "./MessageClean.js"
import * as PiiMask from "./PiiMask.js"
import * as SentencePick from "./SentencePick.js"
import * as TokenCount from "./TokenCount.js"

/**
 * The default budget, chosen by measurement (see the README): on the
 * SpamAssassin `-1` validation split the reference cloud tier's accuracy on
 * text condensed to it is within 0.5 points of its accuracy on the
 * unbudgeted condense. The reference teacher is trained on this default's
 * output, so a change to it goes with `npm run distill`.
 */
export const DEFAULT_TOKEN_BUDGET = 384

/** The subject and sender take at most this share of the budget. */
const HEAD_SHARE = 0.5

export interface Options {
  /** Most tokens (o200k_base) of the condensed text, subject and sender included. Default `DEFAULT_TOKEN_BUDGET`. */
  readonly tokenBudget?: number | undefined
  /** Mask e-mail addresses, phone numbers and URL query strings (default true). */
  readonly mask?: boolean | undefined
  /** The stage's name (default `"text-condense"`). */
  readonly name?: string | undefined
}

export interface Condensed {
  /** What may leave the device: `Subject:` and `From:` lines, a blank line, the picked sentences (plain text: the sentences alone). */
  readonly text: string
  readonly subject: string
  readonly from: string
  /** Tokens of the input as given (a raw mail: headers, MIME and all). */
  readonly tokensIn: number
  /** Tokens of `text`: at most the budget. */
  readonly tokensOut: number
  /** What was masked (all zero when masking is off). */
  readonly masked: PiiMask.Counts
  /** Sentences kept, of all the cleaned body had. */
  readonly sentences: { readonly kept: number; readonly total: number }
}

const inputText = (input: MessageClean.Input): string =>
  typeof input === "string"
    ? input
    : new (
        globalThis as unknown as {
          TextDecoder: new () => { decode: (b: Uint8Array) => string }
        }
      ).TextDecoder().decode(input)

/** The subject and sender lines, cut to fit `budget` tokens. */
const headOf = (subject: string, from: string, budget: number): string => {
  const lines: Array<string> = []
  let left = budget
  for (const [name, value] of [
    ["Subject", subject],
    ["From", from],
  ] as const) {
    if (value === "") continue
    const line = TokenCount.truncate(`${name}: ${value}`, left)
    if (line.length <= name.length + 2) continue
    lines.push(line)
    left -= TokenCount.count(line) + 1
  }
  return lines.join("\n")
}

/** Condenses one message (see the module's note). */
export const condense = (
  input: MessageClean.Input,
  options: Options = {},
): Effect.Effect<Condensed> =>
  Effect.map(MessageClean.clean(input), (cleaned) => {
    const budget = Math.max(1, Math.floor(options.tokenBudget ?? DEFAULT_TOKEN_BUDGET))
    const masking = options.mask ?? true
    let masked = PiiMask.none
    const maskOf = (text: string) => {
      if (!masking) return text
      const m = PiiMask.mask(text)
      masked = PiiMask.add(masked, m.counts)
      return m.text
    }
    const subject = maskOf(cleaned.subject)
    const from = maskOf(cleaned.from)
    const body = maskOf(cleaned.body)
    const head = cleaned.mail ? headOf(subject, from, Math.floor(budget * HEAD_SHARE)) : ""
    // The head, a blank line (two tokens at most), then the body's share.
    const headTokens = head === "" ? 0 : TokenCount.count(head) + 2
    let picked = SentencePick.pick(body, { tokenBudget: budget - headTokens })
    let text = head === "" ? picked.text : picked.text === "" ? head : `${head}\n\n${picked.text}`
    let tokensOut = TokenCount.count(text)
    // Seams between head and body rarely merge tokens; if they do, give the body less.
    for (let less = 1; tokensOut > budget && picked.tokens > 0; less++) {
      picked = SentencePick.pick(body, { tokenBudget: budget - headTokens - less })
      text = head === "" ? picked.text : picked.text === "" ? head : `${head}\n\n${picked.text}`
      tokensOut = TokenCount.count(text)
    }
    return {
      text,
      subject,
      from,
      tokensIn: TokenCount.count(inputText(input)),
      tokensOut,
      masked,
      sentences: { kept: picked.kept, total: picked.sentences },
    }
  })

/** A condense stage with these options; it reports `{ unit: "tokens", before, after }`. */
export const make = (options: Options = {}): Stage.Stage<MessageClean.Input, Condensed> =>
  Condense.condense({
    name: options.name ?? "text-condense",
    run: (input: MessageClean.Input) => condense(input, options),
    measure: (_, out) => ({ unit: "tokens", before: out.tokensIn, after: out.tokensOut }),
  })

/** The stage with the defaults: budget `DEFAULT_TOKEN_BUDGET`, masking on. */
export const stage: Stage.Stage<MessageClean.Input, Condensed> = make()

/** The condense alone as a pipeline (for `createRunner` and workers). */
export const pipeline: Pipeline.Pipeline<MessageClean.Input, Condensed> = Pipeline.make(
  "text-condense",
  stage,
)

/** tokensOut / tokensIn, 0..1 (0 for an empty input). */
export const tokenRatio = (condensed: Pick<Condensed, "tokensIn" | "tokensOut">): number =>
  condensed.tokensIn === 0 ? 0 : condensed.tokensOut / condensed.tokensIn
