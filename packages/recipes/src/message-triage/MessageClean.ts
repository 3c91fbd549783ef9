/**
 * A raw mail (RFC 822 / MIME, as mail stores and the SpamAssassin corpus
 * keep it) → its subject, its sender and the text of its body, without what
 * a reader skips: headers other than Subject and From, quoted replies and
 * signatures. Plain text that is not a mail passes through unchanged.
 *
 * - MIME: `postal-mime` (no Node API; it runs in browsers, workers and
 *   Node). It decodes transfer encodings, charsets (through the platform's
 *   `TextDecoder`), encoded words and nested multiparts, and tolerates broken
 *   structure. An mbox `From ` line before the headers is dropped first.
 * - HTML: `html-to-text` (htmlparser2 underneath, no DOM) when a mail has
 *   only HTML, or when its plain part is much shorter than its HTML ("view
 *   this mail in a browser").
 * - Quoted replies: lines starting with `>`, the "On … wrote:" line that
 *   introduces them, and everything from an Outlook "-----Original
 *   Message-----" on. A forward ("Fwd:", "FW:" subject) is not a reply:
 *   the forwarded text is its message, kept unquoted, without the forwarded
 *   mail's header lines.
 * - Signatures: from a `-- ` line (RFC 3676) when at most 15 lines follow,
 *   and a closing sign-off ("Thanks," "Best regards,") with at most four short
 *   lines (a name, a title) after it at the very end.
 *
 * Cleaning never fails: a mail postal-mime cannot parse keeps its body as
 * the text after the first blank line.
 *
 * @example
 * ```ts
 * import { MessageClean } from "@edgeline/recipes"
 * import { Effect } from "effect"
 *
 * const mail = "From: Ann <ann@example.com>\nSubject: Lunch?\n\nAre you free at noon?\n\n-- \nAnn"
 * const cleaned = await Effect.runPromise(MessageClean.clean(mail))
 * // { mail: true, subject: "Lunch?", from: "Ann <ann@example.com>", body: "Are you free at noon?" }
 * ```
 */
import { Effect } from "effect"
import { compile, type HtmlToTextOptions } from "html-to-text"
import PostalMime, { type Address } from "postal-mime"

export interface Cleaned {
  /** Whether the input was a mail (otherwise `body` is the input as it was). */
  readonly mail: boolean
  readonly subject: string
  /** The sender as `Name <address>` (or the address alone); empty when unknown. */
  readonly from: string
  readonly body: string
}

/** A mail's text or bytes; bytes decode 8-bit parts in their declared charset. */
export type Input = string | Uint8Array

// Platform-neutral: `TextDecoder` is a global of browsers, workers and Node,
// but `lib: ["ES2022"]` declares none.
const textDecoder = (): { decode: (bytes: Uint8Array) => string } =>
  new (
    globalThis as unknown as { TextDecoder: new () => { decode: (b: Uint8Array) => string } }
  ).TextDecoder()

/** The input's first bytes as Latin-1: enough to look at header names. */
const headOf = (input: Input, length: number): string =>
  typeof input === "string"
    ? input.slice(0, length)
    : String.fromCharCode(...input.subarray(0, Math.min(length, input.length)))

/** An mbox separator line: `From sender date`, no colon after `From`. */
const MBOX_FROM = /^From [^\r\n]*\r?\n/u
const HEADER = /^[\x21-\x39\x3b-\x7e]{1,76}:/u
const KNOWN_HEADER =
  /^(?:from|to|cc|subject|date|received|return-path|message-id|mime-version|content-type|delivered-to|reply-to|sender|x-[\w-]+):/iu

/**
 * Whether a text is a mail: after an optional mbox `From ` line, a block of
 * header lines (and their folded continuations) that names at least one
 * header mail has (From, Subject, Received, Content-Type, an `X-` header…).
 */
export const isMail = (input: Input): boolean => {
  const head = headOf(input, 16_384).replace(MBOX_FROM, "")
  const lines = head.split(/\r?\n/u)
  let known = false
  let headers = 0
  for (const line of lines.slice(0, 200)) {
    if (line === "") return known
    if (/^[ \t]/u.test(line)) {
      if (headers === 0) return false
      continue
    }
    if (!HEADER.test(line)) return false
    headers++
    known ||= KNOWN_HEADER.test(line)
  }
  // A header block that runs past what was looked at: a mail if a known header was seen.
  return known && lines.length > 200
}

const options: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    // The text of a link is what a reader sees; the address adds host and path.
    { selector: "a", options: { hideLinkHrefIfSameAsText: true, linkBrackets: ["<", ">"] } },
    { selector: "img", format: "skip" },
    { selector: "style", format: "skip" },
    { selector: "script", format: "skip" },
    { selector: "head", format: "skip" },
    { selector: "h1", options: { uppercase: false } },
    { selector: "h2", options: { uppercase: false } },
    { selector: "h3", options: { uppercase: false } },
    { selector: "h4", options: { uppercase: false } },
    { selector: "h5", options: { uppercase: false } },
    { selector: "h6", options: { uppercase: false } },
  ],
  limits: { maxInputLength: 4 * 1024 * 1024 },
}

