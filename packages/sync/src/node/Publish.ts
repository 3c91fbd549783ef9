/**
 * Publishing a model into a registry directory: its chunks become blobs
 * (those already there are reused, so a new version costs only what
 * changed), then the channel's manifest is re-signed with the model's entry
 * and a higher version. Every file is written atomically, manifest last: a
 * publish cut short leaves the registry serving the previous manifest, with
 * at most some unreferenced blobs.
 */
import { createReadStream } from "node:fs"
import { readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import * as Content from "../Content.js"
import { type KeyError, RegistryError } from "../Errors.js"
import { messageOf } from "../internal/messageOf.js"
import * as Layout from "../Layout.js"
import * as Manifest from "../Manifest.js"
import * as Signature from "../Signature.js"
import * as AtomicFile from "./AtomicFile.js"

export interface Options {
  /** The ONNX file (any bytes: the registry does not look inside). */
  readonly model: string
  readonly name: string
  /** Semantic version of this model. */
  readonly version: string
  readonly channel: string
  readonly key: Signature.PrivateKey
  /** The registry directory. */
  readonly out: string
  readonly metadata?: Record<string, Manifest.Model["metadata"][string]> | undefined
  /** Share of the fleet that takes it, 0–100 (default 100). */
  readonly rolloutPercent?: number | undefined
  /** How long the manifest is valid (default 30 days). */
  readonly expiresInDays?: number | undefined
  /** Bytes of the model read so far, of its size. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined
  readonly now?: Date | undefined
}

export interface Published {
  readonly manifest: Manifest.Manifest
  readonly model: Manifest.Model
  /** Chunks written now, and chunks already in the registry. */
  readonly written: number
  readonly reused: number
  readonly bytesWritten: number
  /** The manifest was already exactly this (same model bytes and version): nothing changed. */
  readonly unchanged: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000

const fail = (message: string, path?: string) => new RegistryError({ message, path })

const fileSize = (path: string) =>
  Effect.tryPromise({
    try: () => stat(path),
    catch: (e) => fail(`cannot read the model ${path}: ${messageOf(e)}`, path),
  }).pipe(
    Effect.flatMap((s) =>
      s.isFile() ? Effect.succeed(s.size) : Effect.fail(fail(`${path} is not a file`, path)),
    ),
  )

const blobSize = (path: string) =>
  Effect.promise(() =>
    stat(path).then(
      (s) => s.size,
      () => undefined,
    ),
  )

/** The channel's current manifest, verified with the publisher's own key (or one published under keys/). */
const current = (out: string, channel: string, key: Signature.PrivateKey) =>
  Effect.gen(function* () {
    const path = join(out, Layout.manifestPath(channel))
    const text = yield* Effect.promise(() =>
      readFile(path, "utf8").then(
        (t) => t,
        (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e)),
      ),
    ).pipe(Effect.orDie)
    if (text === undefined) return undefined
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => fail(`${path} is not JSON: fix or remove it before publishing`, path),
    })
    const keyOfManifest = (json as { manifest?: { keyId?: unknown } }).manifest?.keyId
    const trusted = [Signature.publicOf(key)]
    if (typeof keyOfManifest === "string" && keyOfManifest !== key.kid) {
      // Rotation: the last manifest may be signed by the previous key, published under keys/.
      const previous = yield* Effect.promise(() =>
        readFile(join(out, Layout.keyPath(keyOfManifest)), "utf8").then(
          (t) => JSON.parse(t) as Signature.PublicKey,
          () => undefined,
        ),
      )
      if (previous !== undefined) trusted.push(previous)
    }
    return yield* Signature.verify(json, { trusted, now: false, channel }).pipe(
      Effect.mapError((e) =>
        fail(`${path} does not verify (${e.message}); fix or remove it before publishing`, path),
      ),
    )
  })

/**
 * A modification time in a later whole second than `path`'s (undefined when
 * there is no such file). Hosts that make a file's ETag from its mtime in
 * seconds and its size (nginx, and Last-Modified everywhere) would give a
 * manifest rewritten within the same second at the same size (a model
 * republished under another version of the same length) the tag of the one
 * it replaces: devices would get 304 and miss it.
 */
