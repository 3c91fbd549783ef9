/**
 * The dev registry beside the playground: a registry directory served by
 * sync's DevServer. On first start it makes a signing key and publishes the
 * models embedded in our npm packages (the triage student, Silero VAD), so
 * a fresh clone syncs something with no network.
 */
import { readdir } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import * as triage from "@edgeline/model-message-triage"
import { Signature } from "@edgeline/sync"
import { DevServer, KeyFiles, Publish } from "@edgeline/sync/node"
import { Effect } from "effect"

export const CHANNEL = "stable"

/** The embedded models, as a fresh registry offers them. */
export const embeddedModels = () => {
  const require = createRequire(import.meta.url)
  return [
    {
      name: "message-triage",
      version: "1.0.0",
      file: require.resolve("@edgeline/model-message-triage/model.onnx"),
      metadata: { threshold: triage.threshold },
    },
    {
      name: "silero-vad",
      version: "5.0.0",
      file: require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx"),
      metadata: {},
    },
  ] as const
}

export interface DevRegistry {
  readonly url: string
  readonly directory: string
  /** The key devices trust (the page gets it from `/api/config`). */
  readonly publicKey: Signature.PublicKey
  /** Publishes a model file as `name@version` (what `edgeline sync publish` does). */
  readonly publish: (options: {
    readonly name: string
    readonly version: string
    readonly file: string
    readonly metadata?: Record<string, string | number | boolean> | undefined
  }) => Promise<void>
  readonly close: () => Promise<void>
}

/** The key pair in `keys`, made on first start. */
const signingKey = async (keys: string) => {
  const existing = await readdir(keys).catch(() => [] as Array<string>)
  const name = existing.find((file) => file.endsWith(".key.json"))
  const privateKeyPath =
    name === undefined
      ? (await Effect.runPromise(KeyFiles.generate(keys, "playground"))).privateKeyPath
      : join(keys, name)
  const privateKey = await Effect.runPromise(KeyFiles.readPrivate(privateKeyPath))
  return { privateKey, publicKey: Signature.publicOf(privateKey) }
}

export const start = async (options: {
  readonly dataDirectory: string
  readonly port?: number | undefined
}): Promise<DevRegistry> => {
  const directory = join(options.dataDirectory, "registry")
  const { privateKey, publicKey } = await signingKey(join(options.dataDirectory, "keys"))
  const publish: DevRegistry["publish"] = async (model) => {
    await Effect.runPromise(
      Publish.publish({
        model: model.file,
        name: model.name,
        version: model.version,
        channel: CHANNEL,
        key: privateKey,
        out: directory,
        metadata: model.metadata,
      }),
    )
  }
  const channels = await readdir(join(directory, "channels")).catch(() => [] as Array<string>)
  if (!channels.includes(`${CHANNEL}.json`)) {
    for (const model of embeddedModels()) await publish(model)
  }
  const server = await DevServer.start({ directory, port: options.port })
  return { url: server.url, directory, publicKey, publish, close: server.close }
}
