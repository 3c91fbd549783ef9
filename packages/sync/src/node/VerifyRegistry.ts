/**
 * Checking every byte of a registry directory: each channel's manifest
 * against the trusted keys (by default the public keys the registry
 * publishes under keys/), each chunk's size and sha256, and each model's
 * sha256 over its chunks in order. What is wrong is listed, not thrown, so
 * one run reports everything; `edgeline sync verify` exits non-zero when
 * anything is.
 */
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { createSHA256 } from "hash-wasm"
import * as Content from "../Content.js"
import { messageOf } from "../internal/messageOf.js"
import * as Layout from "../Layout.js"
import type * as Manifest from "../Manifest.js"
import * as Signature from "../Signature.js"

export interface Options {
  /** Keys to verify with (default: those under keys/ in the registry). */
  readonly trusted?: ReadonlyArray<Signature.PublicKey> | undefined
  readonly now?: Date | undefined
  /** Chunks checked so far, of all the manifests list. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined
}

export interface Report {
  readonly channels: ReadonlyArray<{ readonly channel: string; readonly version?: number }>
  readonly models: number
  readonly chunks: number
  /** Every wrong byte found, one line each; empty when the registry is sound. */
  readonly problems: ReadonlyArray<string>
  /** Worth knowing but not wrong (an expired manifest). */
  readonly warnings: ReadonlyArray<string>
}

const listJson = (directory: string) =>
  Effect.promise(() =>
    readdir(directory).then(
      (names) => names.filter((n) => n.endsWith(".json")).sort(),
      () => [] as Array<string>,
    ),
  )

const readJson = (path: string) =>
  Effect.promise(() =>
    readFile(path, "utf8").then(
      (text) => ({ ok: true as const, json: JSON.parse(text) as unknown }),
      (e: unknown) => ({ ok: false as const, error: messageOf(e) }),
    ),
  ).pipe(Effect.catchDefect((e) => Effect.succeed({ ok: false as const, error: messageOf(e) })))

const publishedKeys = (registry: string) =>
  Effect.gen(function* () {
    const keys: Array<Signature.PublicKey> = []
    for (const name of yield* listJson(join(registry, "keys"))) {
      const read = yield* readJson(join(registry, "keys", name))
      if (read.ok) keys.push(Signature.publicOf(read.json as Signature.PrivateKey))
    }
    return keys
  })

/** Checks `registry` (a directory) and reports what is wrong. */
export const verify = (registry: string, options: Options = {}): Effect.Effect<Report> =>
  Effect.gen(function* () {
    const problems: Array<string> = []
    const warnings: Array<string> = []
    const trusted = options.trusted ?? (yield* publishedKeys(registry))
    const channels: Array<{ channel: string; version?: number }> = []
    const manifests: Array<Manifest.Manifest> = []
    const files = yield* listJson(join(registry, "channels"))
    if (files.length === 0) problems.push(`${registry} has no channels/*.json manifest`)
    for (const file of files) {
      const channel = file.slice(0, -".json".length)
      const path = Layout.manifestPath(channel)
      const read = yield* readJson(join(registry, path))
      if (!read.ok) {
        problems.push(`${path}: unreadable (${read.error})`)
        channels.push({ channel })
        continue
      }
      const checked = yield* Effect.result(
        Signature.verify(read.json, { trusted, now: options.now, channel }),
      )
      if (checked._tag === "Success") {
        manifests.push(checked.success)
        channels.push({ channel, version: checked.success.version })
        continue
      }
      if (checked.failure._tag !== "ManifestExpiredError") {
        problems.push(`${path}: ${checked.failure.message}`)
        channels.push({ channel })
        continue
      }
      warnings.push(`${path}: ${checked.failure.message}`)
      // Expired but sound: its bytes are still checked.
      const unexpired = yield* Effect.result(
        Signature.verify(read.json, { trusted, now: false, channel }),
      )
      if (unexpired._tag === "Success") {
        manifests.push(unexpired.success)
        channels.push({ channel, version: unexpired.success.version })
      }
    }
    const models = manifests.flatMap((m) => m.models)
    const total = models.reduce((sum, m) => sum + m.chunks.length, 0)
    const checkedChunks = new Map<string, boolean>()
    let done = 0
    for (const model of models) {
      const whole = yield* Effect.promise(createSHA256)
      whole.init()
      let readable = true
      for (const chunk of model.chunks) {
        const path = Layout.blobPath(chunk.sha256)
        const bytes = yield* Effect.promise(() =>
          readFile(join(registry, path)).then(
            (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
            () => undefined,
          ),
        )
        options.onProgress?.(++done, total)
        if (bytes === undefined) {
          if (checkedChunks.get(chunk.sha256) !== false) problems.push(`${path}: missing`)
          checkedChunks.set(chunk.sha256, false)
          readable = false
          continue
        }
        whole.update(bytes)
        if (checkedChunks.has(chunk.sha256)) continue
        const actual = yield* Content.sha256(bytes)
        const sound = bytes.length === chunk.size && actual === chunk.sha256
        checkedChunks.set(chunk.sha256, sound)
        if (!sound) {
          problems.push(
            bytes.length !== chunk.size
              ? `${path}: ${bytes.length} bytes, the manifest says ${chunk.size}`
              : `${path}: its bytes hash to ${actual}`,
          )
        }
      }
      const actual = whole.digest("hex")
      if (readable && actual !== model.sha256) {
        problems.push(
          `model ${model.name}@${model.version}: its chunks hash to ${actual}, the manifest says ${model.sha256}`,
        )
      }
    }
    return { channels, models: models.length, chunks: checkedChunks.size, problems, warnings }
  })
