/**
 * Masks personal data before text leaves the device: e-mail addresses,
 * phone numbers and the query strings (and fragments) of URLs, each replaced
 * by a placeholder. What stays is what a classifier needs: that there was an
 * address, a number to call, a link to this host and path.
 *
 * - `[email]` — `name@host.tld`, also inside a URL's path or a `mailto:`.
 * - `[phone]` — international numbers (`+44 20 7946 0958`, `0044 …`), US
 *   numbers (`(415) 555-0132`, `415-555-0132`, `415.555.0132`,
 *   `1-800-555-0199`, `555-0132`), national numbers with a leading 0
 *   (`020 7946 0958`), and any run of 7 to 15 digits right after a word that
 *   says it is one (`Tel:`, `phone`, `fax`, `call`…). Prices, dates, times,
 *   versions, IP addresses and plain numbers are left alone.
 * - `?[query]`, `#[fragment]` — everything after a URL's `?` or `#`; the
 *   scheme, host and path stay. Credentials in a URL (`user:pass@`) become
 *   `[user]@`.
 *
 * Every pattern is bounded (no nested or unbounded quantifier can backtrack
 * over a long run), so a hostile input costs time linear in its length.
 *
 * @example
 * ```ts
 * import { PiiMask } from "@edgeline/recipes"
 *
 * PiiMask.mask("Mail jo@example.com or call +1 415 555 0132: https://x.io/a?id=7").text
 * // "Mail [email] or call [phone]: https://x.io/a?[query]"
 * ```
 */

export const EMAIL = "[email]"
export const PHONE = "[phone]"
export const QUERY = "?[query]"
export const FRAGMENT = "#[fragment]"
export const USER = "[user]"

/** How many of each were masked. */
export interface Counts {
  readonly emails: number
  readonly phones: number
  readonly queries: number
}

export interface Masked {
  readonly text: string
  readonly counts: Counts
}

// Where a URL starts: a scheme, `www.`, or a bare host followed by a path
// (`example.com/unsubscribe?id=…`). The URL then runs over URL_CHAR, scanned
// by hand so that its length is not bounded by a pattern.
const urlStart = /\b(?:(?:https?|ftp):\/\/|www\.|(?:[a-z0-9-]{1,63}\.){1,10}[a-z]{2,24}\/)/giu
/** Anything but whitespace, quotes, angle brackets and the brackets mail clients wrap links in. */
const URL_CHAR = /[^\s<>"'`[\]{}|\\^]/u
/** Punctuation that ends a sentence rather than a URL. */
const trailing = /[.,;:!?)]+$/u

/** Characters of an address's local part and of its domain. */
const LOCAL_CHAR = /[\p{L}\p{N}._%+-]/u
const DOMAIN_CHAR = /[\p{L}\p{N}.-]/u
/** A domain: at least two labels, the last of letters (checked label by label: any length is linear). */
const isDomain = (text: string): boolean => {
  const labels = text.split(".")
  return (
    labels.length >= 2 &&
    labels.every((label) => label.length > 0) &&
    /^\p{L}{2,63}$/u.test(labels[labels.length - 1]!)
  )
}

const SEP = "[ .\\-\\u00A0]"
const phone = new RegExp(
  [
    // International: + or 00, a country code, then 2–6 groups of digits (7–15 digits in all, checked below).
    `(?:\\+|\\b00)\\d{1,3}(?:${SEP}?\\(?\\d{1,5}\\)?){2,6}`,
    // US, with an optional 1: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132.
    `(?:\\b1${SEP}?)?(?:\\(\\d{3}\\)${SEP}?|\\b\\d{3}${SEP})\\d{3}${SEP}\\d{4}\\b`,
    // A leading-0 national number in three groups: 020 7946 0958, 0171-555-0123.
    `\\b0\\d{1,4}${SEP}\\d{3,4}${SEP}\\d{3,4}\\b`,
    // A US local number, hyphenated: 555-0132.
    `\\b\\d{3}-\\d{4}\\b`,
    // After a word that says it is a phone number: 7 to 15 digits, with or without separators.
    `(?<=\\b(?:tel|tel\\.|telephone|phone|ph|mobile|mob|cell|fax|call|whatsapp|sms|text)\\s{0,3}(?:no\\.?|number|#)?\\s{0,3}:?\\s{0,3})\\+?\\(?\\d(?:[\\d ().\\-]{5,20})\\d`,
  ].join("|"),
  "giu",
)

