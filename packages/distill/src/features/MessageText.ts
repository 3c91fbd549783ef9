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

const HEADER_LINE = /^(?:from |[!-9;-~]+:)/i

/** Splits a raw message into kept header fields and the first `maxChars` of the body. */
export const read = (text: string, keep: ReadonlyArray<string>, maxChars: number): MessageText => {
  if (!HEADER_LINE.test(text)) return { fields: [], body: text.slice(0, maxChars).toLowerCase() }
  const crlf = text.indexOf("\r\n\r\n")
  const lf = text.indexOf("\n\n")
  const end = lf === -1 ? crlf : crlf === -1 ? lf : Math.min(lf, crlf)
  const header = end === -1 ? text : text.slice(0, end)
  const start = end === -1 ? text.length : end + (end === crlf ? 4 : 2)
  const body = text.slice(start, start + maxChars)
  const fields: Array<readonly [string, string]> = []
  if (keep.length > 0) {
    let name: string | undefined
    let value = ""
    const flush = () => {
      if (name !== undefined && keep.includes(name)) fields.push([name, value.toLowerCase()])
    }
    for (const line of header.split(/\r?\n/)) {
      if ((line.startsWith(" ") || line.startsWith("\t")) && name !== undefined) {
        value += ` ${line.trim()}`
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
