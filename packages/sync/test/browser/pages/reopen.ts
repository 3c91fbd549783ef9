/**
 * A page of the app loaded afresh (a reload, seen by the `freshPage`
 * command): a new JavaScript realm with only what the browser kept. It
 * opens the store and the telemetry outbox by their database names, asks
 * the client for the model as an app's next start would (the local one,
 * no download), checks its bytes, and uploads the telemetry the last page
 * queued. Its answer is `window.edgelineResult`.
 */
import { ModelRef } from "@edgeline/core"
import { Effect } from "effect"
import { BrowserOutboxStorage, BrowserStore, Outbox, SyncClient } from "../../../src/index.js"
import type { Registry } from "../setup/context.js"

export interface ReopenConfig {
  readonly storeDatabase: string
  readonly outboxDatabase: string
  readonly deviceId: string
  readonly registry: Pick<Registry, "url" | "channel" | "publicKey" | "name" | "telemetry">
}

export interface ReopenResult {
  readonly active?: { readonly version: string; readonly sha256: string } | undefined
  /** The sha256 of the bytes the client's `ModelSource` served. */
  readonly served: string
  readonly queuedBefore: number
  readonly uploaded: number
  readonly queuedAfter: number
}

const hex = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")

const config = JSON.parse(
  new URLSearchParams(location.search).get("config") ?? "{}",
) as ReopenConfig

const reopened = Effect.gen(function* () {
  const store = yield* BrowserStore.make({ database: config.storeDatabase })
  const client = yield* SyncClient.make(
    {
      registry: config.registry.url,
      channel: config.registry.channel,
      trusted: [config.registry.publicKey],
      deviceId: config.deviceId,
    },
    store,
  )
  const active = yield* client.ensure(config.registry.name, "local-or-latest")
  const model = yield* client.source.resolve(
    ModelRef.make(config.registry.name, `sync:${config.registry.name}`),
  )
  const outbox = yield* Outbox.make({
    endpoint: config.registry.telemetry.endpoint,
    token: config.registry.telemetry.token,
    deviceId: config.deviceId,
    storage: yield* BrowserOutboxStorage.make({ database: config.outboxDatabase }),
  })
  const queuedBefore = (yield* outbox.stats).queued
  const uploaded = yield* outbox.flush
  const result: ReopenResult = {
    active: { version: active.version, sha256: active.sha256 },
    served: yield* Effect.promise(() => hex(model.bytes)),
    queuedBefore,
    uploaded,
    queuedAfter: (yield* outbox.stats).queued,
  }
  return result
})

;(window as unknown as { edgelineResult: Promise<ReopenResult> }).edgelineResult =
  Effect.runPromise(Effect.scoped(reopened))
