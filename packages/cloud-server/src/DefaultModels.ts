/**
 * The models `edgeline cloud serve` serves: the message-triage teacher
 * committed in this package (see TriageTeacher.ts) for chat, and
 * PocketSphinx (see PocketSphinx.ts) for transcription.
 */
import type { ChatClassifier } from "./ChatClassifier.js"
import * as PocketSphinx from "./PocketSphinx.js"
import type { Transcriber } from "./Transcriber.js"
import * as TriageTeacher from "./TriageTeacher.js"

export const defaultModels = async (): Promise<ReadonlyArray<ChatClassifier>> => [
  await TriageTeacher.classifier(),
]

/**
 * PocketSphinx's US English recogniser as `pocketsphinx-en-us`. Rejects with
 * a `PocketSphinxMissingError` (which says what to install) when the
 * recogniser or its model is not installed.
 */
export const defaultTranscribers = async (): Promise<ReadonlyArray<Transcriber>> => [
  await PocketSphinx.transcriber(),
]
