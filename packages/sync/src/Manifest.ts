/**
 * A channel's manifest: what a fleet on that channel should run. One JSON
 * file per channel in the registry, signed (see `Signature`), naming every
 * model by content: its sha256, its size and the content-defined chunks it
 * is made of, each a blob under its own sha256. A static host serves it as
 * it is; devices fetch only the chunks they lack.
 *
 * `version` rises with every publish, so a device refuses a replayed older
 * manifest; `expires` bounds how long a stolen-but-valid manifest or a
 * registry that stopped publishing can hold a fleet.
 */
import { Effect, Schema } from "effect"
import { ManifestFormatError } from "./Errors.js"

export const FORMAT = "edgeline.sync.manifest/1"

/** Lowercase hex SHA-256. */
const Sha256 = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{64}$/, { message: "a lowercase hex sha256 (64 characters)" }),
)

/** Names travel into store paths and URLs: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const Name = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    message: "letters, digits, '.', '_' or '-' (at most 128, not starting with '.', '_' or '-')",
  }),
)

/** Semantic Versioning 2.0.0, the regular expression semver.org gives. */
const SemVer = Schema.String.check(
  Schema.isPattern(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/,
    { message: "a semantic version such as 1.4.0" },
  ),
)

const Instant = Schema.String.check(
  Schema.makeFilter((s: string) =>
    Number.isFinite(Date.parse(s)) ? undefined : "an ISO 8601 date and time",
  ),
)

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Chunk = Schema.Struct({
  sha256: Sha256,
  size: Schema.Int.check(Schema.isGreaterThan(0)),
})
export type Chunk = typeof Chunk.Type

/** Staged rollout: a device takes the model when a hash of (salt, device id) falls under `percent`. */
export const Rollout = Schema.Struct({
  percent: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
  salt: Schema.String,
})
export type Rollout = typeof Rollout.Type

export const Model = Schema.Struct({
  name: Name,
  version: SemVer,
  sha256: Sha256,
  size: Count,
  /** Anything the publisher attaches (the distill card, a reference confidence histogram). */
  metadata: Schema.Record(Schema.String, Schema.Json),
  rollout: Rollout,
  chunks: Schema.Array(Chunk),
}).check(
  Schema.makeFilter((model) => {
    const total = model.chunks.reduce((sum, chunk) => sum + chunk.size, 0)
    return total === model.size
      ? undefined
      : `its chunks add up to ${total} bytes, not its size ${model.size}`
  }),
)
export type Model = typeof Model.Type

export const Manifest = Schema.Struct({
  format: Schema.Literal(FORMAT),
  channel: Name,
  /** Rises with every publish to the channel. */
  version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  issued: Instant,
  expires: Instant,
  /** The key that signs it: a device looks it up among the keys it trusts. */
  keyId: Schema.String.check(Schema.isMinLength(1)),
  models: Schema.Array(Model),
}).check(
  Schema.makeFilter((manifest) => {
    const names = manifest.models.map((m) => m.name)
    const twice = names.find((name, i) => names.indexOf(name) !== i)
    return twice === undefined ? undefined : `the model "${twice}" is listed twice`
  }),
)
export type Manifest = typeof Manifest.Type

/** The manifest in `json` (already parsed), or a `ManifestFormatError` saying what is wrong. */
export const decode = (json: unknown): Effect.Effect<Manifest, ManifestFormatError> => {
  const result = Schema.decodeUnknownResult(Manifest)(json)
  return result._tag === "Success"
    ? Effect.succeed(result.success)
    : Effect.fail(
        new ManifestFormatError({
          message: `not an ${FORMAT} manifest: ${result.failure.message.replace(/\n\s*/g, " ")}`,
        }),
      )
}

/** The model named `name`, if the manifest lists it. */
export const model = (manifest: Manifest, name: string): Model | undefined =>
  manifest.models.find((m) => m.name === name)
