/**
 * How long a server asked us to wait before asking again: OpenAI's
 * `retry-after-ms`, else the standard `Retry-After` in seconds or as an
 * HTTP date. `undefined` when it did not say (or said nonsense).
 */
export const retryAfterMs = (headers: Headers, now: number = Date.now()): number | undefined => {
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Number(ms)
  }
  const value = headers.get("retry-after")?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
