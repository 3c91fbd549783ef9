/**
 * A registry for the client's tests: a directory under the system's tmp, a
 * signing key, models published into it with `Publish` (from a file, or
 * from bytes written to a file first), the dev server in front of it, and
 * devices' clients trusting its key.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Scope } from "effect"
import { Signature, type Store, SyncClient } from "../../src/index.js"
import { DevServer, Publish } from "../../src/node/index.js"

export interface TestRegistry {
  /** The scratch directory; the registry is its `registry/`. */
  readonly dir: string
  readonly keys: Signature.KeyPair
  readonly server: DevServer.DevServer
  /** Publishes `model` (a path, or the bytes) as `name@version` on "stable". */
  readonly publish: (
    model: string | Uint8Array,
    name: string,
    version: string,
    more?: Partial<Publish.Options>,
  ) => Promise<Publish.Published>
  /**
   * A client over `store` (registry: the dev server, unless `options` says
   * otherwise), in a scope of its own that `close` ends.
   */
  readonly client: (store: Store.Shape, options?: Partial<SyncClient.Options>) => Promise<Device>
  /** Stops the server and deletes the directory. */
  readonly close: () => Promise<void>
}

export interface Device {
  readonly client: SyncClient.Shape
  /** Every status it reported, in order. */
  readonly statuses: Array<SyncClient.Status>
  readonly close: () => Promise<void>
}

export const start = async (prefix = "edgeline-sync-registry-"): Promise<TestRegistry> => {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const keys = await Effect.runPromise(Signature.generate("fleet"))
  const server = await DevServer.start({ directory: join(dir, "registry") })
  const publish = async (
    model: string | Uint8Array,
    name: string,
    version: string,
    more: Partial<Publish.Options> = {},
  ) => {
    let path = model
    if (typeof model !== "string") {
      await mkdir(join(dir, "models"), { recursive: true })
      path = join(dir, "models", `${name}-${version}.onnx`)
      await writeFile(path, model)
    }
    return Effect.runPromise(
      Publish.publish({
        model: path as string,
        name,
        version,
        channel: "stable",
        key: keys.privateKey,
        out: join(dir, "registry"),
        ...more,
      }),
    )
  }
  const client = async (store: Store.Shape, options: Partial<SyncClient.Options> = {}) => {
    const scope = await Effect.runPromise(Scope.make())
    const statuses: Array<SyncClient.Status> = []
    const made = await Effect.runPromise(
      Scope.provide(scope)(
        SyncClient.make(
          {
            registry: server.url,
            channel: "stable",
            trusted: [keys.publicKey],
            deviceId: "device-1",
            retryBaseMs: 10,
            onStatus: (s) => statuses.push(s),
            ...options,
          },
          store,
        ),
      ),
    )
    return {
      client: made,
      statuses,
      close: () => Effect.runPromise(Scope.close(scope, Effect.void as never)),
    }
  }
  return {
    dir,
    keys,
    server,
    publish,
    client,
    close: async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
