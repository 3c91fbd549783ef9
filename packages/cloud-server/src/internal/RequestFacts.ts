/**
 * What the handlers learn about a request that its log line needs: the model
 * and messages the body named, the audio a transcription request sent, and the error it was answered with. The log
 * wrapper provides a fresh record per request; handlers fill it in.
 */
import { Context } from "effect"
import type { Transcription } from "../RequestLog.js"

export interface Facts {
  model: string | null
  messages: unknown
  transcription: Transcription | null
  error: string | null
}

/** A reference with no record by default, so handlers run (and are typed) without one. */
export const RequestFacts = Context.Reference<Facts | undefined>(
  "@edgeline/cloud-server/RequestFacts",
  { defaultValue: () => undefined },
)
