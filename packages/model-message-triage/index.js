/**
 * The message-triage student distilled by @edgeline/distill (written by
 * `npm run distill`; do not edit). Resolve the file through `specifier`
 * (Node: `createRequire(import.meta.url).resolve(specifier)`; Vite:
 * `import url from "@edgeline/model-message-triage/model.onnx?url"`).
 */

/** The model file, as a package specifier. */
export const specifier = "@edgeline/model-message-triage/model.onnx"

/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export const sha256 = "e1468a126387e80c6100c589d9bb665f069563fd4821273489cda3a4cc10e0b6"

/** Size of the file in bytes. */
export const bytes = 132863

/** The labels, in the order of the model's outputs. */
export const labels = ["ham", "spam"]

/** Escalate when the top probability is below this: chosen on validation, also in the model's metadata. */
export const threshold = 0.867786
