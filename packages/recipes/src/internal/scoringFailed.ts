import { type InferenceBackend, InferenceError } from "@edgeline/core"
import { messageOf } from "./messageOf.js"

/** Why scoring frames failed, as the stage's typed error: an `InferenceError` passes as it is. */
export const scoringFailed = (
  session: InferenceBackend.Session,
  what: string,
  e: unknown,
): InferenceError =>
  e instanceof InferenceError
    ? e
    : new InferenceError({ model: session.model, message: `${what} failed: ${messageOf(e)}` })
