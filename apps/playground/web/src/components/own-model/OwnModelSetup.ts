/**
 * What the page tells the own-model worker when it starts it (as the
 * worker's name, so the worker knows before its first message), and what the
 * worker answers: shared by both sides, plain data only.
 */
import type { InferenceBackend } from "@edgeline/core"

/** How the user's input becomes the model's feeds. */
export type Preprocess = "tensor-json" | "featurizer" | "wav"

export const PREPROCESSES: ReadonlyArray<{ readonly id: Preprocess; readonly label: string }> = [
  { id: "tensor-json", label: "Tensor as JSON" },
  { id: "featurizer", label: "Text → hashed n-grams (message-triage featurizer)" },
  { id: "wav", label: "Audio: WAV → 16 kHz windows" },
]

/** What the worker serves: the model's signature alone, or the assembled pipeline. */
export type WorkerSetup =
  | { readonly serve: "signature"; readonly modelUrl: string }
  | {
      readonly serve: "pipeline"
      readonly modelUrl: string
      readonly preprocess: Preprocess
      readonly signature: InferenceBackend.Signature
      /** Samples per window for `wav` when the model does not fix it. */
      readonly window: number
    }

/** The name every user model has in the pipeline (and the PipelineView row). */
export const MODEL_NAME = "your-model"

/** The window a VAD-style model usually takes at 16 kHz (32 ms). */
export const DEFAULT_WINDOW = 512

/** One output as the page shows it: its first values only. */
export interface OutputSummary {
  readonly name: string
  readonly dtype: string
  readonly dims: ReadonlyArray<number>
  /** The first values, as text (int64 values stay exact). */
  readonly first: ReadonlyArray<string>
  readonly count: number
}

/** A symbolic dim as the page shows it: its name, or "?" when it has none. */
export const dimText = (dim: number | string): string =>
  typeof dim === "number" ? (dim < 0 ? "?" : String(dim)) : dim === "" ? "?" : dim
