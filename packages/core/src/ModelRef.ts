/**
 * A reference to a model: a name, where to find it, and optionally the version
 * and content hash a fleet expects. A `ModelSource` turns it into bytes.
 *
 * `uri` forms understood by the runtimes:
 * - `npm:<package>/<path>` — a file shipped inside an installed npm package
 * - `file:///abs/path` or a plain path — a local file (Node)
 * - `http(s)://…` or a relative URL — fetched (browser and Node)
 *
 * @example
 * ```ts
 * import { ModelRef } from "@edgeline/core"
 * const silero = ModelRef.make("silero_vad_v5", "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx")
 * ```
 */
export interface ModelRef {
  readonly name: string
  readonly uri: string
  readonly version?: string | undefined
  /** Hex sha256 of the model bytes; a source verifies it when present. */
  readonly sha256?: string | undefined
}

export const make = (
  name: string,
  uri: string,
  options: { readonly version?: string; readonly sha256?: string } = {},
): ModelRef => ({ name, uri, ...options })

/** A stable key for caches: the content hash when known, else name + version + uri. */
export const key = (ref: ModelRef): string =>
  ref.sha256 ? `sha256:${ref.sha256}` : `${ref.name}@${ref.version ?? "?"}:${ref.uri}`

/** Model bytes as a source returns them. */
export interface ModelBytes {
  readonly ref: ModelRef
  readonly bytes: Uint8Array
  /** Hex sha256 of `bytes` when the source already computed it (a backend need not hash again). */
  readonly sha256?: string | undefined
}
