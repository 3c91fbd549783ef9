/**
 * The message-triage student distilled by @edgeline/distill (written by
 * `npm run distill`; do not edit). Resolve the file through `specifier`
 * (Node: `createRequire(import.meta.url).resolve(specifier)`; Vite:
 * `import url from "@edgeline/model-message-triage/model.onnx?url"`).
 */

/** The model file, as a package specifier. */
export const specifier = "@edgeline/model-message-triage/model.onnx"

/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export const sha256 = "287b796dd2e66096078f75a2150c139ea245e8f63f17313ca14ba7e5e6b609ef"

/** Size of the file in bytes. */
export const bytes = 132796

/** The labels, in the order of the model's outputs. */
export const labels = ["ham", "spam"]

/** Escalate when the top probability is below this: chosen on validation, also in the model's metadata. */
export const threshold = 0.981756

/** The featurizer the model was trained with (`@edgeline/distill/features`), also in the model's metadata. */
export const featurizer = {
  kind: "hashed-ngrams",
  version: 1,
  buckets: 16384,
  wordNgrams: 2,
  charNgrams: [3, 4],
  maxChars: 2000,
  headers: ["subject", "from", "content-type"],
  seed: 0,
}
