/**
 * A message as the featurizer reads it: a mail's kept header fields and
 * the head of its body, lowercased. Text that is not a mail is all body.
 *
 * No MIME decoding happens here on purpose: it costs more than the whole
 * model on the device, and encoded bodies (quoted-printable, base64, HTML)
 * are themselves strong signals that the n-grams pick up.
 */

export interface MessageText {
  /** Kept header fields, lowercased names, unfolded values. */
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>
  readonly body: string
}

/** A header field ("Name: value") or an mbox "From " line. */
const HEADER_LINE = /^(?:from |[!-9;-~]+:)/i
/** A folded continuation of the field above. */
const CONTINUATION = /^[ \t]/
/**
 * Where a header block must have ended. Real headers are a few KB; looking
 * further would make hostile input (megabytes without a blank line) cost
 * time on every message.
 */
const HEADER_LIMIT = 64 * 1024

interface Header {
  readonly lines: ReadonlyArray<string>
  readonly bodyStart: number
}

/**
 * The header lines, or undefined when the text is not a mail. A mail's
 * header is a block of header lines ended by a blank line, or a whole text
 * of at least two header lines. One line such as "Note: call me" or
 * "From the desk of…" is plain text, as is any block with a line that is
 * not a header: read as a header, its words would be lost.
 */
const headerOf = (text: string): Header | undefined => {
  if (!HEADER_LINE.test(text)) return undefined
  const head = text.slice(0, HEADER_LIMIT + 2)
  const crlf = head.indexOf("\r\n\r\n")
  const lf = head.indexOf("\n\n")
  const end = lf === -1 ? crlf : crlf === -1 ? lf : Math.min(lf, crlf)
  if (end === -1 && text.length > HEADER_LIMIT) return undefined
  const lines = (end === -1 ? text : text.slice(0, end)).split(/\r?\n/)
  if (end === -1 && lines.length < 2) return undefined
  for (const line of lines) {
    if (!HEADER_LINE.test(line) && !CONTINUATION.test(line)) return undefined
  }
  return { lines, bodyStart: end === -1 ? text.length : end + (end === crlf ? 4 : 2) }
}

/** Splits a raw message into kept header fields and the first `maxChars` of the body. */
export const read = (text: string, keep: ReadonlyArray<string>, maxChars: number): MessageText => {
  const header = headerOf(text)
  if (header === undefined) return { fields: [], body: text.slice(0, maxChars).toLowerCase() }
  const start = header.bodyStart
  const body = text.slice(start, start + maxChars)
  const fields: Array<readonly [string, string]> = []
  if (keep.length > 0) {
    let name: string | undefined
    let value = ""
    const flush = () => {
      if (name !== undefined && keep.includes(name)) {
        fields.push([name, value.slice(0, maxChars).toLowerCase()])
      }
    }
    for (const line of header.lines) {
      if (CONTINUATION.test(line) && name !== undefined) {
        // A field folded over many lines still ends at maxChars.
        if (value.length < maxChars) value += ` ${line.trim()}`
        continue
      }
      flush()
      const colon = line.indexOf(":")
      name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : undefined
      value = colon > 0 ? line.slice(colon + 1).trim() : ""
    }
    flush()
  }
  return { fields, body: body.toLowerCase() }
}
