/**
 * Runs in Node before the browser tests: a real registry, as a fleet's
 * operator makes one. A key pair (files, as `edgeline sync keygen` writes
 * them), Silero VAD v5 published as silero-vad@5.0.0 on "stable" with
 * `Publish`, a retrained 5.1.0 (its last 20 KB changed, as when only the
 * last layer is retrained) ready for a test to publish, and the dev server
 * in front of it all with CORS on (the page's origin is Vite's, not the
 * server's) and its telemetry ingest.
 */
import { createHash } from "node:crypto"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import { DevServer, KeyFiles, Publish } from "../../../src/node/index.js"
import { writeFlippedTail } from "../../support/OnnxVariant.js"
import type { ModelFile } from "./context.js"

const require = createRequire(import.meta.url)
const SILERO = require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx")

const described = (path: string, bytes: Uint8Array, version: string): ModelFile => ({
  path,
  version,
  sha256: createHash("sha256").update(bytes).digest("hex"),
  size: bytes.length,
})

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-sync-browser-"))
  const directory = join(dir, "registry")
  const keys = await Effect.runPromise(KeyFiles.generate(dir, "fleet"))
  const key = await Effect.runPromise(KeyFiles.readPrivate(keys.privateKeyPath))
  const publicKey = await Effect.runPromise(KeyFiles.readPublic(keys.publicKeyPath))
  const original = new Uint8Array(await readFile(SILERO))
  const v2Path = join(dir, "silero-5.1.0.onnx")
  const retrained = await writeFlippedTail(SILERO, v2Path)
  await Effect.runPromise(
    Publish.publish({
      model: SILERO,
      name: "silero-vad",
      version: "5.0.0",
      channel: "stable",
      key,
      out: directory,
    }),
  )
  const file = join(dir, "telemetry.jsonl")
  const token = "browser-device-token"
  const server = await DevServer.start({
    directory,
    cors: true,
    telemetry: { file, tokens: [token] },
  })
  project.provide("syncRegistry", {
    url: server.url,
    directory,
    keyPath: keys.privateKeyPath,
    publicKey,
    channel: "stable",
    name: "silero-vad",
    v1: described(SILERO, original, "5.0.0"),
    v2: described(v2Path, retrained, "5.1.0"),
    telemetry: { endpoint: `${server.url}v1/telemetry`, token, file },
  })
  return async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}
