/**
 * Where the trainer publishes and the device syncs from and reports to:
 * a registry directory (signed manifests, content-defined chunks) served
 * by the sync dev server on loopback, whose telemetry ingest appends what
 * devices upload to a JSONL file. The key that signs is made for the run;
 * devices trust its public half.
 */
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { type Manifest, Signature } from "@edgeline/sync"
import { DevServer, Publish } from "@edgeline/sync/node"
import { Effect } from "effect"

export const CHANNEL = "stable"

export interface Registry {
  /** The registry's base URL (devices add channels/…). */
  readonly url: string
  /** Where devices post telemetry. */
  readonly ingest: string
  /** The bearer token devices send telemetry with. */
  readonly token: string
  /** The file the ingest appends to. */
  readonly telemetryFile: string
  /** The key devices trust. */
  readonly trusted: Signature.PublicKey
  /** Publishes the file as `name@version` with `metadata` (a threshold, a drift reference). */
  readonly publish: (options: {
    readonly name: string
    readonly version: string
    readonly model: string
    readonly metadata: Record<string, Manifest.Model["metadata"][string]>
  }) => Promise<Publish.Published>
  readonly close: () => Promise<void>
}

export const start = async (options: {
  /** The registry directory (made when missing). */
  readonly directory: string
  readonly telemetryFile: string
}): Promise<Registry> => {
  const key = await Effect.runPromise(Signature.generate("flywheel"))
  const token = randomUUID()
  const server = await DevServer.start({
    directory: options.directory,
    telemetry: { file: options.telemetryFile, tokens: [token] },
  })
  return {
    url: server.url,
    ingest: new URL("v1/telemetry", server.url).href,
    token,
    telemetryFile: options.telemetryFile,
    trusted: key.publicKey,
    publish: (published) =>
      Effect.runPromise(
        Publish.publish({
          ...published,
          channel: CHANNEL,
          key: key.privateKey,
          out: options.directory,
        }),
      ),
    close: () => server.close(),
  }
}

/** Where the ingest file goes in a run's directory: beside the registry, never inside it (a registry is public). */
export const telemetryFileIn = (directory: string) => join(directory, "telemetry.jsonl")
