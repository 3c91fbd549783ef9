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
 * const silero = ModelRef.make("silero_vad_v5", "npm:@edgeline/model-silero-vad/silero_vad_v5.onnx", {
 *   sha256: "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f",
 *   resolveFrom: import.meta.url,
 * })
 * ```
 */
export interface ModelRef {
  readonly name: string
  readonly uri: string
  readonly version?: string | undefined
  /** Hex sha256 of the model bytes; a source verifies it when present (any letter case). */
  readonly sha256?: string | undefined
  /**
   * Where an `npm:` uri resolves from: the URL of the module that names the
   * model (pass `import.meta.url`). The package holding the model is a
   * dependency of that module, not necessarily of the app, so under isolated
   * installs (pnpm, `npm --install-strategy=linked`) only that module can see
   * it. Sources that map `npm:` uris themselves (the web runtime) ignore it.
   */
  readonly resolveFrom?: string | undefined
}

export interface Options {
  readonly version?: string | undefined
  readonly sha256?: string | undefined
  readonly resolveFrom?: string | undefined
}

export const make = (name: string, uri: string, options: Options = {}): ModelRef => ({
  name,
  uri,
  ...options,
})

/**
 * The sha256 the ref pins, in lowercase hex: the one form compared and used
 * as a cache key, however the ref was written (refs may be plain objects).
 */
export const pinnedSha256 = (ref: ModelRef): string | undefined => ref.sha256?.toLowerCase()

/** Whether `actual` (hex) is the sha256 the ref pins (or it pins none). */
export const sha256Matches = (ref: ModelRef, actual: string): boolean => {
  const pinned = pinnedSha256(ref)
  return pinned === undefined || pinned === actual.toLowerCase()
}

/** A stable key for caches: the content hash when known, else name + version + uri. */
export const key = (ref: ModelRef): string => {
  const sha256 = pinnedSha256(ref)
  return sha256 ? `sha256:${sha256}` : `${ref.name}@${ref.version ?? "?"}:${ref.uri}`
}

/** Model bytes as a source returns them. */
export interface ModelBytes {
  readonly ref: ModelRef
  readonly bytes: Uint8Array
  /** Hex sha256 of `bytes` when the source already computed it (a backend need not hash again). */
  readonly sha256?: string | undefined
  /** The version these bytes are, when the source knows (a fleet source always does). */
  readonly version?: string | undefined
}
