import { OpenAiCloudModel } from "@edgeline/core"

/**
 * How long to wait after `failures` failures in a row: doubling from
 * `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half
 * random) so a fleet that failed together does not retry together.
 */
export const jittered = (failures: number, baseMs: number, maxMs: number): number => {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 20))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

/**
 * The wait before the next try: `backoffMs`, or what the server asked for
 * (`Retry-After`) when that is longer, stretched by up to a fifth so a
 * fleet told the same time does not come back all at once, and never more
 * than `maxMs` (an error page asking for a day does not silence a fleet).
 */
export const honouring = (
  backoffMs: number,
  retryAfterMs: number | undefined,
  maxMs: number,
): number =>
  retryAfterMs === undefined
    ? backoffMs
    : Math.min(
        Math.max(maxMs, backoffMs),
        Math.max(backoffMs, Math.round(retryAfterMs * (1 + Math.random() * 0.2))),
      )

/** The server's `Retry-After` (seconds or an HTTP date) on `response`, in ms. */
export const retryAfterOf = (response: Response): number | undefined =>
  OpenAiCloudModel.retryAfterMs(
    { "retry-after": response.headers.get("retry-after") ?? undefined },
    Date.now(),
  )
