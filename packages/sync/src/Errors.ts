/**
 * Tagged errors of model delivery. Each is an `Error` with a `_tag`, so
 * Promise users can `switch (e._tag)` and Effect users can `catchTag`; each
 * message says what went wrong and what to do. A refused manifest changes
 * nothing on the device: the model that serves keeps serving.
 */
import { Data } from "effect"

/** The manifest is not JSON of the expected shape (or the envelope around it is not). */
export class ManifestFormatError extends Data.TaggedError("ManifestFormatError")<{
  readonly message: string
}> {}

/**
 * The manifest carries no signature, names a key the device does not trust,
 * its signature does not verify, or it was signed for another channel.
 */
export class ManifestSignatureError extends Data.TaggedError("ManifestSignatureError")<{
  readonly message: string
  readonly keyId?: string | undefined
}> {}

/** The manifest's expiry has passed: a registry that stopped publishing must not pin devices forever. */
export class ManifestExpiredError extends Data.TaggedError("ManifestExpiredError")<{
  readonly message: string
  readonly expires: string
}> {}

/** The manifest's version is below one the device already accepted (a replayed, older manifest). */
export class ManifestDowngradeError extends Data.TaggedError("ManifestDowngradeError")<{
  readonly message: string
  readonly version: number
  readonly accepted: number
}> {}

/** A signing or verification key is not a usable Ed25519 key. */
export class KeyError extends Data.TaggedError("KeyError")<{
  readonly message: string
}> {}

/** Bytes do not hash to what the manifest says (a chunk, or the whole model). */
export class IntegrityError extends Data.TaggedError("IntegrityError")<{
  readonly message: string
  readonly expected: string
  readonly actual: string
}> {}

/** Reading or writing a registry directory failed. */
export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly message: string
  readonly path?: string | undefined
}> {}

/** Reading or writing the store failed (disk full, quota, permissions); it is left as it was. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly message: string
}> {}

/** A request failed or was cut (retried, resuming); `permanent` when retrying cannot help. */
export class DownloadError extends Data.TaggedError("DownloadError")<{
  readonly message: string
  readonly url: string
  readonly status?: number | undefined
  readonly permanent: boolean
  /** How long the server asked us to stay away (its `Retry-After`). */
  readonly retryAfterMs?: number | undefined
}> {}

/** An upload failed (retried later); the events stay queued. */
export class UploadError extends Data.TaggedError("UploadError")<{
  readonly message: string
  readonly status?: number | undefined
  /** How long the server asked us to stay away (its `Retry-After`). */
  readonly retryAfterMs?: number | undefined
}> {}

/** No version of the model is on the device, and the registry did not provide one. */
export class ModelUnavailableError extends Data.TaggedError("ModelUnavailableError")<{
  readonly message: string
  readonly model: string
}> {}

/** `rollback` found no previous version to return to. */
export class NoPreviousVersionError extends Data.TaggedError("NoPreviousVersionError")<{
  readonly message: string
  readonly model: string
}> {}
