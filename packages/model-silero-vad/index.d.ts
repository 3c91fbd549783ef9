/** The model file, as a package specifier. */
export declare const specifier: "@edgeline/model-silero-vad/silero_vad_v5.onnx"
/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export declare const sha256: string
/** Size of the file in bytes. */
export declare const bytes: number
/** The model's licence (SPDX), from its upstream repository. */
export declare const license: "MIT"
/** Where the bytes come from. */
export declare const source: string