/** Digits around a match mean it is part of a longer number (an ID, a card, a version), not a phone. */
const isolated = (text: string, start: number, end: number): boolean => {
  const before = text.slice(Math.max(0, start - 2), start)
  const after = text.slice(end, end + 2)
  return (
    !/[\p{N}]$|[\p{N}][.,/:-]$|[\p{L}_]$/u.test(before) &&
    !/^[\p{N}]|^[.,/:-][\p{N}]|^[\p{L}_]/u.test(after)
  )
}

const digitsIn = (s: string): number => s.replace(/\D/g, "").length

/** The URL with its query, fragment and credentials masked. */
const maskUrl = (raw: string, counts: { queries: number }): string => {
  let masked = raw
  const cut = masked.search(/[?#]/u)
  if (cut >= 0) {
    masked = masked.slice(0, cut) + (masked[cut] === "?" ? QUERY : FRAGMENT)
    counts.queries++
  }
  // user:pass@host, only before the first "/" after the scheme.
  return masked.replace(/^((?:https?|ftp):\/\/)[^/@\s]{1,256}@/iu, `$1${USER}@`)
}

const maskUrls = (text: string, counts: { queries: number }): string => {
  let out = ""
  let from = 0
  urlStart.lastIndex = 0
  for (let start = urlStart.exec(text); start !== null; start = urlStart.exec(text)) {
    let end = start.index + start[0].length
    while (end < text.length && URL_CHAR.test(text[end]!)) end++
    const match = text.slice(start.index, end)
    // A "?" or "." the sentence ended with is punctuation, not part of the URL.
    const tail = trailing.exec(match)
    const body = tail === null ? match : match.slice(0, tail.index)
    const bare = !/^(?:https?|ftp):\/\/|^www\./iu.test(body)
    // A bare host is masked only for its query: "example.com/a" alone is left as it is.
    out +=
      text.slice(from, start.index) + (bare && !/[?#]/u.test(body) ? body : maskUrl(body, counts))
    from = start.index + body.length
    urlStart.lastIndex = Math.max(from, start.index + 1)
  }
  return out + text.slice(from)
}

/** Addresses found from each "@" outwards, by hand: linear in the text, however long a part is. */
const maskEmails = (text: string, counts: { emails: number }): string => {
  let out = ""
  let from = 0
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at
    while (start > from && LOCAL_CHAR.test(text[start - 1]!)) start--
    let end = at + 1
    while (end < text.length && DOMAIN_CHAR.test(text[end]!)) end++
    // A domain ends before trailing dots or hyphens ("write to jo@example.com.").
    while (end > at + 1 && /[.-]/u.test(text[end - 1]!)) end--
    if (start === at || !isDomain(text.slice(at + 1, end))) continue
    out += text.slice(from, start) + EMAIL
    counts.emails++
    from = end
    at = end - 1
  }
  return out + text.slice(from)
}

const maskPhones = (text: string, counts: { phones: number }): string =>
  text.replace(phone, (match, ...rest) => {
    const offset = rest[rest.length - 2] as number
    const digits = digitsIn(match)
    if (digits < 7 || digits > 15) return match
    if (!isolated(text, offset, offset + match.length)) return match
    counts.phones++
    return PHONE
  })

/** Masks e-mail addresses, phone numbers and URL query strings in `text`. */
export const mask = (text: string): Masked => {
  const counts = { emails: 0, phones: 0, queries: 0 }
  // URLs first (their queries may hold addresses and numbers), then what is left.
  const masked = maskPhones(maskEmails(maskUrls(text, counts), counts), counts)
  return { text: masked, counts }
}

/** `mask(text).text`. */
export const maskText = (text: string): string => mask(text).text

/** Counts of two maskings added. */
export const add = (a: Counts, b: Counts): Counts => ({
  emails: a.emails + b.emails,
  phones: a.phones + b.phones,
  queries: a.queries + b.queries,
})

export const none: Counts = { emails: 0, phones: 0, queries: 0 }
