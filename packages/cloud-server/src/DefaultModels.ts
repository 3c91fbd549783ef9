/**
 * The models `edgeline cloud serve` serves. The triage teacher (an ONNX
 * model made by `@edgeline/distill`) is not built yet, so for now this says
 * so; the CLI reports it as a usage error.
 */
import type { ChatClassifier } from "./ChatClassifier.js"

export const defaultModels = (): ReadonlyArray<ChatClassifier> => {
  throw new Error("the triage teacher is not built yet: there is no default model to serve")
}
