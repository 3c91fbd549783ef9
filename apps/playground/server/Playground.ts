/**
 * What `npm start` runs: the playground page, the dev registry and the
 * reference cloud tier, in one process. The page is the device: it talks to
 * the registry and the cloud only through `/registry/` and `/cloud/` on its
 * own origin (see NetworkSwitch), and learns how to reach them from
 * `/api/config`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { CloudServer, defaultModels, defaultTranscribers } from "@edgeline/cloud-server"
import sirv from "sirv"
import type { Config } from "../web/src/Config.js"
import * as DevRegistry from "./DevRegistry.js"
import * as NetworkSwitch from "./NetworkSwitch.js"
import * as Routes from "./Routes.js"

export interface Options {
  /** Where the registry and its signing key live (kept across starts). */
  readonly dataDirectory: string
  /** The page's port (default 0: any free one). */
  readonly port?: number | undefined
  readonly cloudPort?: number | undefined
  readonly registryPort?: number | undefined
  /** The built page (default: dist/web beside this server). */
  readonly webRoot?: string | undefined
}

export interface Playground {
  readonly url: string
  readonly registry: DevRegistry.DevRegistry
  readonly cloud: CloudServer.Server
  readonly network: NetworkSwitch.NetworkSwitch
  readonly close: () => Promise<void>
}

/** Cross-origin isolation, so onnxruntime-web may use threads. */
const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { "content-type": "application/json", ...ISOLATION })
  response.end(JSON.stringify(body))
}

const readJson = async (request: IncomingMessage): Promise<unknown> => {
  const parts: Array<Buffer> = []
  for await (const part of request) parts.push(part as Buffer)
  return JSON.parse(Buffer.concat(parts).toString("utf8") || "null") as unknown
}

export const start = async (options: Options): Promise<Playground> => {
  const models = await defaultModels()
  const transcribers = await defaultTranscribers()
  const cloud = await CloudServer.start({ models, transcribers, port: options.cloudPort })
  const registry = await DevRegistry.start({
    dataDirectory: options.dataDirectory,
    port: options.registryPort,
  }).catch(async (e: unknown) => {
    await cloud.close()
    throw e
  })
  const network = NetworkSwitch.make()
  const webRoot = options.webRoot ?? fileURLToPath(new URL("../../web", import.meta.url))
  const files = sirv(webRoot, {
    single: true,
    dev: false,
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(ISOLATION)) response.setHeader(name, value)
    },
  })
  const config = (): Config => ({
    channel: DevRegistry.CHANNEL,
    trustedKeys: [registry.publicKey],
    online: network.online(),
    chatModel: models[0]?.id ?? "",
    transcriptionModel: transcribers[0]?.id ?? "",
    cloudUrl: cloud.url,
    registryUrl: registry.url,
  })

  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? "/"
    if (path.startsWith("/cloud/"))
      return network.forward(request, response, cloud.url, path.slice(6))
    if (path.startsWith("/registry/")) {
      return network.forward(request, response, registry.url, path.slice(9))
    }
    if (path === "/api/config") return json(response, 200, config())
    if (path === "/api/network" && request.method === "POST") {
      const body = (await readJson(request).catch(() => undefined)) as { online?: unknown }
      if (typeof body?.online !== "boolean") {
        return json(response, 400, { error: 'send {"online": true | false}' })
      }
      network.set(body.online)
      return json(response, 200, { online: network.online() })
    }
    for (const handler of Routes.handlers) {
      if (await handler(request, response, path, { dataDirectory: options.dataDirectory })) return
    }
    if (path.startsWith("/api/")) return json(response, 404, { error: `no such API: ${path}` })
    files(request, response, () => json(response, 404, { error: `not found: ${path}` }))
  }

  const server = createServer((request, response) => {
    route(request, response).catch((e: unknown) => json(response, 500, { error: String(e) }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve())
  }).catch(async (e: unknown) => {
    await Promise.all([registry.close(), cloud.close()])
    throw e
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    registry,
    cloud,
    network,
    close: async () => {
      network.set(false)
      server.closeAllConnections()
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        registry.close(),
        cloud.close(),
      ])
    },
  }
}