const laterSecond = (path: string) =>
  stat(path).then(
    (s) => new Date(Math.max(Date.now(), (Math.floor(s.mtimeMs / 1000) + 1) * 1000)),
    () => undefined,
  )

/** Publishes `options.model` as `name@version` on `channel`. */
export const publish = (options: Options): Effect.Effect<Published, RegistryError | KeyError> =>
  Effect.gen(function* () {
    const now = options.now ?? new Date()
    const draft = (model: Manifest.Model, version: number, models: ReadonlyArray<Manifest.Model>) =>
      Manifest.decode({
        format: Manifest.FORMAT,
        channel: options.channel,
        version,
        issued: now.toISOString(),
        expires: new Date(now.getTime() + (options.expiresInDays ?? 30) * DAY_MS).toISOString(),
        keyId: options.key.kid,
        models: [...models.filter((m) => m.name !== options.name), model],
      }).pipe(Effect.mapError((e) => fail(`cannot publish: ${e.message}`)))
    const entry = (described: Content.Described): Manifest.Model => ({
      name: options.name,
      version: options.version,
      sha256: described.sha256,
      size: described.size,
      metadata: options.metadata ?? {},
      rollout: {
        percent: options.rolloutPercent ?? 100,
        salt: `${options.name}@${options.version}`,
      },
      chunks: described.chunks,
    })
    // Names, versions and the rollout are checked before any blob is written.
    yield* draft(entry({ sha256: "0".repeat(64), size: 0, chunks: [] }), 1, [])
    const previous = yield* current(options.out, options.channel, options.key)
    const total = yield* fileSize(options.model)
    let done = 0
    let written = 0
    let reused = 0
    let bytesWritten = 0
    const source = createReadStream(options.model, { highWaterMark: 1 << 20 })
    const described = yield* Content.describe(source, (chunk, bytes) =>
      Effect.gen(function* () {
        done += bytes.length
        const path = join(options.out, Layout.blobPath(chunk.sha256))
        if ((yield* blobSize(path)) === chunk.size) {
          reused++
        } else {
          yield* Effect.tryPromise({
            try: () => AtomicFile.write(path, bytes),
            catch: (e) => fail(`cannot write ${path}: ${messageOf(e)}`, path),
          })
          written++
          bytesWritten += bytes.length
        }
        options.onProgress?.(done, total)
      }),
    ).pipe(
      Effect.ensuring(Effect.sync(() => source.destroy())),
      Effect.catchDefect((e) =>
        Effect.fail(fail(`cannot read the model ${options.model}: ${messageOf(e)}`)),
      ),
    )
    const listed = previous?.models.find((m) => m.name === options.name)
    if (listed !== undefined && listed.version === options.version) {
      if (listed.sha256 !== described.sha256) {
        return yield* fail(
          `${options.name}@${options.version} is already published on "${options.channel}" with other bytes (sha256 ${listed.sha256}); publish a new version`,
        )
      }
      if (previous !== undefined && previous.keyId === options.key.kid) {
        return {
          manifest: previous,
          model: listed,
          written,
          reused,
          bytesWritten,
          unchanged: true,
        }
      }
    }
    const model = entry(described)
    const manifest = yield* draft(model, (previous?.version ?? 0) + 1, previous?.models ?? [])
    const signed = yield* Signature.sign(manifest, options.key)
    const keyFile = join(options.out, Layout.keyPath(options.key.kid))
    const manifestFile = join(options.out, Layout.manifestPath(options.channel))
    yield* Effect.tryPromise({
      try: async () => {
        await AtomicFile.write(
          keyFile,
          `${JSON.stringify(Signature.publicOf(options.key), null, 2)}\n`,
        )
        await AtomicFile.write(manifestFile, `${JSON.stringify(signed, null, 2)}\n`, {
          mtime: await laterSecond(manifestFile),
        })
      },
      catch: (e) => fail(`cannot write ${manifestFile}: ${messageOf(e)}`, manifestFile),
    })
    return { manifest, model, written, reused, bytesWritten, unchanged: false }
  })