// Compiled on first use, not at import.
let converter: ((html: string) => string) | undefined

/** HTML → plain text (blocks on their own lines, links as `text <href>`, no images or scripts). */
export const htmlToText = (html: string): string => {
  converter ??= compile(options)
  return converter(html)
}

const QUOTED = /^[ \t]{0,8}>/u
/** "On Tue, 3 Sep 2002, Ann wrote:", "Ann Smith <ann@…> writes:", "Quoting Ann:". */
const ATTRIBUTION = /^.{0,200}\b(?:wrote|writes|said|schrieb|a écrit|escribió)\s{0,4}:\s*$/iu
const ATTRIBUTION_START = /^\s*(?:On|Am|Le|El)\s/u
const ORIGINAL =
  /^\s*-{2,}\s*(?:Original Message|Forwarded by|Ursprüngliche Nachricht)\s*-{2,}\s*$/iu

const ORIGINAL_HEADER = /^\s*(?:From|To|Sent|Date|Subject|Cc):/iu

/**
 * Where an Outlook-style original message starts to be dropped: at its
 * "-----Original Message-----" line when the original follows unquoted
 * (a reply on top), or nowhere when `>` lines follow its header lines (a
 * reply below or between them), which the quote rule handles; then only the
 * original's header lines go.
 */
const originalOf = (lines: ReadonlyArray<string>): { cut: number; headers: Set<number> } => {
  const at = lines.findIndex((line) => ORIGINAL.test(line))
  const headers = new Set<number>()
  if (at < 0) return { cut: lines.length, headers }
  let i = at + 1
  for (; i < lines.length; i++) {
    if (ORIGINAL_HEADER.test(lines[i]!)) headers.add(i)
    else if (lines[i]!.trim() !== "") break
  }
  if (i < lines.length && QUOTED.test(lines[i]!))
    return { cut: lines.length, headers: headers.add(at) }
  return { cut: at, headers: new Set() }
}

/** A subject that says the mail forwards another: "Fwd: …", "FW: …", "[list] Fw: …" (not "Re: Fw: …"). */
const FORWARD_SUBJECT = /^(?:\[[^\]\n]{0,100}\]\s*)*fwd?\s*:/iu

/** Whether a subject says the mail is a forward (whose quoted or original text is the message). */
export const isForward = (subject: string): boolean => FORWARD_SUBJECT.test(subject)

/** Where a forwarded mail starts: an Outlook original message, a "Forwarded message" rule, Apple Mail's line. */
const FORWARD_MARKER =
  /^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}|Begin forwarded message:)\s*$/iu

/** A forward's text: quoted lines unquoted, each marker of a forwarded mail and the header lines after it dropped. */
const forwarded = (lines: ReadonlyArray<string>): string => {
  const kept: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^(?:[ \t]{0,8}>)+[ \t]?/u, "")
    if (FORWARD_MARKER.test(line)) {
      // The forwarded mail's header lines (From:, Sent:, To:…, a value wrapped
      // onto a line of its own between two of them) up to its first other line.
      const unquoted = (at: number) => (lines[at] ?? "").replace(/^(?:[ \t]{0,8}>)+[ \t]?/u, "")
      let headers = 0
      while (i + 1 < lines.length) {
        const next = unquoted(i + 1)
        const wrapped = headers > 0 && ORIGINAL_HEADER.test(unquoted(i + 2))
        if (ORIGINAL_HEADER.test(next)) headers++
        else if (next.trim() !== "" && !wrapped) break
        i++
      }
      continue
    }
    kept.push(line)
  }
  return kept
    .join("\n")
    .replace(/\n{3,}/gu, "\n\n")
    .trim()
}

/**
 * Drops quoted replies: `>` lines, the attribution line (or two) right
 * before them, and an "-----Original Message-----" with what follows it (or
 * only its header lines, when the reply is written below the quote). A
 * message that is all quote keeps the quoted text, unquoted. A forward
 * (`forward`: see `isForward`) is not a reply: its quoted or original text
 * is what was sent, so it stays, unquoted, without the original's header
 * lines.
 */
export const dropQuoted = (text: string, forward = false): string => {
  const lines = text.split(/\r?\n/u)
  if (forward) return forwarded(lines)
  const original = originalOf(lines)
  const kept = lines.slice(0, original.cut)
  const out: Array<string> = []
  const nextContent = (from: number): string | undefined => {
    for (let i = from; i < kept.length; i++) if (kept[i]!.trim() !== "") return kept[i]
    return undefined
  }
  for (let i = 0; i < kept.length; i++) {
    const line = kept[i]!
    if (QUOTED.test(line) || original.headers.has(i)) continue
    if (ATTRIBUTION.test(line) && QUOTED.test(nextContent(i + 1) ?? "")) {
      // An attribution wrapped over two lines: "On Tue, 3 Sep 2002, Ann\nSmith wrote:".
      const previous = out[out.length - 1]
      if (previous !== undefined && ATTRIBUTION_START.test(previous) && !ATTRIBUTION.test(previous))
        out.pop()
      continue
    }
    out.push(line)
  }
  const reply = out
    .join("\n")
    .replace(/\n{3,}/gu, "\n\n")
    .trim()
  if (/[\p{L}\p{N}]/u.test(reply)) return reply
  // Nothing but quotes: a forward, whose quoted text is the message.
  return kept
    .filter((line) => QUOTED.test(line))
    .map((line) => line.replace(/^(?:[ \t]{0,8}>)+[ \t]?/u, ""))
    .join("\n")
    .replace(/\n{3,}/gu, "\n\n")
    .trim()
}

