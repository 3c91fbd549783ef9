/** The model file, as a package specifier. */
export declare const specifier: "@edgeline/model-message-triage/model.onnx"
/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export declare const sha256: string
/** Size of the file in bytes. */
export declare const bytes: number
/** The labels, in the order of the model's outputs. */
export declare const labels: readonly ["ham", "spam"]
/** Escalate when the top probability is below this: chosen on validation, also in the model's metadata. */
export declare const threshold: number
/** The featurizer the model was trained with (`@edgeline/distill/features`), also in the model's metadata. */
export declare const featurizer: {
  readonly kind: "hashed-ngrams"
  readonly version: 1
  readonly buckets: number
  readonly wordNgrams: number
  readonly charNgrams: readonly [number, number] | null
  readonly maxChars: number
  readonly headers: ReadonlyArray<string>
  readonly seed: number
}
