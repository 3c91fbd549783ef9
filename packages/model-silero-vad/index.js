/**
 * Silero VAD v5 (https://github.com/snakers4/silero-vad), MIT licensed by the
 * Silero Team, as an ONNX file inside this package. Resolve the file through
 * `specifier` (Node: `createRequire(import.meta.url).resolve(specifier)`;
 * Vite: `import url from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"`).
 */

/** The model file, as a package specifier. */
export const specifier = "@edgeline/model-silero-vad/silero_vad_v5.onnx"

/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export const sha256 = "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"

/** Size of the file in bytes. */
export const bytes = 2327524

/** The model's licence (SPDX), from its upstream repository. */
export const license = "MIT"

/** Where the bytes come from. */
export const source =
  "snakers4/silero-vad v5 (silero_vad.onnx, 16 kHz and 8 kHz), as redistributed in @ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx"