const DELIMITER = /^--[ \t]?$/u
const SIGN_OFF =
  /^\s*(?:thanks|thank you|thanks again|many thanks|cheers|regards|best|best regards|best wishes|kind regards|warm regards|with regards|sincerely|sincerely yours|yours|yours truly|yours sincerely|all the best|take care|ciao)\s*[,.!]?\s*$/iu

/**
 * Drops a signature: from the last `-- ` line when at most 15 lines follow
 * it, and a sign-off ("Regards,") followed by at most four short lines at
 * the end. Conservative: text that only might be a signature stays.
 */
export const dropSignature = (text: string): string => {
  let lines = text.split(/\r?\n/u)
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 16; i--) {
    if (DELIMITER.test(lines[i]!)) {
      lines = lines.slice(0, i)
      break
    }
  }
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop()
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 5; i--) {
    const line = lines[i]!
    if (SIGN_OFF.test(line)) {
      const after = lines.slice(i + 1).filter((l) => l.trim() !== "")
      if (after.length <= 4 && after.every((l) => l.trim().length <= 40)) lines = lines.slice(0, i)
      break
    }
  }
  return lines.join("\n").trimEnd()
}

/** Blank runs to one blank line, trailing spaces and characters that carry nothing dropped. */
const tidy = (text: string): string =>
  text
    // U+FFFD (undecodable bytes), also as mojibake when a UTF-8 string met a Latin-1 part.
    .replace(/\uFFFD|ï¿½/gu, "")
    .replace(/[\u200B-\u200D\uFEFF\u00AD]/gu, "")
    .replace(/[ \t\u00A0]+$/gmu, "")
    .replace(/\n{3,}/gu, "\n\n")
    .trim()

const oneLine = (text: string): string => text.replace(/\s+/gu, " ").trim()

const senderOf = (from: Address | undefined): string => {
  if (from === undefined) return ""
  if (from.group !== undefined) return oneLine(from.name)
  const name = oneLine(from.name)
  return name === "" ? from.address : from.address === "" ? name : `${name} <${from.address}>`
}

/** The body a reader sees: the plain part, or the HTML's text when that says much more. */
const bodyOf = (text: string | undefined, html: string | undefined): string => {
  const plain = text ?? ""
  if (html === undefined || html.trim() === "") return plain
  const fromHtml = htmlToText(html)
  return plain.trim().length * 2 >= fromHtml.trim().length ? plain : fromHtml
}

/** When postal-mime gives up: the text after the first blank line, Subject and From by hand. */
const fallback = (raw: string): Cleaned => {
  const split = raw.search(/\r?\n\r?\n/u)
  const head = split < 0 ? raw : raw.slice(0, split)
  const header = (name: string) =>
    oneLine(new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, "imu").exec(head)?.[1] ?? "")
  return {
    mail: true,
    subject: header("Subject"),
    from: header("From"),
    body: split < 0 ? "" : raw.slice(split).trim(),
  }
}

/** Cleans a raw mail; plain text (see `isMail`) passes through with an empty subject and sender. */
export const clean = (input: Input): Effect.Effect<Cleaned> => {
  if (!isMail(input)) {
    const text = typeof input === "string" ? input : textDecoder().decode(input)
    return Effect.succeed({ mail: false, subject: "", from: "", body: text })
  }
  const raw =
    typeof input === "string"
      ? input.replace(MBOX_FROM, "")
      : input.subarray(MBOX_FROM.exec(headOf(input, 1024))?.[0].length ?? 0)
  return Effect.tryPromise(() => PostalMime.parse(raw)).pipe(
    Effect.map(
      (email): Cleaned => ({
        mail: true,
        subject: oneLine(email.subject ?? ""),
        from: senderOf(email.from),
        body: bodyOf(email.text, email.html),
      }),
    ),
    Effect.orElseSucceed(() => fallback(typeof raw === "string" ? raw : textDecoder().decode(raw))),
    Effect.map((cleaned) => ({
      ...cleaned,
      subject: tidy(cleaned.subject),
      body: tidy(dropSignature(dropQuoted(tidy(cleaned.body), isForward(cleaned.subject)))),
    })),
  )
}

/** A cleaned mail as one text: `Subject:` and `From:` lines, a blank line, the body. */
export const format = (cleaned: Cleaned): string => {
  if (!cleaned.mail) return cleaned.body
  const head = [
    cleaned.subject === "" ? undefined : `Subject: ${cleaned.subject}`,
    cleaned.from === "" ? undefined : `From: ${cleaned.from}`,
  ].filter((line) => line !== undefined)
  return head.length === 0 ? cleaned.body : `${head.join("\n")}\n\n${cleaned.body}`
}
