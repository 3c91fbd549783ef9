/**
 * The models `edgeline cloud serve` serves: the message-triage teacher
 * committed in this package (see TriageTeacher.ts).
 */
import type { ChatClassifier } from "./ChatClassifier.js"
import * as TriageTeacher from "./TriageTeacher.js"

export const defaultModels = async (): Promise<ReadonlyArray<ChatClassifier>> => [
  await TriageTeacher.classifier(),
]
