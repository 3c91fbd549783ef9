/** `Authorization: Bearer <key>` against the configured keys, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto"
import { ApiError } from "./ApiError.js"

const digest = (key: string) => createHash("sha256").update(key).digest()

const unauthorized = (message: string) =>
  new ApiError({
    status: 401,
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
    message,
  })

/** A check of a request's `authorization` header: `undefined` when it passes, else the 401. */
export const make = (keys: ReadonlyArray<string>) => {
  const digests = keys.map(digest)
  return (header: string | undefined): ApiError | undefined => {
    const key = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1]
    if (key === undefined) {
      return unauthorized(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      )
    }
    const given = digest(key)
    // Every key is compared, so the time taken does not tell which one came close.
    const matches = digests.filter((d) => timingSafeEqual(d, given)).length
    return matches > 0 ? undefined : unauthorized("Incorrect API key provided.")
  }
}
