/**
 * @edgeline/cloud-server — the reference OpenAI-compatible cloud tier, for
 * offline development and tests of the edge↔cloud loop.
 */

export type { ChatClassifier } from "./ChatClassifier.js"
export * as CloudServer from "./CloudServer.js"
export { defaultModels, defaultTranscribers } from "./DefaultModels.js"
export {
  CloudServerOptionsError,
  CloudServerStartError,
  PocketSphinxMissingError,
} from "./Errors.js"
export * as PocketSphinx from "./PocketSphinx.js"
export * as RequestLog from "./RequestLog.js"
export type {
  TranscribeOptions,
  Transcriber,
  Transcript,
  TranscriptSegment,
  TranscriptWord,
} from "./Transcriber.js"
export * as TriageTeacher from "./TriageTeacher.js"
