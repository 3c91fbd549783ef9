/** How the page writes numbers: fixed precision and the en-US locale, so a page is the same wherever it is made. */

/** A share as a percentage with two decimals: 0.94732 → "94.73%". */
export const percent = (share: number): string => `${(share * 100).toFixed(2)}%`

/** A threshold or probability with four decimals. */
export const decimal = (x: number): string => x.toFixed(4)

/** A count with thousands separators. */
export const count = (n: number): string => n.toLocaleString("en-US")

/** Milliseconds, with about three significant digits. */
export const ms = (x: number): string =>
  x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(2)} ms` : `${x.toPrecision(3)} ms`

/** A size in KiB (1024 bytes), one decimal. */
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

/** A duration in milliseconds as seconds, or minutes and seconds. */
export const duration = (x: number): string => {
  const seconds = x / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)} min ${whole % 60} s`
}

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
}

/** Text safe in HTML content and in quoted attributes. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c]!)
