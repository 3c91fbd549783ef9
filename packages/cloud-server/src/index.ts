/**
 * @edgeline/cloud-server — the reference OpenAI-compatible cloud tier, for
 * offline development and tests of the edge↔cloud loop.
 */

export type { ChatClassifier } from "./ChatClassifier.js"
export * as CloudServer from "./CloudServer.js"
export { defaultModels } from "./DefaultModels.js"
export { CloudServerOptionsError, CloudServerStartError } from "./Errors.js"
export * as RequestLog from "./RequestLog.js"
export * as TriageTeacher from "./TriageTeacher.js"
